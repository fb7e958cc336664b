import { Writable } from 'node:stream';
import { startProgress } from './progress';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream, text: () => chunks.join('') };
}

describe('startProgress', () => {
  it('writes plain lines, one per tenth, when stderr is not a terminal', () => {
    const err = sink(false);
    const progress = startProgress(
      { out: sink(false).stream, err: err.stream, env: {} },
      'rebuild x',
      1000,
    );
    for (let done = 0; done <= 1000; done += 50) progress.update(done);
    progress.stop();
    const lines = err.text().trim().split('\n');
    expect(lines[0]).toBe('rebuild x: 0/1000 (0%)');
    expect(lines).toContain('rebuild x: 500/1000 (50%)');
    expect(lines[lines.length - 1]).toBe('rebuild x: 1000/1000 (100%)');
    expect(lines).toHaveLength(11);
  });

  it('draws a progress bar when stderr is a terminal', () => {
    const err = sink(true);
    const progress = startProgress(
      { out: sink(false).stream, err: err.stream, env: {} },
      'rebuild x',
      10,
    );
    progress.update(10);
    progress.stop();
    expect(err.text()).toContain('rebuild x [');
    expect(err.text()).toContain('100% | 10/10');
    expect(err.text()).not.toContain('rebuild x: ');
  });
});
