/** The stream was not at the expected version; nothing was written. Map to HTTP 409. */
export class StreamVersionConflictError extends Error {
  readonly code = 'stream_version_conflict';
  constructor(
    readonly streamId: string,
    readonly expected: number | 'no_stream' | 'any',
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, actual ${actual}`);
    this.name = 'StreamVersionConflictError';
  }
}

/**
 * Some, but not all, event ids of a batch are already in the stream: the batch is neither new
 * nor a retry of an earlier append. Nothing was written.
 */
export class PartialDuplicateAppendError extends Error {
  readonly code = 'partial_duplicate_append';
  constructor(
    readonly streamId: string,
    readonly duplicateEventIds: string[],
  ) {
    super(`stream ${streamId}: batch partly appended already (${duplicateEventIds.join(', ')})`);
    this.name = 'PartialDuplicateAppendError';
  }
}
