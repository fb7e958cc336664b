import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Pool } from 'pg';
import { disbursementReleasedV1, TOPICS, type IntegrationEnvelope } from '@lib/contracts';
import { withInbox } from '@lib/event-store';
import { KAFKA_EVENTS_TRANSPORT } from '@lib/messaging';
import { PG_POOL } from '@lib/platform';
import { CrashHook } from '../crash-injection';
import { LaneSupervisor } from '../lane/lane.supervisor';
import { payoutIdOf } from './payout';
import { PayoutLedger } from './payout.handler';

import { TREASURY_ACCOUNT } from '../tokens';
const CONSUMER = 'near-settlement.disbursement-released';

/**
 * DisbursementReleased → a Payout per (disbursement, attempt), recorded with its inbox row in one
 * transaction; lane workers pay it. A redelivered event (same id) is skipped by the inbox; the
 * same (disbursement, attempt) under another event id decides nothing (the ledger is unique on it).
 */
@Controller()
export class DisbursementReleasedConsumer {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly ledger: PayoutLedger,
    private readonly lanes: LaneSupervisor,
    private readonly crash: CrashHook,
    @Inject(TREASURY_ACCOUNT) private readonly treasuryAccountId: string,
  ) {}

  @EventPattern(TOPICS.disbursement, KAFKA_EVENTS_TRANSPORT)
  async onDisbursementEvent(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    if (envelope.type !== 'DisbursementReleased') return;
    const released = disbursementReleasedV1.parse(envelope.data);
    await withInbox(this.pool, 'near_settlement', CONSUMER, envelope.eventId, async (client) => {
      await this.ledger.request(
        client,
        {
          payoutId: payoutIdOf(released.disbursementId, released.attempt),
          disbursementId: released.disbursementId,
          attempt: released.attempt,
          grantId: released.grantId,
          tranche: released.tranche,
          treasuryAccountId: this.treasuryAccountId,
          receiver: released.receiver,
          asset: released.asset,
          amount: released.amount,
        },
        { releasedAt: released.releasedAt, now: new Date().toISOString() },
        { correlationId: envelope.correlationId, causationId: envelope.eventId },
      );
    });
    this.crash.at('after-consume');
    this.lanes.wake();
  }
}
