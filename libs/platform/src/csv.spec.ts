import { type Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import { csvCell, csvLine, csvStream, listAnswer, wantsCsv } from './csv';

describe('csv', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['=1+1', "'=1+1"],
    ['+31 20', "'+31 20"],
    ['-x', "'-x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['=A1,"x"', `"'=A1,""x"""`],
  ])('cell %j → %j', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('writes numbers, bigints and empty cells as they are', () => {
    expect(csvLine([1, -2, 10n ** 24n, null, undefined, true])).toBe(
      '1,-2,1000000000000000000000000,,,true\r\n',
    );
  });

  it('streams the header then one line per row, pulled as the reader reads', async () => {
    let produced = 0;
    async function* rows() {
      for (let i = 0; i < 5; i++) {
        produced++;
        yield { n: i };
      }
    }
    const stream: Readable = csvStream([{ header: 'n', value: (r: { n: number }) => r.n }], rows());
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    expect(text).toBe('n\r\n0\r\n1\r\n2\r\n3\r\n4\r\n');
    expect(produced).toBe(5);
  });

  it('writes only the header when there are no rows', async () => {
    async function* none(): AsyncGenerator<{ n: number }> {}
    let text = '';
    for await (const chunk of csvStream(
      [{ header: 'n', value: (r: { n: number }) => r.n }],
      none(),
    )) {
      text += String(chunk);
    }
    expect(text).toBe('n\r\n');
  });

  it.each([
    [undefined, 'text/csv', true],
    [undefined, 'text/csv;q=0.9, application/json', false],
    [undefined, 'application/json;q=0.5, text/csv', true],
    [undefined, 'application/json', false],
    [undefined, '*/*', false],
    [undefined, undefined, false],
    ['csv', 'application/json', true],
    ['json', 'text/csv', false],
  ])('format %s, Accept %s → csv %s', (format, accept, expected) => {
    expect(wantsCsv(format, accept)).toBe(expected);
  });

  describe('listAnswer', () => {
    const source = (read: string[]) => ({
      page: async () => {
        read.push('page');
        return { items: [1, 2], nextCursor: 'next' };
      },
      rows: () => {
        read.push('rows');
        return (async function* () {
          yield* [1, 2, 3];
        })();
      },
      view: (n: number) => ({ n: n * 10 }),
      csv: {
        filename: 'numbers.csv',
        columns: [{ header: 'n', value: (r: { n: number }) => r.n }],
      },
    });

    it('answers one page of views unless CSV is asked for', async () => {
      const read: string[] = [];
      const answer = await listAnswer({ format: undefined, accept: 'text/csv' }, source(read));
      expect(answer).toBeInstanceOf(StreamableFile);
      expect(read).toEqual(['rows']);
      await expect(
        listAnswer({ format: 'json', accept: 'text/csv' }, source(read)),
      ).resolves.toEqual({
        items: [{ n: 10 }, { n: 20 }],
        nextCursor: 'next',
      });
      expect(read).toEqual(['rows', 'page']);
    });

    it('streams every row as a view in the CSV file', async () => {
      const answer = await listAnswer({ format: 'csv', accept: undefined }, source([]));
      const chunks: string[] = [];
      for await (const chunk of (answer as StreamableFile).getStream()) chunks.push(String(chunk));
      expect(chunks.join('')).toBe('n\r\n10\r\n20\r\n30\r\n');
    });
  });
});
