import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type LabelValues,
  register,
} from 'prom-client';

/**
 * The process's Prometheus registry: every series below, plus Node's process metrics, is served
 * at `GET /metrics` by {@link MetricsController} on every service (PlatformModule registers it).
 * It is prom-client's default registry, so a series any library declares there shows as well.
 * HTTP series carry a `service` label so two services in one test process stay apart.
 */
export const metricsRegistry = register;
if (!register.getSingleMetric('process_cpu_user_seconds_total')) {
  collectDefaultMetrics({ register });
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Returns the metric of that name if already registered (module reloads, tests), else makes it. */
function reuse<M>(name: string, make: () => M): M {
  return (metricsRegistry.getSingleMetric(name) as M | undefined) ?? make();
}

/** Get-or-create a counter on the shared registry (for services' own series). */
export function counter<L extends string>(name: string, help: string, labelNames: L[] = []) {
  return reuse(
    name,
    () => new Counter<L>({ name, help, labelNames, registers: [metricsRegistry] }),
  );
}

/** Get-or-create a gauge on the shared registry (for services' own series). */
export function gauge<L extends string>(
  name: string,
  help: string,
  labelNames: L[] = [],
  collect?: (this: Gauge<L>) => void | Promise<void>,
) {
  return reuse(
    name,
    () => new Gauge<L>({ name, help, labelNames, registers: [metricsRegistry], collect }),
  );
}

/** Get-or-create a histogram (seconds buckets from 1 ms to 10 s unless given). */
export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: L[] = [],
  buckets: number[] = LATENCY_BUCKETS,
) {
  return reuse(
    name,
    () => new Histogram<L>({ name, help, labelNames, buckets, registers: [metricsRegistry] }),
  );
}

const http = {
  requests: counter('http_requests_total', 'HTTP requests by route pattern and status', [
    'service',
    'method',
    'route',
    'status',
  ]),
  duration: histogram('http_request_duration_seconds', 'HTTP request latency', [
    'service',
    'method',
    'route',
    'status',
  ]),
};

const eventStore = {
  appends: counter('eventstore_appends_total', 'Event store appends by outcome', [
    'schema',
    'outcome',
  ]),
  events: counter('eventstore_appended_events_total', 'Events written to the event store', [
    'schema',
  ]),
};

const subscriptions = {
  handled: counter(
    'subscription_events_handled_total',
    'Events handled (and checkpointed) by a subscription: projections and relays',
    ['schema', 'subscription'],
  ),
  lagEvents: gauge(
    'subscription_lag_events',
    'Events in the store after the subscription checkpoint',
    ['schema', 'subscription'],
    // One read per scrape feeds both lag gauges (the registry collects them concurrently).
    async function collectLag() {
      await collectSubscriptionLag();
    },
  ),
  lagSeconds: gauge(
    'subscription_lag_seconds',
    'Age of the oldest event the subscription has not handled yet (0 when caught up)',
    ['schema', 'subscription'],
    async function collectLag() {
      await collectSubscriptionLag();
    },
  ),
};

