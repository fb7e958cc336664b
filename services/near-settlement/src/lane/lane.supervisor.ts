import { Client, type ClientConfig, type Pool } from 'pg';
import type { PayoutRow } from '../payout/payout.handler';
import type { PayoutDriver } from './payout.driver';
import type { SignerLane } from './signer-lanes.config';

const S = 'near_settlement';

export interface LaneSupervisorOptions {
  pool: Pool;
  /** Connection of the dedicated lock sessions (one per driven lane). */
  connection: ClientConfig;
  lanes: SignerLane[];
  driver: PayoutDriver;
  idleMs: number;
  log: {
    log(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

/** What this replica does with a lane right now. */
export interface LaneActivity {
  publicKey: string;
  drivenHere: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One driver per lane across all replicas: each lane is guarded by a session-level advisory
 * lock held on a dedicated connection. A replica that does not hold it retries every `idleMs`;
 * when the holder dies its session ends, the lock is released and another replica takes over.
 * The holder first resumes its lane's `signed`/`broadcast` payouts, then takes new work.
 */
export class LaneSupervisor {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly held = new Set<string>();
  private wakers = new Set<() => void>();

  constructor(private readonly options: LaneSupervisorOptions) {}

  start(): void {
    for (const lane of this.options.lanes) this.loops.push(this.runLane(lane));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.loops);
  }

  /** New work may be there: idle lanes look now. */
  wake(): void {
    const wakers = this.wakers;
    this.wakers = new Set();
    for (const wake of wakers) wake();
  }

  activity(): LaneActivity[] {
    return this.options.lanes.map((lane) => ({
      publicKey: lane.publicKey,
      drivenHere: this.held.has(lane.publicKey),
    }));
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.idleMs);
      this.wakers.add(done);
    });
  }

  private async runLane(lane: SignerLane): Promise<void> {
    const { pool, log } = this.options;
    await pool.query(
      `INSERT INTO ${S}.signer_lanes (public_key, account_id) VALUES ($1, $2)
       ON CONFLICT (public_key) DO NOTHING`,
      [lane.publicKey, lane.accountId],
    );
    while (!this.stopping) {
      let session: Client | undefined;
      let lost = false;
      try {
        session = new Client(this.options.connection);
        session.on('error', () => (lost = true));
        await session.connect();
        const { rows } = await session.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
          [`near-settlement:lane:${lane.publicKey}`],
        );
        if (!rows[0].locked) {
          await session.end().catch(() => undefined);
          session = undefined;
          await this.idle();
          continue;
        }
        this.held.add(lane.publicKey);
        log.log({ lane: lane.publicKey }, 'driving signer lane');
        await this.driveLane(lane, () => this.stopping || lost);
      } catch (error) {
        log.error({ err: error, lane: lane.publicKey }, 'signer lane stopped; retrying');
        await sleep(this.options.idleMs);
      } finally {
        this.held.delete(lane.publicKey);
        await session?.end().catch(() => undefined);
      }
    }
  }

  private async driveLane(lane: SignerLane, shouldStop: () => boolean): Promise<void> {
    while (!shouldStop()) {
      const next = await this.nextPayout(lane);
      if (!next) {
        await this.idle();
        continue;
      }
      await this.options.driver.drive(lane, next.payout_id, shouldStop);
    }
  }

  /** Resume first (signed/broadcast), then this lane's claimed work, then claim the oldest unclaimed. */
  private async nextPayout(lane: SignerLane): Promise<Pick<PayoutRow, 'payout_id'> | undefined> {
    const { pool } = this.options;
    const own = await pool.query<Pick<PayoutRow, 'payout_id'>>(
      `SELECT payout_id FROM ${S}.payouts
       WHERE treasury_account_id = $1 AND lane = $2 AND status IN ('requested', 'signed', 'broadcast')
       ORDER BY (status = 'requested'), seq LIMIT 1`,
      [lane.accountId, lane.publicKey],
    );
    if (own.rows[0]) return own.rows[0];
    const claimed = await pool.query<Pick<PayoutRow, 'payout_id'>>(
      `UPDATE ${S}.payouts SET lane = $2
       WHERE payout_id = (
         SELECT payout_id FROM ${S}.payouts p
         WHERE treasury_account_id = $1 AND lane IS NULL AND status = 'requested'
           -- one attempt of a disbursement at a time: not while another may still land, and
           -- not before an earlier attempt has finished
           AND NOT EXISTS (
             SELECT 1 FROM ${S}.payouts o
             WHERE o.disbursement_id = p.disbursement_id AND o.payout_id <> p.payout_id
               AND (o.status IN ('signed', 'broadcast')
                    OR (o.status = 'requested' AND o.attempt < p.attempt)))
         ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING payout_id`,
      [lane.accountId, lane.publicKey],
    );
    return claimed.rows[0];
  }
}
