import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import type { Pool, PoolClient } from 'pg';
import {
  type ApplicationIntegrationEventData,
  type DisbursementIntegrationEventData,
  type IntegrationEnvelope,
  type MilestoneIntegrationEventData,
  type PayoutIntegrationEventData,
  TOPICS,
} from '@lib/contracts';
import { withInbox } from '@lib/event-store';
import { KAFKA_EVENTS_TRANSPORT } from '@lib/messaging';
import { PG_POOL, ProblemError, SERVICE_CONTEXT, type ServiceContext } from '@lib/platform';
import { CLOCK, type Clock } from '../clock';
import type { GrantCommand } from './grant.decider';
import { GrantHandler } from './grant.handler';
import { recordTrancheProgress, type TrancheProgressPatch } from './grant-overview.projection';

const DISBURSEMENT_ID =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d{1,2})$/;

/**
 * Kafka integration events → Grant commands and the overview's tranche progress. Every handler
 * runs once per event id (inbox row in the same transaction as its effects); envelopes arrive
 * already parsed against libs/contracts (a bad one is dead-lettered by the transport).
 */
@Controller()
export class GrantConsumer {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONTEXT) private readonly service: ServiceContext,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly handler: GrantHandler,
    private readonly logger: Logger,
  ) {}

  private get schema(): string {
    return this.service.schema ?? 'grants';
  }

  /** `ApplicationApproved` → `GrantAwarded` (grant id = application id); the rest is not ours. */
  @EventPattern(TOPICS.application, KAFKA_EVENTS_TRANSPORT)
  async onApplication(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    if (envelope.type !== 'ApplicationApproved') return;
    const data = envelope.data as ApplicationIntegrationEventData<'ApplicationApproved'>;
    await this.once('grants.applications', envelope, (client) =>
      this.command(client, envelope, data.applicationId, {
        type: 'AwardGrant',
        data: {
          grantId: data.applicationId,
          founder: data.founder,
          payoutAccount: data.payoutAccount,
          title: data.title,
          asset: data.grant.asset,
          amount: BigInt(data.grant.amount),
          tranches: data.grant.tranches.map((t) => ({
            number: t.milestone,
            title: t.title,
            dueDate: t.dueDate,
            amount: BigInt(t.amount),
          })),
          awardedAt: data.approvedAt,
        },
        metadata: { now: this.clock.now(), actor: { sub: envelope.actor, roles: [] } },
      }),
    );
  }

  @EventPattern(TOPICS.milestone, KAFKA_EVENTS_TRANSPORT)
  async onMilestone(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    const status = MILESTONE_STATUS[envelope.type as keyof typeof MILESTONE_STATUS];
    if (!status) return;
    const data = envelope.data as MilestoneIntegrationEventData<'MilestoneSubmitted'>;
    await this.once('grants.milestones', envelope, (client) =>
      recordTrancheProgress(client, this.schema, data.grantId, data.tranche, {
        milestoneStatus: status,
      }),
    );
  }

  /** Disbursement status per tranche; `DisbursementSettled` may complete the grant. */
  @EventPattern(TOPICS.disbursement, KAFKA_EVENTS_TRANSPORT)
  async onDisbursement(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    const patch = disbursementPatch(envelope);
    if (!patch) return;
    const data = envelope.data as DisbursementIntegrationEventData<'DisbursementRequested'>;
    await this.once('grants.disbursements', envelope, async (client) => {
      await recordTrancheProgress(client, this.schema, data.grantId, data.tranche, {
        ...patch,
        disbursementId: data.disbursementId,
      });
      if (envelope.type !== 'DisbursementSettled') return;
      const settled = envelope.data as DisbursementIntegrationEventData<'DisbursementSettled'>;
      await this.command(client, envelope, settled.grantId, {
        type: 'RecordTrancheSettled',
        data: {
          tranche: settled.tranche,
          disbursementId: settled.disbursementId,
          txHash: settled.txHash,
          settledAt: settled.settledAt,
        },
        metadata: { now: this.clock.now(), actor: { sub: envelope.actor, roles: [] } },
      });
    });
  }

  /** Payout status and transaction hash per tranche (the disbursement id names both). */
  @EventPattern(TOPICS.payout, KAFKA_EVENTS_TRANSPORT)
  async onPayout(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    const patch = payoutPatch(envelope);
    if (!patch) return;
    const { disbursementId } = envelope.data as PayoutIntegrationEventData<'PayoutSubmitted'>;
    const match = DISBURSEMENT_ID.exec(disbursementId);
    if (!match) return; // the contract's pattern makes this unreachable
    await this.once('grants.payouts', envelope, (client) =>
      recordTrancheProgress(client, this.schema, match[1], Number(match[2]), {
        ...patch,
        disbursementId,
      }),
    );
  }

  private async once(
    consumer: string,
    envelope: IntegrationEnvelope,
    effect: (client: PoolClient) => Promise<void>,
  ): Promise<void> {
    const outcome = await withInbox(this.pool, this.schema, consumer, envelope.eventId, effect);
    if (outcome === 'duplicate') {
      this.logger.debug({ eventId: envelope.eventId, consumer }, 'duplicate event ignored');
    }
  }

  private async command(
    client: PoolClient,
    envelope: IntegrationEnvelope,
    grantId: string,
    command: GrantCommand,
  ): Promise<void> {
    try {
      await this.handler.execute(grantId, command, {
        client,
        causationId: envelope.eventId,
        correlationId: envelope.correlationId,
      });
    } catch (error) {
      // A settlement of a grant this database never awarded (another environment's topic
      // history): nothing to complete, and retrying cannot change that.
      if (error instanceof ProblemError && error.code === 'grant_not_found') {
        this.logger.warn(
          { eventId: envelope.eventId, grantId },
          `${envelope.type} for unknown grant`,
        );
        return;
      }
      throw error;
    }
  }
}