const relay = {
  publish: histogram(
    'relay_publish_duration_seconds',
    'Time for Kafka to acknowledge one relay batch (sendBatch, acks=all)',
    ['relay'],
  ),
  delay: histogram(
    'relay_event_delay_seconds',
    'From an event being recorded to Kafka acknowledging its publication',
    ['relay'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  ),
  messages: counter('relay_published_messages_total', 'Integration events published', ['relay']),
};

const consumer = {
  retries: counter(
    'consumer_retries_total',
    'Integration event handler failures that were retried or dead-lettered',
    ['group', 'topic'],
  ),
  deadLetters: counter('consumer_dead_letters_total', 'Messages written to <topic>.dlq by reason', [
    'group',
    'topic',
    'reason',
  ]),
  restarts: counter(
    'consumer_restarts_total',
    'Consumers restarted after a crash kafkajs does not restart from',
    ['group'],
  ),
};

/** Lag of one subscription as read from its store. */
export interface SubscriptionLag {
  subscription: string;
  events: number;
  seconds: number;
}

type LagSource = { schema: string; read: () => Promise<SubscriptionLag[]> };
const lagSources = new Map<object, LagSource>();

let lagRead: Promise<void> | null = null;

function collectSubscriptionLag(): Promise<void> {
  lagRead ??= readAllLag().finally(() => {
    lagRead = null;
  });
  return lagRead;
}

async function readAllLag(): Promise<void> {
  subscriptions.lagEvents.reset();
  subscriptions.lagSeconds.reset();
  const bySchema = new Map<string, LagSource>();
  for (const source of lagSources.values()) bySchema.set(source.schema, source);
  await Promise.all(
    [...bySchema.values()].map(async ({ schema, read }) => {
      try {
        for (const lag of await read()) {
          const labels = { schema, subscription: lag.subscription };
          subscriptions.lagEvents.set(labels, lag.events);
          subscriptions.lagSeconds.set(labels, lag.seconds);
        }
      } catch {
        // A store that cannot answer now is absent from this scrape rather than failing it.
      }
    }),
  );
}

/**
 * The API every service (and the event-store/messaging libraries) records through. Domain
 * series (`payouts`, `treasury…`, `reconciliation…`) are declared here so every service names
 * them the same way; a service only calls the setters.
 */
export const metrics = {
  /** @internal bootstrap: one finished HTTP request. */
  httpRequest(
    labels: LabelValues<'service' | 'method' | 'route' | 'status'>,
    seconds: number,
  ): void {
    http.requests.inc(labels);
    http.duration.observe(labels, seconds);
  },

  /** Event store: one append call and its outcome. */
  eventStoreAppend(
    schema: string,
    outcome: 'appended' | 'already_appended' | 'conflict',
    events = 0,
  ): void {
    eventStore.appends.inc({ schema, outcome });
    if (outcome === 'appended') eventStore.events.inc({ schema }, events);
  },

  /** Subscriptions: a batch of `count` events handled and checkpointed. */
  subscriptionHandled(schema: string, subscription: string, count: number): void {
    subscriptions.handled.inc({ schema, subscription }, count);
  },

  /**
   * Registers how to read the lag of every subscription in `schema` (read at scrape time).
   * `owner` identifies the registration (one per running runner); returns the unregister call.
   */
  registerLagSource(
    owner: object,
    schema: string,
    read: () => Promise<SubscriptionLag[]>,
  ): () => void {
    lagSources.set(owner, { schema, read });
    return () => {
      lagSources.delete(owner);
    };
  },

  /** Relay: a batch acknowledged by Kafka. `recordedAt` of each published event. */
  relayPublished(relayName: string, startedAtMs: number, recordedAt: Date[]): void {
    const now = Date.now();
    relay.publish.observe({ relay: relayName }, (now - startedAtMs) / 1000);
    for (const at of recordedAt) {
      relay.delay.observe({ relay: relayName }, Math.max(0, now - at.getTime()) / 1000);
    }
    relay.messages.inc({ relay: relayName }, recordedAt.length);
  },

  /** Consumer: a handler attempt failed. */
  consumerRetry(group: string, topic: string): void {
    consumer.retries.inc({ group, topic });
  },

  /** Consumer: restarted after a crash kafkajs gave up on. */
  consumerRestart(group: string): void {
    consumer.restarts.inc({ group });
  },

  /** Consumer: a message was written to its dead-letter topic. */
  consumerDeadLetter(group: string, topic: string, reason: string): void {
    consumer.deadLetters.inc({ group, topic, reason });
  },

  /** Settlement: payouts currently in each status (set the full picture each time). */
  payoutsByStatus: gauge('payouts', 'Payouts by current status', ['status', 'asset']),

  /** Settlement: one payout reached `status` (signed, broadcast, settled, failed). */
  payoutTransitions: counter('payout_transitions_total', 'Payout status transitions', [
    'status',
    'asset',
  ]),

  /**
   * Disbursements: the rolling-window limit of `asset` and what is used/reserved, in base units
   * (as bigint; exported as floats, so tiny rounding at 24 decimals), plus the usage ratio.
   */
  setTreasuryLimitUsage(
    asset: string,
    usage: { limit: bigint; used: bigint; reserved: bigint },
  ): void {
    const base = treasury.baseUnits;
    base.set({ asset, kind: 'limit' }, Number(usage.limit));
    base.set({ asset, kind: 'used' }, Number(usage.used));
    base.set({ asset, kind: 'reserved' }, Number(usage.reserved));
    // Ratio in parts per million with bigint math, so 24-decimal amounts keep their precision.
    const ppm =
      usage.limit > 0n ? Number(((usage.used + usage.reserved) * 1_000_000n) / usage.limit) : 0;
    treasury.ratio.set({ asset }, ppm / 1_000_000);
  },

  /** Settlement: a reconciliation run found a discrepancy of `kind` (e.g. outcome, nonce, balance). */
  reconciliationDiscrepancy(kind: string, count = 1): void {
    reconciliation.found.inc({ kind }, count);
  },

  /** Settlement/disbursements: discrepancies not yet resolved (shown at GET /v1/treasury). */
  setOpenDiscrepancies(count: number): void {
    reconciliation.open.set(count);
  },
};

const treasury = {
  baseUnits: gauge(
    'treasury_limit_base_units',
    'Rolling-window treasury limit and its use per asset, in base units',
    ['asset', 'kind'],
  ),
  ratio: gauge(
    'treasury_limit_usage_ratio',
    '(used + reserved) / limit of the rolling window per asset',
    ['asset'],
  ),
};

const reconciliation = {
  found: counter('reconciliation_discrepancies_total', 'Reconciliation discrepancies found', [
    'kind',
  ]),
  open: gauge('reconciliation_open_discrepancies', 'Unresolved reconciliation discrepancies'),
};
