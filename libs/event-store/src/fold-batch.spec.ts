import type { PoolClient } from 'pg';
import { foldBatch } from './fold-batch';
import type { StoredEvent } from './types';

// A counter aggregate: every event adds its `n`; the fold also records the versions it saw, so a
// test sees exactly which events were folded and in which order.
interface Counter {
  total: number;
  versions: number[];
}
type Added = { type: 'Added'; data: { n: number }; streamVersion: number };
const evolve = (state: Counter, event: Added): Counter => ({
  total: state.total + event.data.n,
  versions: [...state.versions, event.streamVersion],
});
const initialState = (): Counter => ({ total: 0, versions: [] });

let position = 0;
const added = (streamId: string, streamVersion: number, n = streamVersion): StoredEvent => ({
  eventId: `${streamId}-${streamVersion}`,
  type: 'Added',
  schemaVersion: 1,
  streamId,
  streamVersion,
  globalPosition: String(++position),
  transactionId: '1',
  data: { n },
  metadata: { correlationId: 'c', causationId: null, actor: 'test', occurredAt: new Date(0) },
  recordedAt: new Date(0),
  hash: '',
});
const history = (streamId: string, toVersion: number) =>
  Array.from({ length: toVersion }, (_, i) => added(streamId, i + 1));

/** A store of the given streams; records every read. */
function store(streams: Record<string, StoredEvent[]>) {
  const reads: { ranges: { streamId: string; toVersion: number }[]; client: PoolClient }[] = [];
  const readStreams = (
    ranges: readonly { streamId: string; toVersion: number }[],
    client: PoolClient,
  ) => {
    reads.push({ ranges: [...ranges], client });
    const result = new Map<string, StoredEvent[]>();
    for (const { streamId, toVersion } of ranges) {
      const events = (streams[streamId] ?? []).filter((e) => e.streamVersion <= toVersion);
      if (events.length > 0) result.set(streamId, events);
    }
    return Promise.resolve(result);
  };
  return { readStreams, reads };
}

const client = { batch: true } as unknown as PoolClient;

describe('foldBatch', () => {
  it('folds a stream whose whole history is in the batch without reading', async () => {
    const { readStreams, reads } = store({});
    const folded = await foldBatch(history('a', 3), { evolve, initialState, readStreams, client });
    expect(folded).toEqual([
      { streamId: 'a', state: { total: 6, versions: [1, 2, 3] }, version: 3 },
    ]);
    expect(reads).toEqual([]);
  });

  it('reads the history of every stream the batch holds only a tail of, in one call with the batch client, up to its last event in the batch', async () => {
    const a = history('a', 5);
    const b = history('b', 4);
    const { readStreams, reads } = store({ a, b });
    const batch = [a[2], b[1], a[3], b[2]]; // a: 3–4, b: 2–3 (later events of both exist)
    const folded = await foldBatch(batch, { evolve, initialState, readStreams, client });
    expect(reads).toEqual([
      {
        ranges: [
          { streamId: 'a', toVersion: 4 },
          { streamId: 'b', toVersion: 3 },
        ],
        client,
      },
    ]);
    expect(folded).toEqual([
      { streamId: 'a', state: { total: 10, versions: [1, 2, 3, 4] }, version: 4 },
      { streamId: 'b', state: { total: 6, versions: [1, 2, 3] }, version: 3 },
    ]);
  });

  it('folds from the batch and from the store in one batch, in the order the batch first touches them', async () => {
    const old = history('old', 3);
    const { readStreams, reads } = store({ old });
    const fresh = history('new', 2);
    const folded = await foldBatch([old[2], fresh[0], fresh[1]], {
      evolve,
      initialState,
      readStreams,
      client,
    });
    expect(reads.map((r) => r.ranges)).toEqual([[{ streamId: 'old', toVersion: 3 }]]);
    expect(folded.map((f) => [f.streamId, f.version, f.state.versions])).toEqual([
      ['old', 3, [1, 2, 3]],
      ['new', 2, [1, 2]],
    ]);
  });

  it('folds a stream in version order whatever the order in the batch', async () => {
    const [e1, e2, e3] = history('a', 3);
    const { readStreams, reads } = store({});
    const folded = await foldBatch([e3, e1, e2], { evolve, initialState, readStreams, client });
    expect(reads).toEqual([]);
    expect(folded[0]).toMatchObject({ state: { versions: [1, 2, 3] }, version: 3 });
  });

  it('reads a stream whose batch events have a gap (1 and 3 of 3)', async () => {
    const a = history('a', 3);
    const { readStreams, reads } = store({ a });
    const folded = await foldBatch([a[0], a[2]], { evolve, initialState, readStreams, client });
    expect(reads.map((r) => r.ranges)).toEqual([[{ streamId: 'a', toVersion: 3 }]]);
    expect(folded[0]).toMatchObject({ state: { versions: [1, 2, 3] }, version: 3 });
  });

  it('leaves out a stream the read does not return, and folds nothing for an empty batch', async () => {
    const { readStreams, reads } = store({});
    expect(
      await foldBatch([added('gone', 2)], { evolve, initialState, readStreams, client }),
    ).toEqual([]);
    expect(await foldBatch([], { evolve, initialState, readStreams, client })).toEqual([]);
    expect(reads).toHaveLength(1);
  });
});
