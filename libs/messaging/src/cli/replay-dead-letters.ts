// Operator command: replay `<topic>.dlq` into `<topic>`.
//   node -r @swc-node/register libs/messaging/src/cli/replay-dead-letters.ts --topic <t> [--limit n] [--group g]
// Brokers from KAFKA_BROKERS (comma separated, default 127.0.0.1:9092).
import { parseArgs } from 'node:util';
import { replayDeadLetters } from '../dead-letter.replay';
import { createKafka } from '../kafka';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      topic: { type: 'string' },
      limit: { type: 'string' },
      group: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.topic) {
    process.stderr.write(
      'usage: replay-dead-letters --topic <topic> [--limit <n>] [--group <replay group id>]\n',
    );
    return values.help ? 0 : 2;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    process.stderr.write(`--limit must be a non-negative integer, got ${values.limit}\n`);
    return 2;
  }
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  const kafka = createKafka({ clientId: 'dlq-replay', brokers });
  const { replayed } = await replayDeadLetters({
    kafka,
    topic: values.topic,
    limit,
    groupId: values.group,
  });
  process.stdout.write(
    `replayed ${replayed} dead letter(s) from ${values.topic}.dlq to ${values.topic}\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `replay-dead-letters failed: ${(error as Error).stack ?? String(error)}\n`,
    );
    process.exit(1);
  },
);
