import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { installEventStoreSchema, PostgresEventStore } from '@lib/event-store';
import { AuditController } from '../src/audit.controller';
import { ProblemError } from '../src/problem';

const adminUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

// A database of its own: this test tampers with events, which must not touch a shared schema.
describe('AuditController on a tampered event store', () => {
  const dbName = `audit_${randomBytes(6).toString('hex')}`;
  let pool: Pool;
  let store: PostgresEventStore;
  let audit: AuditController;
  const admin = { user: { sub: 'admin-1', roles: ['admin'] } };
  const streamId = `application-${randomUUID()}`;
  const intactId = `application-${randomUUID()}`;
  const eventIds = [randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`CREATE DATABASE ${dbName}`);
    await client.end();
    const url = new URL(adminUrl);
    url.pathname = `/${dbName}`;
    pool = new Pool({ connectionString: url.toString(), max: 2 });
    await installEventStoreSchema(pool, 'applications');
    store = new PostgresEventStore(pool, 'applications');
    const metadata = { correlationId: randomUUID(), actor: 'founder-1', occurredAt: new Date() };
    await store.append(
      streamId,
      'no_stream',
      eventIds.map((eventId, i) => ({ eventId, type: 'Step', data: { step: i + 1 }, metadata })),
    );
    await store.append(intactId, 'no_stream', [
      { eventId: randomUUID(), type: 'Step', data: { step: 1 }, metadata },
    ]);
    audit = new AuditController(pool, {
      name: 'applications',
      schema: 'applications',
      kafkaBrokers: [],
    });
  });

  afterAll(async () => {
    await pool?.end();
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await client.end();
  });

  it('reports intact chains, then names the tampered event in the stream and in the verify', async () => {
    expect((await audit.stream(streamId, admin)).chain).toEqual({ intact: true });
    expect(await audit.verify({}, admin)).toMatchObject({
      ok: true,
      streamsChecked: 2,
      eventsChecked: 4,
    });

    await pool.query('ALTER TABLE applications.events DISABLE TRIGGER events_append_only');
    await pool.query(
      `UPDATE applications.events SET data = '{"step": 20}' WHERE stream_id = $1 AND stream_version = 2`,
      [streamId],
    );
    await pool.query('ALTER TABLE applications.events ENABLE TRIGGER events_append_only');

    const read = await audit.stream(streamId, admin);
    expect(read.chain).toEqual({
      intact: false,
      brokenAt: {
        streamVersion: 2,
        eventId: eventIds[1],
        reason: 'hash does not match the stored event',
      },
    });
    expect(read.events.map((e) => e.data)).toEqual([{ step: 1 }, { step: 20 }, { step: 3 }]);
    expect(await audit.verify({}, admin)).toEqual({
      service: 'applications',
      schema: 'applications',
      ok: false,
      streamsChecked: 2,
      eventsChecked: 4,
      broken: [
        {
          streamId,
          streamVersion: 2,
          eventId: eventIds[1],
          reason: 'hash does not match the stored event',
        },
      ],
    });
    expect(await audit.verifyService('applications', { streamId: intactId }, admin)).toMatchObject({
      ok: true,
      streamsChecked: 1,
    });
  });

  it('refuses a caller without the admin role even if no guard ran', async () => {
    await expect(audit.stream(streamId, {})).rejects.toMatchObject({ status: 401 });
    await expect(audit.verify({}, { user: { roles: ['reviewer'] } })).rejects.toBeInstanceOf(
      ProblemError,
    );
    await expect(audit.verifyService('grants', {}, admin)).rejects.toMatchObject({ status: 404 });
  });
});
