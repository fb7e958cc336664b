import type { PoolClient } from 'pg';
import type { ReadStreamsIn } from './event-store.module';
import type { StoredEvent } from './types';

/** What {@link foldBatch} needs: the aggregate's own fold, and how to read the missing history. */
export interface FoldBatchOptions<State, Event> {
  /** The aggregate's `evolve`; it receives the stored events (upcast) typed as its events. */
  evolve: (state: State, event: Event) => State;
  initialState: () => State;
  /** Reads the history a batch lacks, in one call for the whole batch. */
  readStreams: ReadStreamsIn;
  /** The batch transaction's client, handed to `readStreams`. */
  client: PoolClient;
}

/** One stream of a batch, folded up to its last event in the batch. */
export interface FoldedStream<State> {
  streamId: string;
  state: State;
  /** Stream version of the last event folded. */
  version: number;
}

/**
 * Folds every stream a projection batch touches, up to its last event in the batch, with the
 * aggregate's own `evolve` from `initialState`, so a read-model row never disagrees with the
 * aggregate's rules. A stream whose whole history (versions 1..n) is in the batch is folded from
 * the batch; the others are read up to their last event in the batch, all in one `readStreams`
 * call with the batch's client. Streams come back in the order the batch first touches them; a
 * stream the read does not return (none in a consistent store) is left out.
 */
export async function foldBatch<State, Event>(
  events: readonly StoredEvent[],
  options: FoldBatchOptions<State, Event>,
): Promise<FoldedStream<State>[]> {
  const byStream = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const list = byStream.get(event.streamId);
    if (list) list.push(event);
    else byStream.set(event.streamId, [event]);
  }
  const histories = new Map<string, StoredEvent[]>();
  const toRead: { streamId: string; toVersion: number }[] = [];
  for (const [streamId, list] of byStream) {
    const sorted = [...list].sort((a, b) => a.streamVersion - b.streamVersion);
    if (sorted.every((event, i) => event.streamVersion === i + 1)) histories.set(streamId, sorted);
    else toRead.push({ streamId, toVersion: sorted[sorted.length - 1].streamVersion });
  }
  if (toRead.length > 0) {
    for (const [streamId, history] of await options.readStreams(toRead, options.client)) {
      histories.set(streamId, history);
    }
  }
  const folded: FoldedStream<State>[] = [];
  for (const streamId of byStream.keys()) {
    const history = histories.get(streamId);
    if (!history || history.length === 0) continue;
    let state = options.initialState();
    for (const event of history) state = options.evolve(state, event as unknown as Event);
    folded.push({ streamId, state, version: history[history.length - 1].streamVersion });
  }
  return folded;
}
