import { deadLetterTopic } from '@lib/contracts';
import {
  type Admin,
  Kafka,
  type KafkaConfig,
  type logCreator,
  logLevel,
  Partitioners,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';

/** The subset of a pino logger the Kafka log bridge needs (`pino()` and nestjs-pino fit). */
export interface StructuredLogger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Options for {@link createKafka}. */
export interface CreateKafkaOptions {
  clientId: string;
  brokers: string[];
  /** Where kafkajs logs go; kafkajs's JSON console logger when omitted. */
  logger?: StructuredLogger;
  /** kafkajs log level; WARN by default. */
  logLevel?: logLevel;
  /** Anything else kafkajs accepts (ssl, sasl, retry, timeouts). */
  config?: Omit<KafkaConfig, 'clientId' | 'brokers' | 'logLevel' | 'logCreator'>;
}

// We always use kafkajs 2's default (Java-compatible murmur2) partitioner, so the warning that
// the default changed in 2.0 is noise for every producer in the monorepo.
const PARTITIONER_WARNING = 'KafkaJS v2.0.0 switched default partitioner';

/**
 * A kafkajs client with the project's defaults: WARN logs (optionally bridged to pino), no
 * partitioner-change warning, 127.0.0.1-style brokers as given.
 */
export function createKafka(options: CreateKafkaOptions): Kafka {
  return new Kafka({
    connectionTimeout: 3000,
    ...options.config,
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.logLevel ?? logLevel.WARN,
    logCreator: bridgeLogs(options.logger),
  });
}

function bridgeLogs(logger: StructuredLogger | undefined): logCreator {
  return () =>
    ({ namespace, level, label, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      if (typeof message === 'string' && message.startsWith(PARTITIONER_WARNING)) return;
      if (!logger) {
        const line = JSON.stringify({ level: label, ...log, message: `[${namespace}] ${message}` });
        if (level === logLevel.ERROR) console.error(line);
        else if (level === logLevel.WARN) console.warn(line);
        else console.info(line);
        return;
      }
      const fields = { kafka: namespace, ...extra };
      switch (level) {
        case logLevel.ERROR:
          return logger.error(fields, message);
        case logLevel.WARN:
          return logger.warn(fields, message);
        case logLevel.INFO:
          return logger.info(fields, message);
        case logLevel.DEBUG:
        case logLevel.NOTHING:
          return logger.debug(fields, message);
      }
    };
}

/**
 * A producer that waits for all in-sync replicas (acks -1 is passed per send) and uses the
 * default partitioner, so a key lands on the same partition whoever produces it.
 */
export function createProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    ...config,
  });
}

/** Options for {@link ensureTopics}. */
export interface EnsureTopicsOptions {
  /** Partitions for topics that do not exist yet (existing topics are left alone). Default 3. */
  partitions?: number;
  /** Replication factor for new topics; the broker default when omitted. */
  replicationFactor?: number;
  /** Also create `<topic>.dlq` for each topic. Default true. */
  deadLetters?: boolean;
}

/**
 * Creates each topic and its `<topic>.dlq` if missing and waits until every partition has a
 * leader. Idempotent and safe to race with other services doing the same at start.
 */
export async function ensureTopics(
  adminOrKafka: Admin | Kafka,
  topics: readonly string[],
  options: EnsureTopicsOptions = {},
): Promise<void> {
  const ownAdmin = adminOrKafka instanceof Kafka;
  const admin = adminOrKafka instanceof Kafka ? adminOrKafka.admin() : adminOrKafka;
  const names = [
    ...new Set(
      topics.flatMap((topic) =>
        options.deadLetters === false ? [topic] : [topic, deadLetterTopic(topic)],
      ),
    ),
  ];
  if (names.length === 0) return;
  try {
    if (ownAdmin) await admin.connect();
    // Creating only what is missing keeps kafkajs from logging TOPIC_ALREADY_EXISTS as an error.
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: options.partitions ?? 3,
          ...(options.replicationFactor ? { replicationFactor: options.replicationFactor } : {}),
        })),
      });
    }
    await waitForLeaders(admin, names);
  } finally {
    if (ownAdmin) await admin.disconnect();
  }
}

// createTopics returns early when another process created the topics first; make sure they are
// usable before anyone subscribes (kafkajs errors on subscribing to a leaderless topic).
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.every(
        (topic) =>
          topic.partitions.length > 0 &&
          topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (ready) return;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
    if (attempt >= 20) throw new Error(`topics have no leaders yet: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}