const MILESTONE_STATUS = {
  MilestoneSubmitted: 'submitted',
  MilestoneAccepted: 'accepted',
  MilestoneRejected: 'rejected',
} as const;

function disbursementPatch(envelope: IntegrationEnvelope): TrancheProgressPatch | undefined {
  switch (envelope.type) {
    case 'DisbursementRequested':
      return { disbursementStatus: 'awaiting_approval' };
    case 'DisbursementApproved': {
      const data = envelope.data as DisbursementIntegrationEventData<'DisbursementApproved'>;
      return {
        disbursementStatus: data.approvals >= data.required ? 'approved' : 'awaiting_approval',
      };
    }
    case 'DisbursementReleased':
      return { disbursementStatus: 'released' };
    case 'DisbursementSettled':
      return {
        disbursementStatus: 'settled',
        txHash: (envelope.data as DisbursementIntegrationEventData<'DisbursementSettled'>).txHash,
      };
    case 'DisbursementFailed':
      return { disbursementStatus: 'failed' };
    case 'DisbursementCancelled':
      return { disbursementStatus: 'cancelled' };
    default:
      return undefined;
  }
}

function payoutPatch(envelope: IntegrationEnvelope): TrancheProgressPatch | undefined {
  switch (envelope.type) {
    case 'PayoutSubmitted':
      return {
        payoutStatus: 'broadcast',
        txHash: (envelope.data as PayoutIntegrationEventData<'PayoutSubmitted'>).txHash,
      };
    case 'PayoutSettled':
      return {
        payoutStatus: 'settled',
        txHash: (envelope.data as PayoutIntegrationEventData<'PayoutSettled'>).txHash,
      };
    case 'PayoutFailed':
      return {
        payoutStatus: 'failed',
        txHash: (envelope.data as PayoutIntegrationEventData<'PayoutFailed'>).txHash,
      };
    default:
      return undefined; // ReconciliationDiscrepancyFound is the treasury's business
  }
}
