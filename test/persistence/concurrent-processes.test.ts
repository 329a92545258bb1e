import { execFile } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { createDataSource, DEFAULT_BUSY_TIMEOUT_MS, MetricsService, PersonaStorageError, PersonaStore, PersonaValidationError } from '../../src';
import { ENGINES, openDataSource, closeDataSource } from '../support/engines';

const WRITER = join(__dirname, '../fixtures/processes/metrics-writer.ts');
const PROCESSES = 4;
const ROUNDS = 30;
const BATCH = 5;

/** Runs the writer in its own Node process; resolves with its exit code and output. */
function writer(target: string, personaId: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [require.resolve('ts-node/dist/bin.js'), '--transpile-only', WRITER, target, personaId, String(ROUNDS), String(BATCH)],
      { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, out: `${stdout}${stderr}`.trim() }),
    );
  });
}

describe.each(ENGINES)('writers in separate processes on one database [%s]', (engine) => {
  let dir: string;
  let ds: DataSource & { dropTestDatabase?: () => Promise<void> };
  let target: string;
  beforeAll(async () => {
    if (engine === 'better-sqlite3') {
      dir = mkdtempSync(join(tmpdir(), 'personas-procs-'));
      target = join(dir, 'shared.db');
      ds = await createDataSource({ database: target }).initialize();
    } else {
      ds = await openDataSource(engine);
      const o = ds.options as { url?: string };
      target = o.url as string;
    }
  });
  afterAll(async () => {
    await closeDataSource(ds);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${PROCESSES} processes recording interactions at once all succeed, and the totals are exact`, async () => {
    const persona = await new PersonaStore(ds).create({ name: 'Busy', slug: 'busy' }, { id: 'alice' });
    const results = await Promise.all(Array.from({ length: PROCESSES }, () => writer(target, persona.id as string)));
    expect(results).toEqual(Array.from({ length: PROCESSES }, () => ({ code: 0, out: 'ok' })));
    const m = await new MetricsService(ds).get(persona.id as string);
    expect([m.totalInteractions, m.totalInputTokens]).toEqual([PROCESSES * ROUNDS * BATCH, PROCESSES * ROUNDS * BATCH]);
  }, 180_000);
});

describe('SQLite busy timeout and BEGIN IMMEDIATE', () => {
  it('takes busyTimeoutMs (default 5 s) and refuses a bad one or one for PostgreSQL', () => {
    expect(createDataSource({ database: ':memory:' }).options).toMatchObject({ timeout: DEFAULT_BUSY_TIMEOUT_MS });
    expect(DEFAULT_BUSY_TIMEOUT_MS).toBe(5000);
    expect(createDataSource({ database: ':memory:', busyTimeoutMs: 250 }).options).toMatchObject({ timeout: 250 });
    for (const bad of [-1, 1.5, 600_001, Number.NaN]) expect(() => createDataSource({ database: ':memory:', busyTimeoutMs: bad })).toThrow(PersonaValidationError);
    expect(() => createDataSource({ url: 'postgres://x@127.0.0.1/db', busyTimeoutMs: 100 })).toThrow(PersonaValidationError);
  });

  it('a write waits for the write lock at BEGIN, then fails cleanly with STORAGE_FAILED when another connection holds it past the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'personas-busy-'));
    const file = join(dir, 'busy.db');
    const ds = await createDataSource({ database: file, busyTimeoutMs: 200 }).initialize();
    const other = new Database(file, { timeout: 0 });
    try {
      const store = new PersonaStore(ds);
      await store.create({ name: 'A', slug: 'a' }, { id: 'alice' });
      other.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      const error = await store.create({ name: 'B', slug: 'b' }, { id: 'alice' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PersonaStorageError);
      expect((error as PersonaStorageError).code).toBe('STORAGE_FAILED');
      expect((error as PersonaStorageError).driverCode).toBe('SQLITE_BUSY');
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      other.exec('COMMIT');
      // Nothing was left half-open: the next write goes through.
      await store.create({ name: 'C', slug: 'c' }, { id: 'alice' });
      expect((await store.list({}, { id: 'alice' })).items.map((p) => p.slug)).toEqual(['a', 'c']);
    } finally {
      other.close();
      await ds.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
