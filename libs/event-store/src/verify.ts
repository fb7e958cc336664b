import { quoteIdent } from '@lib/platform';
import type { Pool } from 'pg';
import { GENESIS_HASH, canonicalEvent, chainHash } from './canonical';
import type { EventRow } from './postgres-event-store';

/** The first broken link of one stream. */
export interface BrokenLink {
  streamId: string;
  streamVersion: number;
  reason: string;
}

/** Result of {@link verifyHashChains}. */
export interface VerifyReport {
  streamsChecked: number;
  eventsChecked: number;
  broken: BrokenLink[];
}

interface StreamState {
  streamId: string;
  version: number;
  hash: Buffer;
  broken: boolean;
}

/** An event row with its stored chain link and the stream's head, as the verify query reads it. */
interface VerifyRow extends Omit<EventRow, 'global_position' | 'transaction_id' | 'recorded_at'> {
  prev_hash: Buffer;
  head_version: string | null;
  head_hash: Buffer | null;
}

/**
 * Walks every stream's hash chain in `schema` and recomputes each hash from the stored fields
 * (independently of the SQL that wrote it). Reports the first broken link per stream: a version
 * gap, a `prev_hash` that is not the previous hash, a hash that does not match the content, or a
 * stream head (`streams.version`/`last_hash`) that disagrees with the last event.
 */
export async function verifyHashChains(
  pool: Pool,
  schema: string,
  options: { pageSize?: number } = {},
): Promise<VerifyReport> {
  const s = quoteIdent(schema);
  const pageSize = options.pageSize ?? 2000;
  const report: VerifyReport = { streamsChecked: 0, eventsChecked: 0, broken: [] };

  let current = null as StreamState | null;
  let head: { version: string | null; hash: Buffer | null } = { version: null, hash: null };
  const finishStream = (): void => {
    if (!current) return;
    report.streamsChecked++;
    if (!current.broken) {
      if (head.version === null) {
        report.broken.push({
          streamId: current.streamId,
          streamVersion: current.version,
          reason: 'stream row missing',
        });
      } else if (Number(head.version) !== current.version) {
        report.broken.push({
          streamId: current.streamId,
          streamVersion: current.version + 1,
          reason: `stream is at version ${head.version} but its last event is ${current.version}`,
        });
      } else if (!head.hash?.equals(current.hash)) {
        report.broken.push({
          streamId: current.streamId,
          streamVersion: current.version,
          reason: 'streams.last_hash differs from the last event hash',
        });
      }
    }
    current = null;
  };

  let after: [string, string] | null = null;
  for (;;) {
    const page = await pool.query<VerifyRow>(
      `SELECT e.stream_id, e.stream_version, e.event_id, e.type, e.schema_version, e.data,
              e.correlation_id, e.causation_id, e.actor, e.occurred_at, e.prev_hash, e.hash,
              st.version AS head_version, st.last_hash AS head_hash
       FROM ${s}.events e LEFT JOIN ${s}.streams st ON st.stream_id = e.stream_id
       WHERE $1::text IS NULL OR (e.stream_id, e.stream_version) > ($1::text, $2::bigint)
       ORDER BY e.stream_id, e.stream_version LIMIT $3`,
      [after?.[0] ?? null, after?.[1] ?? null, pageSize],
    );
    const rows: VerifyRow[] = page.rows;
    for (const row of rows) {
      report.eventsChecked++;
      const version = Number(row.stream_version);
      if (current?.streamId !== row.stream_id) {
        finishStream();
        current = { streamId: row.stream_id, version: 0, hash: GENESIS_HASH, broken: false };
        head = { version: row.head_version, hash: row.head_hash };
      }
      const stream: StreamState = current;
      if (stream.broken) continue;
      const reason = checkLink(stream, version, row);
      if (reason) {
        stream.broken = true;
        report.broken.push({ streamId: row.stream_id, streamVersion: version, reason });
        continue;
      }
      stream.version = version;
      stream.hash = row.hash;
    }
    if (rows.length < pageSize) break;
    const last: VerifyRow = rows[rows.length - 1];
    after = [last.stream_id, last.stream_version];
  }
  finishStream();

  const { rows: orphans } = await pool.query<{ stream_id: string; version: string }>(
    `SELECT st.stream_id, st.version FROM ${s}.streams st
     WHERE NOT EXISTS (SELECT 1 FROM ${s}.events e WHERE e.stream_id = st.stream_id)
     ORDER BY st.stream_id`,
  );
  for (const orphan of orphans) {
    report.streamsChecked++;
    report.broken.push({
      streamId: orphan.stream_id,
      streamVersion: 1,
      reason: `stream is at version ${orphan.version} but has no events`,
    });
  }
  return report;
}

function checkLink(
  stream: { version: number; hash: Buffer },
  version: number,
  row: VerifyRow,
): string | null {
  if (version !== stream.version + 1) {
    return `expected version ${stream.version + 1}, found ${version}`;
  }
  if (!row.prev_hash.equals(stream.hash)) return 'prev_hash is not the hash of the previous event';
  const expected = chainHash(
    stream.hash,
    canonicalEvent({
      streamId: row.stream_id,
      streamVersion: version,
      eventId: row.event_id,
      type: row.type,
      schemaVersion: row.schema_version,
      data: row.data,
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      actor: row.actor,
      occurredAt: row.occurred_at.toISOString(),
    }),
  );
  return expected.equals(row.hash) ? null : 'hash does not match the stored event';
}
