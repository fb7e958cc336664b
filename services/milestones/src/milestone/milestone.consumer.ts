import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Pool } from 'pg';
import {
  type GrantIntegrationEventData,
  type GrantIntegrationEventType,
  type IntegrationEnvelope,
  TOPICS,
} from '@lib/contracts';
import { withInbox } from '@lib/event-store';
import { KAFKA_EVENTS_TRANSPORT } from '@lib/messaging';
import { PG_POOL, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import type { Actor } from './milestone.decider';
import { type CommandOrigin, MilestoneHandler } from './milestone.handler';

/** Inbox name: one `(consumer, eventId)` row per grant event this service handled. */
export const GRANT_EVENTS_CONSUMER = 'milestones.grant-events';

/** Tranche numbers a grant can have (the grants contract allows 1–20). */
const MAX_TRANCHES = 20;

/**
 * `grants.grant.v1` → Milestone commands, inbox-deduplicated: the inbox row and every appended
 * event commit in one transaction, so a redelivered or replayed event changes nothing.
 * The envelope arrives parsed against its contract (the transport dead-letters what does not).
 */
@Controller()
export class MilestoneConsumer {
  private readonly schema: string;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONTEXT) service: ServiceContext,
    private readonly handler: MilestoneHandler,
  ) {
    this.schema = service.schema ?? 'milestones';
  }

  @EventPattern(TOPICS.grant, KAFKA_EVENTS_TRANSPORT)
  async onGrantEvent(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    const type = envelope.type as GrantIntegrationEventType;
    switch (type) {
      case 'GrantActivated':
        return this.activated(
          envelope as IntegrationEnvelope<GrantIntegrationEventData<typeof type>>,
        );
      case 'GrantCancelled':
        return this.cancelled(
          envelope as IntegrationEnvelope<GrantIntegrationEventData<typeof type>>,
        );
      case 'GrantAwarded':
      case 'PayoutAccountChanged':
      case 'KycStatusChanged':
      case 'GrantCompleted':
        return;
      default: {
        const unknownType: never = type;
        // The contract registry only lets registered types through; a new one is ignored here.
        return void unknownType;
      }
    }
  }

  /** One pending milestone per tranche. */
  private async activated(
    envelope: IntegrationEnvelope<GrantIntegrationEventData<'GrantActivated'>>,
  ): Promise<void> {
    const { data } = envelope;
    const metadata = { now: new Date(data.activatedAt), actor: actorOf(envelope) };
    await this.once(envelope, async (origin) => {
      for (const tranche of data.tranches) {
        await this.handler.executeInTransaction(
          data.grantId,
          tranche.number,
          {
            type: 'OpenMilestone',
            data: {
              grantId: data.grantId,
              number: tranche.number,
              title: tranche.title,
              dueDate: tranche.dueDate,
              asset: data.asset,
              amount: BigInt(tranche.amount),
              founder: data.founder,
            },
            metadata,
          },
          origin,
        );
      }
    });
  }

  /**
   * Every tranche number closes, opened or not: if GrantActivated was not processed yet (say it
   * was dead-lettered and is replayed later) it then opens nothing for the cancelled grant.
   */
  private async cancelled(
    envelope: IntegrationEnvelope<GrantIntegrationEventData<'GrantCancelled'>>,
  ): Promise<void> {
    const { data } = envelope;
    const metadata = {
      now: new Date(data.cancelledAt),
      actor: { sub: data.cancelledBy, roles: [] },
    };
    await this.once(envelope, async (origin) => {
      for (let number = 1; number <= MAX_TRANCHES; number++) {
        await this.handler.executeInTransaction(
          data.grantId,
          number,
          {
            type: 'CancelMilestone',
            data: { grantId: data.grantId, number, reason: data.reason },
            metadata,
          },
          origin,
        );
      }
    });
  }

  /** Runs `run` once per grant event, in its inbox transaction, with the event as its origin. */
  private async once(
    envelope: IntegrationEnvelope,
    run: (origin: CommandOrigin) => Promise<void>,
  ): Promise<void> {
    await withInbox(this.pool, this.schema, GRANT_EVENTS_CONSUMER, envelope.eventId, (client) =>
      run({ client, correlationId: envelope.correlationId, causationId: envelope.eventId }),
    );
  }
}

const actorOf = (envelope: IntegrationEnvelope): Actor => ({ sub: envelope.actor, roles: [] });
