import {
  type ContractRegistry,
  deadLetterTopic,
  type IntegrationEnvelope,
  parseIntegrationEvent,
} from '@lib/contracts';
import { counter, metrics, withCorrelationId } from '@lib/platform';
import {
  type Consumer,
  type ConsumerConfig,
  type EachMessagePayload,
  type IHeaders,
  type Kafka,
  type Logger,
  type Producer,
} from 'kafkajs';
import {
  type BackoffPolicy,
  computeBackoffMs,
  DEFAULT_BACKOFF,
  sleepWithHeartbeat,
} from './backoff';
import {
  DEAD_LETTER_HEADERS,
  type DeadLetterReason,
  decodeHeaders,
  describeError,
} from './headers';
import { createProducer, ensureTopics, type EnsureTopicsOptions } from './kafka';

/** Where the message being handled came from, and which attempt this is (1-based). */
export interface IntegrationEventContext {
  topic: string;
  partition: number;
  /** Kafka offset (a decimal string: offsets are int64). */
  offset: string;
  attempt: number;
  key: string | null;
  headers: Record<string, string>;
}

/** Handles one parsed integration event; a rejection means "retry, then dead-letter" (per policy). */
export type IntegrationEventHandler = (
  envelope: IntegrationEnvelope,
  ctx: IntegrationEventContext,
) => Promise<void>;

/** What was dead-lettered and why (for metrics and alerts). */
export interface DeadLetterInfo {
  topic: string;
  partition: number;
  offset: string;
  reason: DeadLetterReason;
  attempts: number;
  error: string;
}

/**
 * What happens when a topic's handler keeps failing (a parse/contract failure always goes straight
 * to the dead-letter topic, whatever the policy):
 * - `dead-letter` (default): after `maxAttempts`, write the message to `<topic>.dlq`, commit, move on.
 * - `retry-forever`: retry with capped exponential backoff (at most {@link RETRY_FOREVER_MAX_BACKOFF_MS}
 *   between attempts) until it succeeds; the message is never dead-lettered nor committed past, so
 *   the partition waits behind it (money paths: dropping an event is worse than stalling).
 */
export type HandlerFailurePolicy = 'dead-letter' | 'retry-forever';

const HANDLER_FAILURE_POLICIES: readonly HandlerFailurePolicy[] = ['dead-letter', 'retry-forever'];

/** A policy for every topic, or one per topic (topics not listed use `dead-letter`). */
export type HandlerFailurePolicies =
  HandlerFailurePolicy | Readonly<Partial<Record<string, HandlerFailurePolicy>>>;

/** Upper bound of the wait between two attempts under `retry-forever`. */
export const RETRY_FOREVER_MAX_BACKOFF_MS = 30_000;

const blockedRetries = counter(
  'consumer_blocked_retries_total',
  'Failed handler attempts of a retry-forever topic: its partition waits behind the message',
  ['group', 'topic'],
);

/**
 * Resolves `policies` for each of `topics`; throws on an unknown policy or on a per-topic entry
 * for a topic that is not consumed (a typo would silently leave a money topic on `dead-letter`).
 */
export function resolveHandlerFailurePolicies(
  topics: readonly string[],
  policies: HandlerFailurePolicies | undefined,
): Map<string, HandlerFailurePolicy> {
  const check = (policy: unknown, where: string): HandlerFailurePolicy => {
    if (!HANDLER_FAILURE_POLICIES.includes(policy as HandlerFailurePolicy)) {
      throw new RangeError(`unknown handler failure policy ${String(policy)} for ${where}`);
    }
    return policy as HandlerFailurePolicy;
  };
  const resolved = new Map<string, HandlerFailurePolicy>();
  if (policies === undefined || typeof policies === 'string') {
    const policy = check(policies ?? 'dead-letter', 'all topics');
    for (const topic of topics) resolved.set(topic, policy);
    return resolved;
  }
  for (const topic of Object.keys(policies)) {
    if (!topics.includes(topic)) {
      throw new RangeError(
        `handler failure policy given for topic ${topic}, which is not consumed`,
      );
    }
  }
  for (const topic of topics) {
    resolved.set(topic, check(policies[topic] ?? 'dead-letter', `topic ${topic}`));
  }
  return resolved;
}

