import { Presets, SingleBar } from 'cli-progress';

/** Where a command writes: results to `out`, progress and diagnostics to `err`. */
export interface OpsIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Progress of one long piece of work. */
export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

/**
 * A progress bar (cli-progress) when `err` is a terminal; otherwise plain lines — one every
 * 10 % and a last one — so logs and CI stay readable. `--json` keeps progress on stderr so the
 * JSON on stdout stays parseable.
 */
export function startProgress(io: OpsIo, label: string, total: number): Progress {
  if (io.err.isTTY) {
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
        stream: io.err,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    bar.start(Math.max(total, 1), 0);
    return {
      update(done, newTotal) {
        if (newTotal !== undefined) bar.setTotal(Math.max(newTotal, 1));
        bar.update(done);
      },
      stop() {
        bar.stop();
      },
    };
  }
  let current = total;
  let lastDecile = 0;
  let lastDone = -1;
  const line = (done: number): void => {
    const percent = current > 0 ? Math.floor((done * 100) / current) : 100;
    io.err.write(`${label}: ${done}/${current} (${percent}%)\n`);
    lastDone = done;
  };
  line(0);
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) current = newTotal;
      const decile = current > 0 ? Math.floor((done * 10) / current) : 10;
      if (decile > lastDecile && done !== lastDone) {
        lastDecile = decile;
        line(done);
      }
    },
    stop() {
      // Plain mode printed its lines as it went; nothing to tidy up.
    },
  };
}
