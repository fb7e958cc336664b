import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Pool } from 'pg';
import request from 'supertest';
import { csvFile, queryCursor } from '../src/csv';

const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/incubator_test';

async function* failing(after: number) {
  for (let i = 0; i < after; i++) yield { n: i };
  throw new Error('database went away (internal detail)');
}

@Controller('export')
class ExportController {
  @Get('broken-at-start')
  atStart() {
    return csvFile('x.csv', [{ header: 'n', value: (r: { n: number }) => r.n }], failing(0));
  }

  @Get('broken-midway')
  midway() {
    // Enough rows to leave the stream's first chunk before failing.
    return csvFile('x.csv', [{ header: 'n', value: (r: { n: number }) => r.n }], failing(50_000));
  }
}

@Module({ controllers: [ExportController] })
class ExportModule {}

describe('CSV export helpers', () => {
  let pool: Pool;
  let app: INestApplication;

  beforeAll(async () => {
    pool = new Pool({ connectionString: databaseUrl, max: 2 });
    const moduleRef = await Test.createTestingModule({ imports: [ExportModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end();
  });

  it('queryCursor reads every row in batches from one snapshot and gives the connection back', async () => {
    const seen: number[] = [];
    for await (const row of queryCursor<{ n: number }>(
      pool,
      'SELECT n FROM generate_series(1, $1::int) AS n ORDER BY n',
      [1234],
      { batchSize: 100 },
    )) {
      seen.push(row.n);
    }
    expect(seen).toHaveLength(1234);
    expect(seen[0]).toBe(1);
    expect(seen[1233]).toBe(1234);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('queryCursor stopped early (the client went away) closes the cursor and frees the connection', async () => {
    let taken = 0;
    for await (const _row of queryCursor(
      pool,
      'SELECT n FROM generate_series(1, 100000) AS n',
      [],
      {
        batchSize: 100,
      },
    )) {
      if (++taken === 150) break;
    }
    expect(taken).toBe(150);
    expect(pool.totalCount - pool.idleCount).toBe(0);
    // The connection is usable: no transaction or cursor left open on it.
    const { rows } = await pool.query<{ open: string }>(
      "SELECT count(*)::text AS open FROM pg_cursors WHERE name = 'export_cursor'",
    );
    expect(rows[0].open).toBe('0');
  });

  it('a failure before the first row is a 500 problem without internals', async () => {
    const response = await request(app.getHttpServer()).get('/export/broken-at-start');
    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.text).not.toContain('internal detail');
  });

  it('a failure midway cuts the connection, so a partial file never looks complete', async () => {
    await expect(request(app.getHttpServer()).get('/export/broken-midway')).rejects.toThrow();
  });
});
