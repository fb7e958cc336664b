import { createPool } from './database';

describe('createPool', () => {
  it('survives an idle client losing its server instead of ending the process', async () => {
    const seen: string[] = [];
    const pool = createPool('postgres://postgres@127.0.0.1:1/none', 'test', 1, (error) =>
      seen.push(error.message),
    );
    // What pg does when an idle client's connection ends (e.g. PostgreSQL restarts).
    expect(() => pool.emit('error', new Error('terminating connection'))).not.toThrow();
    expect(seen).toEqual(['terminating connection']);
    await pool.end();
  });

  it('reports idle errors by default', async () => {
    const pool = createPool('postgres://postgres@127.0.0.1:1/none', 'test', 1);
    expect(pool.listenerCount('error')).toBe(1);
    await pool.end();
  });
});
