import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createDataSource, MetricsService, PersonaStore } from '../../src';
import { run } from '../../src/cli/program';

/** `persona metrics` in process: the CLI's actor reaches MetricsService, so its access rules apply. */
describe('persona metrics (CLI) passes its actor to MetricsService', () => {
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'persona-metrics-cli-'));
    db = join(dir, 'personas.db');
    const ds = await createDataSource({ database: db }).initialize();
    try {
      const store = new PersonaStore(ds);
      const open = await store.create({ name: 'Open', slug: 'open', isPublic: true }, { id: 'alice' });
      await store.create({ name: 'Secret', slug: 'secret' }, { id: 'alice' });
      await new MetricsService(ds).recordInteraction(open.id as string, { success: true, latencyMs: 12 });
    } finally {
      await ds.destroy();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function persona(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['node', 'persona', '--db', db, ...args], { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('reads the metrics of a readable persona; recompute needs the owner or an admin', async () => {
    expect(JSON.parse((await persona('--actor', 'bob', '--json', 'metrics', 'open')).out)).toMatchObject({ totalInteractions: 1 });
    const denied = await persona('--actor', 'bob', 'metrics', 'open', '--recompute');
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^error: ACCESS_DENIED/);
    expect((await persona('--actor', 'alice', '--json', 'metrics', 'open', '--recompute')).code).toBe(0);
    expect((await persona('--actor', 'root', '--roles', 'admin', '--json', 'metrics', 'open', '--recompute')).code).toBe(0);
  });

  it('a private persona of someone else is not found (exit 3)', async () => {
    expect((await persona('--actor', 'bob', 'metrics', 'secret')).code).toBe(3);
    expect((await persona('--actor', 'alice', 'metrics', 'secret')).code).toBe(0);
  });
});
