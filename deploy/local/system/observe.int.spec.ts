import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { installEventStoreSchema, PostgresEventStore } from '@lib/event-store';
import { checkAudit, checkLag } from './invariants';
import { auditChains, consumerLag } from './observe';

const brokers = process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

describe('invariant collectors (real Kafka and PostgreSQL)', () => {
  it('reports a consumer group behind by what it has not committed, and 0 once it has', async () => {
    const kafka = new Kafka({
      clientId: 'observe-int',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    });
    const topic = `test.observe.${randomBytes(4).toString('hex')}.v1`;
    const groupId = `observe-int-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      });
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: ['a', 'b', 'c'].map((value) => ({ value })),
      });
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] });
      const mine = (group: string) => group === groupId;

      const behind = await consumerLag(brokers, mine);
      expect(behind).toEqual([{ group: groupId, topic, partition: 0, lag: 2n }]);
      expect(checkLag({ lag: behind }).map((v) => v.kind)).toEqual(['unconsumed_events']);

      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] });
      const caughtUp = await consumerLag(brokers, mine);
      expect(caughtUp).toEqual([{ group: groupId, topic, partition: 0, lag: 0n }]);
      expect(checkLag({ lag: caughtUp })).toEqual([]);

      // Reset to the start (offset -2 is kafkajs' "earliest" marker): all three are behind again.
      await admin.resetOffsets({ groupId, topic, earliest: true });
      expect(await consumerLag(brokers, mine)).toEqual([
        { group: groupId, topic, partition: 0, lag: 3n },
      ]);
    } finally {
      await producer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('verifies every event-store schema and names a tampered event', async () => {
    // A database of its own: the collector walks every event-store schema it finds.
    const name = `observe_${randomBytes(5).toString('hex')}`;
    const admin = new Pool({ connectionString: databaseUrl, max: 1 });
    // Other suites may terminate sessions on the shared test database; an idle one may go.
    admin.on('error', () => undefined);
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    const pool = new Pool({ connectionString: url.toString(), max: 2 });
    pool.on('error', () => undefined);
    try {
      for (const schema of ['grants', 'milestones']) {
        await installEventStoreSchema(pool, schema);
        await new PostgresEventStore(pool, schema).append(`grant-${randomUUID()}`, 'no_stream', [
          {
            eventId: randomUUID(),
            type: 'GrantAwarded',
            data: { amount: '1000' },
            metadata: {
              correlationId: randomUUID(),
              causationId: null,
              actor: 'user:test',
              occurredAt: new Date(),
            },
          },
        ]);
      }
      const clean = await auditChains(url.toString());
      expect(clean.map((a) => [a.schema, a.streamsChecked])).toEqual([
        ['grants', 1],
        ['milestones', 1],
      ]);
      expect(checkAudit({ audit: clean })).toEqual([]);

      await pool.query(`ALTER TABLE milestones.events DISABLE TRIGGER USER`).catch(() => undefined);
      await pool.query(`UPDATE milestones.events SET data = '{"amount":"9999"}'`);
      const tampered = await auditChains(url.toString());
      expect(checkAudit({ audit: tampered }).map((v) => v.detail)).toEqual([
        expect.stringMatching(/^milestones: grant-[0-9a-f-]+@1: /),
      ]);
    } finally {
      await pool.end();
      await dropWhenClosed(admin, name);
      await admin.end();
    }
  });
});

/**
 * Drops a test database once the connections just ended have really closed: `WITH (FORCE)` on a
 * connection still closing made the server send it a FATAL "terminating connection" that reached
 * the test as an unhandled error. FORCE stays the last resort.
 */
async function dropWhenClosed(admin: Pool, name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
