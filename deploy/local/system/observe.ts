/**
 * Collectors for the invariant checker: consumer-group lag from Kafka, hash chains from each
 * service's event store, balance growth from the chain.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { verifyHashChains } from '@lib/event-store';
import type { AuditObservation, ChainObservation, LagObservation } from './invariants';
import { nearBalance, tokenBalance } from './near-rpc';

/**
 * Lag of every consumer group (optionally only those `include` accepts) on every topic it has
 * committed offsets for: high watermark − committed offset per partition. A partition the group
 * never committed on (or reset to "earliest", offset -2) counts from the low watermark.
 */
export async function consumerLag(
  brokers: string,
  include: (group: string) => boolean = () => true,
): Promise<LagObservation[]> {
  const kafka = new Kafka({
    clientId: 'invariant-checker',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const lags: LagObservation[] = [];
    for (const { groupId } of groups.filter((g) => include(g.groupId))) {
      lags.push(...(await groupLag(admin, groupId)));
    }
    return lags;
  } finally {
    await admin.disconnect();
  }
}

async function groupLag(admin: Admin, groupId: string): Promise<LagObservation[]> {
  const committed = await admin.fetchOffsets({ groupId });
  const lags: LagObservation[] = [];
  for (const { topic, partitions } of committed) {
    // Negative offsets are markers, not positions (-1 none committed, -2 "earliest" after a reset).
    if (partitions.every((p) => p.offset === '-1')) continue; // never committed anything
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      const mine = partitions.find((p) => p.partition === end.partition);
      const offset = mine && !mine.offset.startsWith('-') ? BigInt(mine.offset) : BigInt(end.low);
      const lag = BigInt(end.high) - offset;
      lags.push({ group: groupId, topic, partition: end.partition, lag: lag > 0n ? lag : 0n });
    }
  }
  return lags;
}

/** The event-store schemas of the database (every schema with `events` and `streams` tables). */
export async function eventStoreSchemas(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ schema: string }>(
    `SELECT table_schema AS schema FROM information_schema.tables
      WHERE table_name IN ('events', 'streams')
      GROUP BY table_schema HAVING count(*) = 2 ORDER BY 1`,
  );
  return rows.map((r) => r.schema);
}

/** `verifyHashChains` over every event-store schema of `databaseUrl`. */
export async function auditChains(databaseUrl: string): Promise<AuditObservation[]> {
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => undefined); // an idle connection lost while checking is not a finding
  try {
    const result: AuditObservation[] = [];
    for (const schema of await eventStoreSchemas(pool)) {
      const report = await verifyHashChains(pool, schema);
      result.push({ schema, streamsChecked: report.streamsChecked, broken: report.broken });
    }
    return result;
  } finally {
    await pool.end();
  }
}

/** An asset as the chain knows it: native NEAR or a NEP-141 contract. */
export type ChainAsset = { symbol: string; contractId?: string };

/** Balances of (receiver, asset) pairs now, to diff against a later reading. */
export async function readBalances(
  rpcUrl: string,
  pairs: { receiver: string; asset: ChainAsset }[],
): Promise<Map<string, bigint>> {
  const balances = new Map<string, bigint>();
  for (const { receiver, asset } of pairs) {
    const value = asset.contractId
      ? await tokenBalance(rpcUrl, asset.contractId, receiver)
      : ((await nearBalance(rpcUrl, receiver)) ?? 0n);
    balances.set(`${receiver}\u0000${asset.symbol}`, value);
  }
  return balances;
}

/** Growth per pair between two readings of {@link readBalances}. */
export function balanceDeltas(
  before: Map<string, bigint>,
  after: Map<string, bigint>,
): ChainObservation[] {
  return [...after].map(([k, value]) => {
    const [receiver, asset] = k.split('\u0000');
    return { receiver, asset, delta: value - (before.get(k) ?? 0n) };
  });
}

/**
 * Which OS process holds PostgreSQL advisory locks (the relays', projections' and signer lanes'
 * "one active replica" locks): per holder pid, how many. Maps each lock session's client port to
 * the local process that owns the socket (`ss -tnp`).
 */
export async function advisoryLockHolders(databaseUrl: string): Promise<Map<number, number>> {
  const url = new URL(databaseUrl);
  const client = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const { rows } = await client.query<{ port: number; locks: number }>(
      `SELECT a.client_port AS port, count(*)::int AS locks
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()
        GROUP BY a.client_port`,
    );
    const { stdout } = await promisify(execFile)('ss', ['-tnpH', `dport = :${url.port || '5432'}`]);
    const ownerOfPort = new Map<number, number>();
    for (const line of stdout.split('\n')) {
      const match = /127\.0\.0\.1:(\d+)\s+\S+\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
      if (match) ownerOfPort.set(Number(match[1]), Number(match[2]));
    }
    const holders = new Map<number, number>();
    for (const row of rows) {
      const pid = ownerOfPort.get(row.port);
      if (pid !== undefined) holders.set(pid, (holders.get(pid) ?? 0) + row.locks);
    }
    return holders;
  } finally {
    await client.end();
  }
}
