/**
 * The operator CLI: `npm run ops -- <command> [options]`; `npm run ops -- --help` lists the
 * commands (rebuild, verify, dlq replay, reconcile, lag).
 */
import { buildProgram } from './program';

buildProgram({ out: process.stdout, err: process.stderr, env: process.env })
  .run(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`ops: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 2;
    },
  );
