import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@lib/testing';

const root = join(__dirname, '..', '..', '..');

describe('runService bounds a graceful shutdown', () => {
  it('exits 1 when SIGTERM’s shutdown is still running after SHUTDOWN_TIMEOUT_SECONDS', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        join(__dirname, 'fixtures', 'hanging-shutdown.main.ts'),
        String(port),
        '1',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      // Up once it answers HTTP.
      for (let i = 0; ; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/`).then(
          () => true,
          () => false,
        );
        if (up) break;
        if (i > 300) throw new Error(`never came up: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill('SIGTERM');
      // Without the bound the hook keeps it alive for good; the test's own timeout would end it.
      expect(await exited).toBe(1);
      expect(stdout).toContain('shutdown hook running');
      expect(stderr).toContain('hanging: shutdown did not finish within 1 s; exiting');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
