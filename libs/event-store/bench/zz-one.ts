import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { installEventStoreSchema, PostgresEventStore } from '../src';
const DB0 = 'postgres://postgres@127.0.0.1:5432/incubator_test';
const DB = DB0 + '?options=' + encodeURIComponent('-c synchronous_commit=off');
async function main() {
  const tag = Date.now().toString(36);
  const admin = new Pool({ connectionString: DB, max: 2 });
  await installEventStoreSchema(admin, 'one_es_' + tag);
  await admin.query(`CREATE SCHEMA one_emt_${tag}`);
  const pool = new Pool({ connectionString: DB, max: 4 });
  const store = new PostgresEventStore(pool, 'one_es_' + tag);
  const url = `${DB0}?options=${encodeURIComponent(`-c search_path=one_emt_${tag} -c synchronous_commit=off`)}`;
  const epool = new Pool({ connectionString: url, max: 4 });
  const emt = getPostgreSQLEventStore(url, { connectionOptions: { pool: epool } });
  await emt.schema.migrate();
  const data = () => ({ grantId: randomUUID(), amount: '12500.00', memo: 'x'.repeat(90) });
  const md = () => ({
    correlationId: randomUUID(),
    causationId: null,
    actor: 'a',
    occurredAt: new Date(),
  });
  const impls: [string, (s: string) => Promise<unknown>][] = [
    [
      'ours',
      (s) =>
        store.append(s, 'any', [
          { eventId: randomUUID(), type: 'T', data: data(), metadata: md() },
        ]),
    ],
    [
      'emmett',
      (s) =>
        emt.appendToStream(s, [
          {
            type: 'T',
            data: data(),
            metadata: { ...md(), occurredAt: new Date().toISOString() },
          } as never,
        ]),
    ],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [name, fn] of impls) {
      let n = 0;
      const end = performance.now() + 1500;
      while (performance.now() < end) {
        await fn(`${name}-single`);
        n++;
      }
      console.log(round, name, (n / 1.5).toFixed(0));
    }
  }
  const { rows } = await admin.query(
    `EXPLAIN SELECT 1 FROM one_es_${tag}.events e WHERE e.stream_id = 'ours-single' AND e.event_id = ANY ('{${randomUUID()}}'::uuid[])`,
  );
  console.log(rows.map((r: any) => r['QUERY PLAN']).join('\n'));
  await emt.close();
  await admin.query(`DROP SCHEMA one_es_${tag} CASCADE`);
  await admin.query(`DROP SCHEMA one_emt_${tag} CASCADE`);
  await Promise.all([admin.end(), pool.end(), epool.end().catch(() => undefined)]);
}
main();
