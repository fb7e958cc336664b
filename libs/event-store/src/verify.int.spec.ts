import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { verifyHashChains } from '.';
import { freshStore, newEvent, streamOf, TEST_DATABASE_URL, type TestStore } from '../test/support';

describe('verifyHashChains (real Postgres)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await freshStore();
  });
  afterAll(async () => {
    await t.drop();
  });

  /** Changes history as a privileged attacker would: bypass the append-only trigger. */
  const tamper = async (sql: string, params: unknown[]) => {
    const client = await t.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`ALTER TABLE "${t.schema}".events DISABLE TRIGGER events_append_only`);
      await client.query(sql, params);
      await client.query(`ALTER TABLE "${t.schema}".events ENABLE TRIGGER events_append_only`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  };

  it('passes intact chains and names the first broken link per stream after tampering', async () => {
    const intact = streamOf('grant');
    const altered = streamOf('payout');
    const removed = streamOf('milestone');
    await t.store.append(intact, 'no_stream', [newEvent('A', { n: 1 }), newEvent('B', { n: 2 })]);
    await t.store.append(altered, 'no_stream', [newEvent('A', { amount: '10.00' })]);
    await t.store.append(altered, 1, [
      newEvent('B', { amount: '20.00' }),
      newEvent('C', { amount: '30.00' }),
    ]);
    await t.store.append(removed, 'no_stream', [newEvent('A'), newEvent('B'), newEvent('C')]);

    expect(await verifyHashChains(t.pool, t.schema, { pageSize: 2 })).toEqual({
      streamsChecked: 3,
      eventsChecked: 8,
      broken: [],
    });

    await tamper(
      `UPDATE "${t.schema}".events SET data = jsonb_set(data, '{amount}', '"2000.00"')
       WHERE stream_id = $1 AND stream_version IN (2, 3)`,
      [altered],
    );
    await tamper(`DELETE FROM "${t.schema}".events WHERE stream_id = $1 AND stream_version = 2`, [
      removed,
    ]);

    const report = await verifyHashChains(t.pool, t.schema, { pageSize: 2 });
    expect(report.streamsChecked).toBe(3);
    expect(report.broken).toEqual(
      expect.arrayContaining([
        { streamId: altered, streamVersion: 2, reason: 'hash does not match the stored event' },
        { streamId: removed, streamVersion: 3, reason: 'expected version 2, found 3' },
      ]),
    );
    expect(report.broken).toHaveLength(2);

    // The CLI prints the broken links and exits 1.
    const cli = promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', 'libs/event-store/src/cli/verify.ts', '--schema', t.schema],
      { env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL }, cwd: process.cwd() },
    );
    await expect(cli).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining(`BROKEN ${altered} @ version 2: hash does not match`),
    });
  });
});
