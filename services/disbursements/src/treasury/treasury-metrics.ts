import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { counter, metrics, PG_POOL, SERVICE_CONFIG } from '@lib/platform';
import { TreasuryClock } from '../clock';
import type { DisbursementsConfig } from '../config';
import type { DisbursementEvent } from '../disbursement/disbursement.decider';
import { limitLedger } from './limit-ledger';
import { openDiscrepancies, type TreasuryState } from './treasury';
import { policyFor } from './treasury-policy';

/** Transition label of each disbursement event (the status or change it records). */
const TRANSITIONS: Record<DisbursementEvent['type'], string> = {
  DisbursementRequested: 'requested',
  DisbursementApproved: 'approved',
  DisbursementReceiverChanged: 'receiver_changed',
  DisbursementHeld: 'held',
  DisbursementHoldLifted: 'hold_lifted',
  DisbursementReleased: 'released',
  DisbursementPayoutSubmitted: 'payout_submitted',
  DisbursementSettled: 'settled',
  DisbursementFailed: 'failed',
  DisbursementRetried: 'retried',
  DisbursementCancelled: 'cancelled',
};

const transitions = counter(
  'disbursement_transitions_total',
  'Disbursement transitions recorded, by transition and asset',
  ['transition', 'asset'],
);

/** Counts the events one command appended (called once they are written). */
export function countTransitions(asset: string, events: readonly DisbursementEvent[]): void {
  for (const event of events) transitions.inc({ transition: TRANSITIONS[event.type], asset });
}

/**
 * The treasury's domain series: the rolling-window limit use of every asset of the policy, read
 * from the ledger after each change of it (release, settlement, failure) and after each treasury
 * run (so a window that slid forward shows too), and the open reconciliation discrepancies.
 */
@Injectable()
export class TreasuryMetrics {
  private readonly logger = new Logger('TreasuryMetrics');

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE_CONFIG) private readonly config: DisbursementsConfig,
    private readonly clock: TreasuryClock,
  ) {}

  /** Reads the window of `assets` (default: every asset of the policy) and sets the gauges. */
  async refreshLimits(assets?: string[]): Promise<void> {
    const list = assets ?? this.config.policy.assets.map((a) => a.asset);
    const now = this.clock.now();
    const client = await this.pool.connect();
    try {
      for (const asset of new Set(list)) {
        const usage = await limitLedger.usage(client, asset, now);
        this.setLimit(asset, usage);
      }
    } catch (error) {
      // Metrics never fail the work they describe; the next change or run sets them again.
      this.logger.warn(`treasury limit metrics not refreshed: ${(error as Error).message}`);
    } finally {
      client.release();
    }
  }

  /** Sets one asset's gauges from a usage already read (e.g. by GET /v1/treasury). */
  setLimit(asset: string, usage: { reserved: bigint; posted: bigint }): void {
    metrics.setTreasuryLimitUsage(asset, {
      limit: policyFor(this.config.policy, asset).dailyLimit,
      used: usage.posted,
      reserved: usage.reserved,
    });
  }

  /** A discrepancy was recorded (only a new one: a redelivered event records nothing). */
  discrepancyRecorded(kind: string, state: TreasuryState): void {
    metrics.reconciliationDiscrepancy(kind);
    this.setOpen(state);
  }

  setOpen(state: TreasuryState): void {
    metrics.setOpenDiscrepancies(openDiscrepancies(state).length);
  }
}
