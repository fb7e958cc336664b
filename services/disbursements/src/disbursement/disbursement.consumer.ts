import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { Pool, PoolClient } from 'pg';
import {
  disbursementId,
  type GrantIntegrationEventData,
  type IntegrationEnvelope,
  type MilestoneIntegrationEventData,
  type PayoutIntegrationEventData,
  TOPICS,
} from '@lib/contracts';
import { withInbox } from '@lib/event-store';
import { PG_POOL, ProblemError } from '@lib/platform';
import { TreasuryClock } from '../clock';
import {
  type GrantInfo,
  grantInfo,
  lockGrant,
  type PendingAcceptance,
} from '../grant-info/grant-info.projection';
import { limitLedger } from '../treasury/limit-ledger';
import { TreasuryHandler } from '../treasury/treasury.handler';
import { TreasuryMetrics } from '../treasury/treasury-metrics';
import { DisbursementHandler } from './disbursement.handler';
import { DisbursementList } from './disbursement-list.projection';

const SCHEMA = 'disbursements';
const SYSTEM = { sub: 'system:disbursements', roles: [] as string[] };

/** A grant's status only moves forward: an older event arriving late never moves it back. */
const STATUS_RANK: Record<GrantInfo['status'], number> = {
  unknown: 0,
  awarded: 1,
  active: 2,
  completed: 3,
  cancelled: 4,
};

type Data<T> = { data: T };

/**
 * Kafka → commands. Each event is handled once (inbox) in one transaction with everything it
 * causes; grant and milestone events for one grant are serialised by the grant's advisory lock,
 * because the two topics are consumed independently and may arrive in either order.
 */
