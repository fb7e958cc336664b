import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Logger, StreamableFile } from '@nestjs/common';
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Pool } from 'pg';
import { z } from 'zod';
import { jsonResponse } from './openapi';
import { problemBody } from './problem';

const exportLogger = new Logger('CsvExport');

/** One CSV column: its header and how a row gives its cell (null/undefined → empty cell). */
export interface CsvColumn<T> {
  header: string;
  value: (row: T) => string | number | bigint | boolean | null | undefined;
}

// Cells a spreadsheet would run as a formula (CSV injection): prefixed with ' so they stay text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 cell: quoted when it holds a comma, quote or line break; formulas defused. */
export function csvCell(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with its CRLF terminator. */
export function csvLine(cells: (string | number | bigint | boolean | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * A byte stream of CSV: the header line, then one line per row as `rows` yields them (the first
 * row is read before the header is written, so an immediate failure is still an error status). Pulled by
 * the consumer (backpressure): a slow client slows the row source instead of filling memory; a
 * client that goes away stops the source (its `finally` runs, e.g. closing a DB cursor).
 */
export function csvStream<T>(columns: CsvColumn<T>[], rows: AsyncIterable<T>): Readable {
  async function* lines(): AsyncGenerator<string> {
    const iterator = rows[Symbol.asyncIterator]();
    let done = false;
    try {
      // The first row is read before any byte is written, so a source that fails at once (a bad
      // query, the database away) still gets a proper error status instead of a cut-off file.
      let next: IteratorResult<T> = await iterator.next();
      yield csvLine(columns.map((c) => c.header));
      while (!next.done) {
        const row: T = next.value;
        yield csvLine(columns.map((c) => c.value(row)));
        next = await iterator.next();
      }
      done = true;
    } finally {
      // Stopped early (the client went away): let the source clean up (close its cursor).
      if (!done) await iterator.return?.();
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
}

/**
 * A Nest `StreamableFile` of CSV (`text/csv; charset=utf-8`, as an attachment named `filename`):
 * return it from a controller handler and Nest pipes it to the response.
 */
export function csvFile<T>(
  filename: string,
  columns: CsvColumn<T>[],
  rows: AsyncIterable<T>,
): StreamableFile {
  const file = new StreamableFile(csvStream(columns, rows), {
    type: 'text/csv; charset=utf-8',
    disposition: `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
  });
  // A failure mid-export must not look like a complete file: before the first byte it is a 500
  // problem (no internals leaked); after it, the connection is cut so the download fails.
  return file.setErrorHandler((error, handlerResponse) => {
    exportLogger.error(`CSV export ${filename} failed: ${error.message}`);
    const response = handlerResponse as unknown as ServerResponse;
    if (response.destroyed) return;
    if (response.headersSent) {
      response.destroy(error);
      return;
    }
    response.statusCode = 500;
    response.setHeader('content-type', 'application/problem+json');
    response.end(JSON.stringify(problemBody(500, 'export_failed', 'the export failed; retry')));
  });
}

/**
 * True when a list request asks for CSV: `?format=csv`, or an Accept header that names
 * `text/csv` ahead of (or without) JSON. `?format=json` always wins.
 */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  if (!accept) return false;
  const ranked = accept
    .split(',')
    .map((part, index) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim(), q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const csv = ranked.findIndex((entry) => entry.type === 'text/csv');
  const json = ranked.findIndex((entry) =>
    ['application/json', 'application/*', '*/*'].includes(entry.type),
  );
  return csv !== -1 && (json === -1 || csv < json);
}

/** One page of a list route's answer. */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list route's answer: when the request asks for CSV (`format`, `accept`: see wantsCsv) every
 * row of `rows()` as the CSV file `csv.filename`, streamed; otherwise the page `page()` reads.
 * `view` turns a row into what the client sees, in both.
 */
export async function listAnswer<R, V>(
  request: { format: string | undefined; accept: string | undefined },
  list: {
    page: () => Promise<ListPage<R>>;
    rows: () => AsyncIterable<R>;
    view: (row: R) => V;
    csv: { filename: string; columns: CsvColumn<V>[] };
  },
): Promise<ListPage<V> | StreamableFile> {
  if (wantsCsv(request.format, request.accept)) {
    const rows = list.rows();
    return csvFile(
      list.csv.filename,
      list.csv.columns,
      (async function* () {
        for await (const row of rows) yield list.view(row);
      })(),
    );
  }
  const page = await list.page();
  return { items: page.items.map((row) => list.view(row)), nextCursor: page.nextCursor };
}

/**
 * The document's 200 answer of a list route (see listAnswer): a JSON page of `pageSchema`, or the
 * CSV export, whose columns `csvDescription` names.
 */
export const listResponse = (
  description: string,
  pageSchema: z.ZodTypeAny,
  csvDescription: string,
): ResponseConfig => ({
  description,
  content: {
    ...jsonResponse('', pageSchema).content,
    'text/csv': { schema: z.string().openapi({ description: csvDescription }) },
  },
});

/**
 * Rows of `sql` read through a server-side cursor (DECLARE … FETCH `batchSize`) on a connection
 * of its own, in a read-only REPEATABLE READ transaction (one consistent snapshot for the whole
 * export). Only one batch is in memory; stopping early closes the cursor and frees the connection.
 */
export async function* queryCursor<R>(
  pool: Pool,
  sql: string,
  params: unknown[] = [],
  options: { batchSize?: number } = {},
): AsyncGenerator<R> {
  const batchSize = options.batchSize ?? 500;
  const client = await pool.connect();
  let finished = false;
  let broken: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`DECLARE export_cursor NO SCROLL CURSOR FOR ${sql}`, params);
    for (;;) {
      const { rows } = await client.query<R & object>(`FETCH ${batchSize} FROM export_cursor`);
      for (const row of rows) yield row;
      if (rows.length < batchSize) break;
    }
    await client.query('COMMIT');
    finished = true;
  } finally {
    // On an error or an early stop (the client went away): end the transaction, which closes
    // the cursor; a connection that cannot even roll back is discarded, not reused.
    if (!finished) await client.query('ROLLBACK').catch((error: Error) => (broken = error));
    client.release(broken);
  }
}
