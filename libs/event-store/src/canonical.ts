import { createHash } from 'node:crypto';

/** Hash that precedes the first event of every stream (32 zero bytes). */
export const GENESIS_HASH: Buffer = Buffer.alloc(32);

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as RFC 8785), no whitespace, scalars as
 * `JSON.stringify` writes them. `undefined` object members are dropped, like JSON.
 * Two values that store to the same jsonb produce the same string.
 */
export function canonicalJson(value: unknown): string {
  const text = write(value);
  if (text === undefined) throw new TypeError('value is not representable as JSON');
  return text;
}

function write(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return write((value as { toJSON: () => unknown }).toJSON());
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // JSON has no NaN/Infinity; refuse instead of silently storing null.
      if (!Number.isFinite(value)) throw new TypeError(`non-finite number in event: ${value}`);
      return JSON.stringify(value);
    case 'bigint':
      throw new TypeError('bigint is not JSON; store amounts as decimal strings');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
      const record = value as Record<string, unknown>;
      const members: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const member = write(record[key]);
        if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
      }
      return `{${members.join(',')}}`;
    }
  }
}

/** The stored fields of one event that its hash covers. */
export interface HashedEventFields {
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  correlationId: string;
  causationId: string | null;
  actor: string;
  /** ISO-8601 with milliseconds, as `Date.prototype.toISOString` writes it. */
  occurredAt: string;
}

/** The canonical JSON of an event's stored fields: the bytes its hash covers (after prevHash). */
export function canonicalEvent(fields: HashedEventFields): string {
  return canonicalJson(fields);
}

/**
 * The canonical event split around the stream version, which the store only learns while it holds
 * the stream lock: `head + String(streamVersion) + tail === canonicalEvent(fields)`.
 */
export function canonicalEventParts(fields: Omit<HashedEventFields, 'streamVersion'>): {
  head: string;
  tail: string;
} {
  return canonicalEventPartsWithData(fields, canonicalJson(fields.data));
}

/**
 * {@link canonicalEventParts} with `data` already in canonical JSON (`canonicalData`), so the
 * append path serializes each payload once. Keys are written in sorted order by hand; the unit
 * test checks this against {@link canonicalEvent}.
 */
export function canonicalEventPartsWithData(
  fields: Omit<HashedEventFields, 'streamVersion' | 'data'>,
  canonicalData: string,
): { head: string; tail: string } {
  const str = JSON.stringify;
  if (!Number.isFinite(fields.schemaVersion)) throw new TypeError('schemaVersion must be finite');
  return {
    head:
      `{"actor":${str(fields.actor)},"causationId":${fields.causationId === null ? 'null' : str(fields.causationId)}` +
      `,"correlationId":${str(fields.correlationId)},"data":${canonicalData},"eventId":${str(fields.eventId)}` +
      `,"occurredAt":${str(fields.occurredAt)},"schemaVersion":${str(fields.schemaVersion)}` +
      `,"streamId":${str(fields.streamId)},"streamVersion":`,
    tail: `,"type":${str(fields.type)}}`,
  };
}

/** sha256(prevHash || utf8(canonicalEvent)). */
export function chainHash(prevHash: Buffer, canonical: string): Buffer {
  return createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}