@Controller()
export class DisbursementConsumer {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly handler: DisbursementHandler,
    private readonly list: DisbursementList,
    private readonly treasury: TreasuryHandler,
    private readonly clock: TreasuryClock,
    private readonly metrics: TreasuryMetrics,
  ) {}

  @EventPattern(TOPICS.milestone)
  async onMilestone(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    if (envelope.type !== 'MilestoneAccepted') return;
    const { data } = envelope as unknown as Data<
      MilestoneIntegrationEventData<'MilestoneAccepted'>
    >;
    await withInbox(
      this.pool,
      SCHEMA,
      'disbursements.milestones',
      envelope.eventId,
      async (client) => {
        await lockGrant(client, data.grantId);
        const acceptance: PendingAcceptance = {
          grantId: data.grantId,
          tranche: data.tranche,
          asset: data.asset,
          amount: BigInt(data.amount),
          founder: data.founder,
          acceptedBy: data.acceptedBy,
        };
        const grant = await grantInfo.get(client, data.grantId);
        // The grant's payout account is not known here yet: the acceptance waits for the grant.
        if (!grant?.payoutAccount) await grantInfo.addPending(client, acceptance, this.clock.now());
        else await this.request(client, acceptance, grant, envelope.eventId);
      },
    );
  }

  /**
   * Grant facts are versioned by the grant stream version of the event that set them (all of
   * `grants.grant.v1` for one grant comes from its one stream): a fact is applied only when no
   * newer event set it already, so a replayed dead letter or a late redelivery of an older event
   * never overwrites a newer fact (a KYC rejection, a payout-account change), and the status only
   * moves forward (a cancelled grant is never active again).
   */
  @EventPattern(TOPICS.grant)
  async onGrant(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    const grantId = (envelope.data as { grantId: string }).grantId;
    const version = envelope.streamVersion;
    await withInbox(this.pool, SCHEMA, 'disbursements.grants', envelope.eventId, async (client) => {
      await lockGrant(client, grantId);
      const now = this.clock.now();
      const existing = await grantInfo.get(client, grantId);
      const forward = (status: GrantInfo['status']) =>
        STATUS_RANK[status] > STATUS_RANK[existing?.status ?? 'unknown'];
      const statusChange = (status: GrantInfo['status']) =>
        forward(status) ? { status, status_version: version } : {};
      switch (envelope.type) {
        case 'GrantAwarded':
        case 'GrantActivated': {
          const { data } = envelope as unknown as Data<GrantIntegrationEventData<'GrantActivated'>>;
          const status = envelope.type === 'GrantActivated' ? 'active' : 'awarded';
          await grantInfo.upsert(
            client,
            grantId,
            { founder: data.founder, ...statusChange(status) },
            now,
          );
          // A later payout-account change wins over the terms' account.
          await grantInfo.applyFact(
            client,
            grantId,
            'payout_account',
            version,
            { payout_account: data.payoutAccount },
            now,
            { strict: true },
          );
          await this.requestPending(client, grantId, envelope.eventId);
          return;
        }
        case 'PayoutAccountChanged': {
          const { data } = envelope as unknown as Data<
            GrantIntegrationEventData<'PayoutAccountChanged'>
          >;
          const applied = await grantInfo.applyFact(
            client,
            grantId,
            'payout_account',
            version,
            { payout_account: data.payoutAccount, payout_account_effective_at: data.effectiveAt },
            now,
          );
          // An older change than the one in force: the receivers stay where the newer one put them.
          if (!applied) return;
          for (const id of await this.list.ofGrant(client, grantId)) {
            await this.handler.execute(
              id,
              {
                type: 'ChangeReceiver',
                data: { receiver: data.payoutAccount, effectiveAt: data.effectiveAt },
                metadata: { now, actor: SYSTEM },
              },
              { client, causationId: envelope.eventId },
            );
          }
          await this.requestPending(client, grantId, envelope.eventId);
          return;
        }
        case 'KycStatusChanged': {
          const { data } = envelope as unknown as Data<
            GrantIntegrationEventData<'KycStatusChanged'>
          >;
          await grantInfo.applyFact(
            client,
            grantId,
            'kyc',
            version,
            { kyc_status: data.status, kyc_expires_at: data.expiresAt },
            now,
          );
          return;
        }
        case 'GrantCancelled': {
          const { data } = envelope as unknown as Data<GrantIntegrationEventData<'GrantCancelled'>>;
          await grantInfo.upsert(client, grantId, statusChange('cancelled'), now);
          await this.requestPending(client, grantId, envelope.eventId);
          for (const id of await this.list.ofGrant(client, grantId)) {
            await this.cancel(client, id, `grant cancelled: ${data.reason}`, envelope.eventId);
          }
          return;
        }
        case 'GrantCompleted':
          await grantInfo.upsert(client, grantId, statusChange('completed'), now);
          return;
        default:
          return; // a grant event this service does not act on
      }
    });
  }

  @EventPattern(TOPICS.payout)
  async onPayout(@Payload() envelope: IntegrationEnvelope): Promise<void> {
    // Metrics of what this event changed, set once its transaction has committed.
    let afterCommit: (() => Promise<void> | void) | undefined;
    await withInbox(
      this.pool,
      SCHEMA,
      'disbursements.payouts',
      envelope.eventId,
      async (client) => {
        const now = this.clock.now();
        const options = { client, causationId: envelope.eventId };
        switch (envelope.type) {
          case 'PayoutSubmitted': {
            const { data } = envelope as unknown as Data<
              PayoutIntegrationEventData<'PayoutSubmitted'>
            >;
            await this.ifExists(() =>
              this.handler.execute(
                data.disbursementId,
                {
                  type: 'RecordPayoutSubmitted',
                  data: { attempt: data.attempt, txHash: data.txHash },
                  metadata: { now, actor: SYSTEM },
                },
                options,
              ),
            );
            return;
          }
          case 'PayoutSettled': {
            const { data } = envelope as unknown as Data<
              PayoutIntegrationEventData<'PayoutSettled'>
            >;
            // The ledger follows every attempt's outcome, current or not: money that left counts.
            await limitLedger.post(client, data.disbursementId, data.attempt, now);
            afterCommit = () => this.metrics.refreshLimits();
            await this.ifExists(() =>
              this.handler.execute(
                data.disbursementId,
                {
                  type: 'RecordPayoutSettled',
                  data: { attempt: data.attempt, txHash: data.txHash },
                  metadata: { now, actor: SYSTEM },
                },
                options,
              ),
            );
            return;
          }
          case 'PayoutFailed': {
            const { data } = envelope as unknown as Data<
              PayoutIntegrationEventData<'PayoutFailed'>
            >;
            await limitLedger.void(client, data.disbursementId, data.attempt, now);
            afterCommit = () => this.metrics.refreshLimits();
            await this.ifExists(async () => {
              const failed = await this.handler.execute(
                data.disbursementId,
                {
                  type: 'RecordPayoutFailed',
                  data: { attempt: data.attempt, txHash: data.txHash, reason: data.reason },
                  metadata: { now, actor: SYSTEM },
                },
                options,
              );
              // A payout-account change while it was in flight left it alone; a retry must go
              // to the grant's account of now, with fresh approvals.
              const grant = await grantInfo.get(client, failed.state.grantId);
              if (grant?.payoutAccount && grant.payoutAccount !== failed.state.receiver) {
                await this.handler.execute(
                  data.disbursementId,
                  {
                    type: 'ChangeReceiver',
                    data: {
                      receiver: grant.payoutAccount,
                      effectiveAt: grant.payoutAccountEffectiveAt ?? now.toISOString(),
                    },
                    metadata: { now, actor: SYSTEM },
                  },
                  options,
                );
              }
            });
            return;
          }
          case 'ReconciliationDiscrepancyFound': {
            const { data } = envelope as unknown as Data<
              PayoutIntegrationEventData<'ReconciliationDiscrepancyFound'>
            >;
            const recorded = await this.treasury.execute(
              {
                type: 'RecordDiscrepancy',
                data,
                metadata: { now, actor: { sub: 'system:reconciliation', roles: [] } },
              },
              options,
            );
            if (recorded.newEvents.length > 0) {
              afterCommit = () => this.metrics.discrepancyRecorded(data.kind, recorded.state);
            }
            return;
          }
          default:
            return;
        }
      },
    );
    await afterCommit?.();
  }

  private async request(
    client: PoolClient,
    acceptance: PendingAcceptance,
    grant: GrantInfo,
    causationId: string,
  ): Promise<void> {
    const id = disbursementId(acceptance.grantId, acceptance.tranche);
    await this.handler.execute(
      id,
      {
        type: 'RequestDisbursement',
        data: {
          disbursementId: id,
          grantId: acceptance.grantId,
          tranche: acceptance.tranche,
          asset: acceptance.asset,
          amount: acceptance.amount,
          receiver: grant.payoutAccount!,
          founder: acceptance.founder,
          acceptedBy: acceptance.acceptedBy,
        },
        metadata: { now: this.clock.now(), actor: SYSTEM },
      },
      { client, causationId },
    );
    if (grant.status === 'cancelled') await this.cancel(client, id, 'grant cancelled', causationId);
  }

  private async requestPending(client: PoolClient, grantId: string, causationId: string) {
    const grant = await grantInfo.get(client, grantId);
    if (!grant?.payoutAccount) return;
    for (const acceptance of await grantInfo.takePending(client, grantId)) {
      await this.request(client, acceptance, grant, causationId);
    }
  }

  private async cancel(client: PoolClient, id: string, reason: string, causationId: string) {
    await this.handler.execute(
      id,
      {
        type: 'CancelDisbursement',
        data: { reason, source: 'grant_cancelled' },
        metadata: { now: this.clock.now(), actor: SYSTEM },
      },
      { client, causationId },
    );
  }

  /** Settlement events for a disbursement this service never made change nothing. */
  private async ifExists(run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (error instanceof ProblemError && error.code === 'disbursement_not_found') return;
      throw error;
    }
  }
}
