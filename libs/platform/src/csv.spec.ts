import { type Readable } from 'node:stream';
import { csvCell, csvLine, csvStream, wantsCsv } from './csv';

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
});