/** Options for {@link IntegrationEventConsumer}. */
export interface IntegrationEventConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  registry: ContractRegistry;
  handle: IntegrationEventHandler;
  /** Handler attempts per message before it is dead-lettered (`dead-letter` policy). Default 5. */
  maxAttempts?: number;
  /** What a handler that keeps failing leads to, for all or per topic. Default `dead-letter`. */
  handlerFailurePolicy?: HandlerFailurePolicies;
  /** Waits between attempts. Default 0.5 s doubling up to 30 s. */
  backoff?: Partial<BackoffPolicy>;
  /** Where a group without committed offsets starts. Default true: a new service sees history. */
  fromBeginning?: boolean;
  /** Create the topics and their dead-letter topics on start. Default true. */
  ensureTopics?: boolean | EnsureTopicsOptions;
  /** Partitions handled in parallel (order is per partition either way). Default 1. */
  partitionsConsumedConcurrently?: number;
  /** kafkajs consumer settings (session timeout, heartbeat interval, fetch sizes…). */
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
  /** Called after a message was written to its dead-letter topic. Must not throw. */
  onDeadLetter?: (info: DeadLetterInfo) => void;
}

/**
 * Consumes integration events with at-least-once delivery and a bounded failure path.
 *
 * Per message, in partition order: parse against the contracts registry (a parse failure goes
 * straight to `<topic>.dlq`); run `handle` inside the event's correlation id; on failure retry
 * in-process with exponential backoff (heartbeating meanwhile) up to `maxAttempts`; then write the
 * original record plus `dlq-*` headers to `<topic>.dlq` (acks -1). Only after the handler
 * succeeded or the dead letter was written is the offset committed, so an event is never dropped
 * and a poison message never blocks its partition for more than the retry budget.
 *
 * `stop()` lets an in-flight handler finish (and commit), abandons messages waiting for a retry
 * (uncommitted: the next owner of the partition gets them again), then leaves the group.
 * Handlers must be idempotent (see `withInbox` in `@lib/event-store`).
 *
 * Topics with the `retry-forever` {@link HandlerFailurePolicy} never dead-letter a handler failure:
 * the message is retried (backoff capped at 30 s, heartbeating, an error logged and
 * `consumer_blocked_retries_total` counted per failure) until the handler succeeds, and only then
 * committed, so messages behind it on its partition wait, in order.
 */
export class IntegrationEventConsumer {
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly heartbeatMs: number;
  private readonly log: Logger;
  private readonly policies: Map<string, HandlerFailurePolicy>;
  private consumer?: Consumer;
  private producer?: Producer;
  private abort = new AbortController();
  private stopping = false;
  private stopped?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private recovering?: Promise<void>;

  constructor(private readonly options: IntegrationEventConsumerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError('maxAttempts must be a positive integer');
    }
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    computeBackoffMs(1, this.backoff); // validates the policy now rather than on first failure
    this.policies = resolveHandlerFailurePolicies(options.topics, options.handlerFailurePolicy);
    this.heartbeatMs = Math.max(options.consumerConfig?.heartbeatInterval ?? 3000, 100);
    this.log = options.kafka.logger().namespace('IntegrationEventConsumer');
  }

  /** Creates topics (unless disabled), connects, joins the group and starts consuming. */
  async start(): Promise<void> {
    if (this.consumer) throw new Error('consumer already started');
    const { kafka, topics } = this.options;
    this.stopping = false;
    this.stopped = undefined;
    this.abort = new AbortController();
    if (this.options.ensureTopics !== false) {
      await ensureTopics(
        kafka,
        topics,
        typeof this.options.ensureTopics === 'object' ? this.options.ensureTopics : {},
      );
    }
    try {
      await this.connectAndRun();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** A fresh producer and consumer: connect, subscribe, run. */
  private async connectAndRun(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const producer = createProducer(kafka);
    const consumer = kafka.consumer({
      ...this.options.consumerConfig,
      groupId,
      allowAutoTopicCreation: false,
    });
    this.producer = producer;
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      this.log.error('consumer crashed', {
        groupId,
        error: describeError(event.payload.error),
        restart: event.payload.restart,
      });
      // kafkajs gives up on a non-retriable error (e.g. "Failed to find group coordinator" while
      // the broker restarts) and leaves the consumer disconnected: the process would live on and
      // consume nothing. Restart it ourselves, unless we are stopping.
      if (!event.payload.restart && this.consumer === consumer) this.recover();
    });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({
      topics: [...topics],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: (payload) => this.track(this.onMessage(payload)),
    });
  }

  /**
   * After a crash kafkajs does not restart from: new clients, retried with backoff (1 s doubling,
   * capped at 30 s) until they run or `stop()` is called. Uncommitted messages are delivered
   * again to whoever owns their partitions (handlers are idempotent).
   */
  private recover(): void {
    if (this.stopping || this.recovering) return;
    const { groupId } = this.options;
    this.recovering = (async () => {
      for (let attempt = 1; !this.stopping; attempt++) {
        const waitMs = Math.min(1000 * 2 ** (attempt - 1), 30_000);
        if (!(await sleepWithHeartbeat(waitMs, this.abort.signal, async () => {}, waitMs))) return;
        await Promise.allSettled([...this.inFlight]);
        await this.disconnectClients();
        if (this.stopping) return;
        try {
          await this.connectAndRun();
          metrics.consumerRestart(groupId);
          this.log.warn('consumer restarted after a crash', { groupId, attempt });
          return;
        } catch (error) {
          this.log.error('consumer restart failed; trying again', {
            groupId,
            attempt,
            error: describeError(error),
          });
        }
      }
    })().finally(() => {
      this.recovering = undefined;
    });
  }

  private async disconnectClients(): Promise<void> {
    const { consumer, producer } = this;
    this.consumer = undefined;
    this.producer = undefined;
    await consumer?.disconnect().catch((error: unknown) => {
      this.log.warn('consumer disconnect failed', { error: describeError(error) });
    });
    await producer?.disconnect().catch((error: unknown) => {
      this.log.warn('producer disconnect failed', { error: describeError(error) });
    });
  }

  /**
   * Stops consuming: waits for in-flight handlers (their offsets are committed if they succeed),
   * abandons retries and dead-letter writes in progress without committing, leaves the group
   * and disconnects. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.recovering; // a restart in progress finishes (or gives up) first
    await Promise.allSettled([...this.inFlight]);
    await this.disconnectClients();
  }

  private async track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async onMessage(payload: EachMessagePayload): Promise<void> {
    // Returning without a commit leaves the offset for whoever owns the partition next.
    if (this.stopping) return;
    const { topic, partition, message } = payload;
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const base = {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString('utf8') : null,
      headers: decodeHeaders(message.headers),
    };

    let envelope: IntegrationEnvelope;
    try {
      envelope = parseIntegrationEvent(this.options.registry, message.value);
    } catch (error) {
      if (await this.deadLetter(payload, error, 0, 'unparseable')) await this.commit(payload);
      return;
    }

    const retryForever = this.policies.get(topic) === 'retry-forever';
    let lastError: unknown;
    for (let attempt = 1; retryForever || attempt <= this.maxAttempts; attempt++) {
      const outcome = await this.runHandler(envelope, { ...base, attempt }, heartbeat);
      if (outcome.ok) {
        await this.commit(payload);
        return;
      }
      lastError = outcome.error;
      metrics.consumerRetry(this.options.groupId, topic);
      const details = {
        topic,
        partition,
        offset: message.offset,
        eventId: envelope.eventId,
        type: envelope.type,
        attempt,
        error: describeError(outcome.error),
      };
      if (retryForever) {
        blockedRetries.inc({ group: this.options.groupId, topic });
        this.log.error('integration event handler failed; partition blocked, retrying', {
          ...details,
          policy: 'retry-forever',
        });
      } else {
        this.log.warn('integration event handler failed', {
          ...details,
          maxAttempts: this.maxAttempts,
        });
      }
      // Our partitions may have moved to another member: let kafkajs rejoin; the message is
      // uncommitted, so its new owner handles it.
      if (outcome.membershipError) throw outcome.membershipError;
      if (this.stopping) return;
      if (retryForever || attempt < this.maxAttempts) {
        const waitMs = computeBackoffMs(attempt, this.backoff);
        const waited = await sleepWithHeartbeat(
          retryForever ? Math.min(waitMs, RETRY_FOREVER_MAX_BACKOFF_MS) : waitMs,
          this.abort.signal,
          heartbeat,
          this.heartbeatMs,
        );
        if (!waited) return;
      }
    }
    if (await this.deadLetter(payload, lastError, this.maxAttempts, 'handler-failed')) {
      await this.commit(payload);
    }
  }

  /** Runs the handler once, heartbeating while it runs so a slow handler keeps the membership. */
  private async runHandler(
    envelope: IntegrationEnvelope,
    ctx: IntegrationEventContext,
    heartbeat: () => Promise<void>,
  ): Promise<{ ok: true } | { ok: false; error: unknown; membershipError?: Error }> {
    let membershipError: Error | undefined;
    const ticker = setInterval(() => {
      heartbeat().catch((error: unknown) => {
        membershipError ??= error instanceof Error ? error : new Error(String(error));
      });
    }, this.heartbeatMs);
    try {
      await withCorrelationId(envelope.correlationId, async () =>
        this.options.handle(envelope, ctx),
      );
      return { ok: true };
    } catch (error) {
      return { ok: false, error, membershipError };
    } finally {
      clearInterval(ticker);
    }
  }

  /**
   * Writes the original record to `<topic>.dlq`, retrying until it is acknowledged by all
   * in-sync replicas. Returns false when stopped first (nothing may be committed then).
   */
  private async deadLetter(
    payload: EachMessagePayload,
    error: unknown,
    attempts: number,
    reason: DeadLetterReason,
  ): Promise<boolean> {
    const { topic, partition, message } = payload;
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const errorText = describeError(error);
    const headers: IHeaders = {
      ...message.headers,
      [DEAD_LETTER_HEADERS.error]: errorText,
      [DEAD_LETTER_HEADERS.attempts]: String(attempts),
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.originalTopic]: topic,
      [DEAD_LETTER_HEADERS.originalPartition]: String(partition),
      [DEAD_LETTER_HEADERS.originalOffset]: message.offset,
      [DEAD_LETTER_HEADERS.consumerGroup]: this.options.groupId,
      [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
    };
    for (let write = 1; ; write++) {
      if (this.stopping || !this.producer) return false;
      try {
        await this.producer.send({
          topic: deadLetterTopic(topic),
          acks: -1,
          messages: [{ key: message.key, value: message.value, headers }],
        });
        break;
      } catch (writeError) {
        this.log.error('dead-letter write failed; retrying', {
          topic,
          partition,
          offset: message.offset,
          write,
          error: describeError(writeError),
        });
        const waited = await sleepWithHeartbeat(
          computeBackoffMs(Math.min(write, 30), this.backoff),
          this.abort.signal,
          heartbeat,
          this.heartbeatMs,
        );
        if (!waited) return false;
      }
    }
    metrics.consumerDeadLetter(this.options.groupId, topic, reason);
    const letter: DeadLetterInfo = {
      topic,
      partition,
      offset: message.offset,
      reason,
      attempts,
      error: errorText,
    };
    this.log.error('integration event dead-lettered', letter);
    try {
      this.options.onDeadLetter?.(letter);
    } catch {
      // a metrics hook must not change what happens to the message
    }
    return true;
  }

  private async commit({ topic, partition, message }: EachMessagePayload): Promise<void> {
    if (!this.consumer) return;
    await this.consumer.commitOffsets([
      { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
    ]);
  }
}
