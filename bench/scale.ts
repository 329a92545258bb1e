/**
 * `npm run bench -- --scale` (not part of the ordinary or quick run): lists at 10,000 and
 * 100,000 personas, metrics under one hot persona, metrics reads at 1,000,000 events and the
 * database size, on SQLite and PostgreSQL, each beside what a competent engineer writes by hand
 * (issue #19): one table with one JSON document per persona, btree indexes on name and owner, a
 * partial index for public rows, a GIN index on tags and trigram indexes for search on
 * PostgreSQL, a tag side table on SQLite; metrics as a log insert plus an update of one counters
 * row per event. `--explain` also prints the plan of every list shape. Writes
 * bench/scale-results.json. Every database it makes is dropped (PostgreSQL) or deleted (SQLite).
 */
import 'reflect-metadata';
import Database from 'better-sqlite3';
import { randomBytes } from 'crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, MetricsService, PersonaStore } from '../src';
import { newId } from '../src/persistence/ids';

type Result = { engine: string; name: string; ours: number; baseline: number | null; unit: string; ratio: number | null; goal: string; met: boolean | null };
const results: Result[] = [];
const explain = process.argv.includes('--explain');
const small = process.argv.includes('--small');
/** `--personas N`: the larger list size (the smaller is N / 10); default 100,000 (5,000 with `--small`). */
const personasArg = process.argv.includes('--personas') ? Number(process.argv[process.argv.indexOf('--personas') + 1]) : NaN;
const SIZES = Number.isInteger(personasArg) && personasArg >= 100 ? [personasArg / 10, personasArg] : small ? [1_000, 5_000] : [10_000, 100_000];
const EVENTS = small ? 50_000 : 1_000_000;
const RUNS = 11;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const round = (n: number) => Math.round(n * 1000) / 1000;

/** Milliseconds per call: twenty calls to warm up, then the median of RUNS calls. */
async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

/** Calls of a list and of its baseline: LIST_RUNS rounds, each calling every function once in turn, after 20 rounds to warm up. */
const LIST_RUNS = 101;

/**
 * Milliseconds per call of each function, measured in rounds that call each once in turn (the
 * median of each): a slower or faster spell of the machine falls on all of them alike, so the
 * ratios between them hold where separate timings (11 calls each) moved by a third between runs.
 */
async function timeInterleaved(fns: (() => unknown | Promise<unknown>)[]): Promise<number[]> {
  for (let i = 0; i < 20; i++) for (const fn of fns) await fn();
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < LIST_RUNS; i++) {
    for (let f = 0; f < fns.length; f++) {
      const start = process.hrtime.bigint();
      await fns[f]();
      samples[f].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return samples.map(median);
}

/** Records one figure. `goal` is `<= r` / `>= r` on the ratio, `abs<= x` on ours, or '' for information. */
function record(engine: string, name: string, ours: number, baseline: number | null, unit: string, goal: string): void {
  const ratio = baseline ? ours / baseline : null;
  let met: boolean | null = null;
  const [op, limit] = goal.split(' ');
  if (op === '<=' && ratio !== null) met = ratio <= Number(limit);
  if (op === '>=' && ratio !== null) met = ratio >= Number(limit);
  if (op === 'abs<=') met = ours <= Number(limit);
  results.push({ engine, name, ours: round(ours), baseline: baseline === null ? null : round(baseline), unit, ratio: ratio === null ? null : round(ratio), goal, met });
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3));
  const flag = met === null ? 'info' : met ? 'met ' : 'MISS';
  console.log(`${flag}  [${engine}] ${name.padEnd(62)} ours ${fmt(ours)} ${unit}${baseline !== null ? `, baseline ${fmt(baseline)} ${unit}, ratio ${ratio === null ? '-' : round(ratio)}` : ''}${goal ? ` (goal ${goal})` : ''}`);
}

const WORDS = ['amber', 'birch', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'harbor', 'iris', 'juniper', 'kelp', 'lumen', 'maple', 'nova', 'onyx', 'pine', 'quartz', 'raven', 'sage', 'tidal', 'umber', 'vale', 'willow', 'xenon', 'yarrow', 'zephyr'];
const OWNERS = 1000;

/** The first personas of the data set, the same at every size: their names hold the word "pilot" and they have the tag "pilot". */
const COHORT = 500;

/**
 * Persona `i` of the scale data set: 1,000 owners, one in five public, two tags, a name of two
 * words and the number. The first {@link COHORT} also have the word and the tag "pilot": a tag
 * filter and a search whose matches are the same personas at 10,000 and at 100,000, so that their
 * growth measures the cost of finding a page among more rows, not of returning more of them.
 */
function persona(i: number): Record<string, unknown> {
  const w1 = WORDS[i % WORDS.length];
  const w2 = WORDS[Math.floor(i / WORDS.length) % WORDS.length];
  const cohort = i < COHORT;
  return {
    name: cohort ? `${w1} ${w2} pilot ${i}` : `${w1} ${w2} ${i}`,
    slug: `${w1}-${w2}-${i}`,
    description: 'A persona of the scale benchmark, with a sentence of description.',
    status: i % 4 === 0 ? 'draft' : 'active',
    isPublic: i % 5 === 0,
    createdBy: `user-${i % OWNERS}`,
    traits: [
      { name: 'patient', category: 'personality', value: i % 100 },
      { name: 'formal', category: 'communication', value: (i * 7) % 100 },
      { name: 'curious', category: 'cognitive', value: true },
    ],
    knowledgeDomains: [{ name: 'support', expertiseLevel: 1 + (i % 10), topics: ['billing', 'accounts'], activationKeywords: ['invoice'] }],
    behaviorRules: [
      { name: 'no-pii', condition: 'personal data is asked for', action: 'decline politely', isMandatory: true },
      { name: 'escalate', condition: 'the user is angry', action: 'offer a human', priority: 80 },
    ],
    tags: cohort ? [`group-${i % 50}`, `team-${i % 7}`, 'pilot'] : [`group-${i % 50}`, `team-${i % 7}`],
    metadata: { index: i },
  };
}

/** The document the baseline stores: the persona as JSON with its id. */
function doc(i: number, id: string): Record<string, unknown> {
  return { ...persona(i), id, version: 1 };
}

/**
 * A list shape. `fixed`: the same personas match at every size, so its growth from the smaller to
 * the larger size is a goal (at most 2×); the others return more rows as the data grows (the
 * owner's own tag: 10 rows at 10,000 personas, a full page at 100,000), so their growth is shown
 * with the rows returned and is no goal: no query, the baseline's included, returns five times the
 * rows at the same cost.
 */
type Shape = { name: string; actor: { id: string; roles?: string[] }; filter: Record<string, unknown>; fixed: boolean };
/** The list shapes measured: the owner's and an admin's first page, tag filters, searches, and a deep page by cursor. */
function shapes(count: number): Shape[] {
  const owner = { id: 'user-7' };
  const admin = { id: 'root', roles: ['admin'] };
  return [
    { name: 'first page as owner', actor: owner, filter: {}, fixed: true },
    { name: 'first page as admin', actor: admin, filter: {}, fixed: true },
    { name: 'tag filter as owner', actor: owner, filter: { tag: 'group-7' }, fixed: false },
    { name: 'tag filter as owner, fixed matches', actor: owner, filter: { tag: 'pilot' }, fixed: true },
    { name: 'search as owner', actor: owner, filter: { search: 'ember fj' }, fixed: false },
    { name: 'search as owner, fixed matches', actor: owner, filter: { search: 'pilot' }, fixed: true },
    { name: `deep page by cursor as admin (row ${count / 2})`, actor: admin, filter: { deep: true }, fixed: true },
  ];
}

// ---------------------------------------------------------------------------------------------
// Loading

async function loadOurs(ds: DataSource, from: number, to: number): Promise<void> {
  const store = new PersonaStore(ds);
  const admin = { id: 'loader', roles: ['admin'] };
  for (let start = from; start < to; start += 2000) {
    const batch = Array.from({ length: Math.min(2000, to - start) }, (_, k) => persona(start + k));
    await store.createMany(batch as never[], admin);
  }
}

// ---------------------------------------------------------------------------------------------
// SQLite

function sqliteBaseline(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE personas (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, owner TEXT NOT NULL, is_public INTEGER NOT NULL, doc TEXT NOT NULL);
           CREATE INDEX personas_name ON personas (name, id);
           CREATE INDEX personas_owner ON personas (owner, name);
           CREATE INDEX personas_public ON personas (name, id) WHERE is_public = 1;
           CREATE TABLE persona_tags (tag TEXT NOT NULL, persona_id TEXT NOT NULL, PRIMARY KEY (tag, persona_id));`);
  return db;
}

function loadSqliteBaseline(db: Database.Database, from: number, to: number): void {
  const insert = db.prepare('INSERT INTO personas (id, slug, name, owner, is_public, doc) VALUES (?, ?, ?, ?, ?, ?)');
  const tag = db.prepare('INSERT INTO persona_tags (tag, persona_id) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = from; i < to; i++) {
      const id = newId();
      const d = doc(i, id);
      insert.run(id, d.slug, d.name, d.createdBy, d.isPublic ? 1 : 0, JSON.stringify(d));
      for (const t of d.tags as string[]) tag.run(t, id);
    }
  })();
}

/** The baseline's list on SQLite: visible rows in name order, 50 at a time, documents parsed. */
function sqliteBaselineList(db: Database.Database, shape: Shape, deepAfter: { name: string; id: string } | null): unknown[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (!shape.actor.roles) {
    where.push('(is_public = 1 OR owner = ?)');
    params.push(shape.actor.id);
  }
  if (shape.filter.tag) {
    where.push('id IN (SELECT persona_id FROM persona_tags WHERE tag = ?)');
    params.push(shape.filter.tag);
  }
  if (shape.filter.search) {
    where.push("(lower(name) LIKE ? ESCAPE '\\' OR lower(slug) LIKE ? ESCAPE '\\')");
    params.push(`%${shape.filter.search}%`, `%${shape.filter.search}%`);
  }
  if (deepAfter) {
    where.push('(name, id) > (?, ?)');
    params.push(deepAfter.name, deepAfter.id);
  }
  const sql = `SELECT doc FROM personas ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, id LIMIT 50`;
  return (db.prepare(sql).all(...params) as { doc: string }[]).map((r) => JSON.parse(r.doc));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

async function pgAdmin(base: string, sql: string): Promise<void> {
  const c = new Client({ connectionString: base });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function pgBaseline(client: Client): Promise<void> {
  await client.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE TABLE base_personas (id uuid PRIMARY KEY, slug text NOT NULL UNIQUE, name text NOT NULL, owner text NOT NULL, is_public boolean NOT NULL, tags jsonb NOT NULL, doc jsonb NOT NULL);
    CREATE INDEX base_personas_name ON base_personas (name, id);
    CREATE INDEX base_personas_owner ON base_personas (owner, name);
    CREATE INDEX base_personas_public ON base_personas (name, id) WHERE is_public;
    CREATE INDEX base_personas_tags ON base_personas USING gin (tags);
    CREATE INDEX base_personas_name_trgm ON base_personas USING gin (lower(name) gin_trgm_ops);
    CREATE INDEX base_personas_slug_trgm ON base_personas USING gin (lower(slug) gin_trgm_ops);
    CREATE TABLE base_events (id bigserial PRIMARY KEY, persona_id uuid NOT NULL, success boolean NOT NULL, latency_ms integer NOT NULL, rating integer, at timestamptz NOT NULL);
    CREATE INDEX base_events_persona ON base_events (persona_id, at);
    CREATE TABLE base_counters (persona_id uuid PRIMARY KEY, n bigint NOT NULL DEFAULT 0, successes bigint NOT NULL DEFAULT 0, latency bigint NOT NULL DEFAULT 0, ratings bigint NOT NULL DEFAULT 0, rating_sum bigint NOT NULL DEFAULT 0, last_at timestamptz);`);
}

async function loadPgBaseline(client: Client, from: number, to: number): Promise<void> {
  await client.query('BEGIN');
  for (let start = from; start < to; start += 2000) {
    const rows = Array.from({ length: Math.min(2000, to - start) }, (_, k) => {
      const id = newId();
      return doc(start + k, id);
    });
    await client.query(
      `INSERT INTO base_personas (id, slug, name, owner, is_public, tags, doc)
       SELECT (d->>'id')::uuid, d->>'slug', d->>'name', d->>'createdBy', (d->>'isPublic')::boolean, d->'tags', d FROM jsonb_array_elements($1::jsonb) AS d`,
      [JSON.stringify(rows)],
    );
  }
  await client.query('COMMIT');
  await client.query('ANALYZE base_personas');
}

async function pgBaselineList(client: Client, shape: Shape, deepAfter: { name: string; id: string } | null): Promise<unknown[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (!shape.actor.roles) where.push(`(is_public OR owner = ${p(shape.actor.id)})`);
  if (shape.filter.tag) where.push(`tags @> ${p(JSON.stringify([shape.filter.tag]))}::jsonb`);
  if (shape.filter.search) {
    const q = p(`%${shape.filter.search}%`);
    where.push(`(lower(name) LIKE ${q} OR lower(slug) LIKE ${q})`);
  }
  if (deepAfter) where.push(`(name, id) > (${p(deepAfter.name)}, ${p(deepAfter.id)})`);
  const { rows } = await client.query(`SELECT doc FROM base_personas ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name, id LIMIT 50`, params);
  return rows.map((r) => r.doc);
}

// ---------------------------------------------------------------------------------------------
// Lists, both engines

type Engine = { name: 'sqlite' | 'postgres'; ds: DataSource; baselineList: (shape: Shape, deep: { name: string; id: string } | null) => Promise<unknown[]> | unknown[]; baselineDeep: (offset: number) => Promise<{ name: string; id: string }> };

/** Lists: per shape, ours (without and with the total) and the baseline's, their calls interleaved. */
async function benchLists(e: Engine, count: number, previous: Map<string, { ms: number; rows: number }>): Promise<void> {
  const store = new PersonaStore(e.ds);
  for (const shape of shapes(count)) {
    let filter = { ...shape.filter };
    let deep: { name: string; id: string } | null = null;
    if (filter.deep) {
      delete filter.deep;
      const before = await store.list({ offset: count / 2 - 50, limit: 50, withTotal: false }, shape.actor);
      filter = { cursor: before.nextCursor };
      deep = await e.baselineDeep(count / 2 - 1);
    }
    const [ours, oursWithTotal, baseline] = await timeInterleaved([
      () => store.list({ ...filter, withTotal: false } as never, shape.actor),
      () => store.list(filter as never, shape.actor),
      () => e.baselineList(shape, deep),
    ]);
    const rows = (await store.list({ ...filter, withTotal: false } as never, shape.actor)).items.length;
    const baselineRows = (await e.baselineList(shape, deep)).length;
    if (rows !== baselineRows) throw new Error(`[${e.name}] ${shape.name}: ${rows} rows, the baseline ${baselineRows}`);
    const name = shape.name.replace(/\(row \d+\)/, '(middle row)');
    const size = count.toLocaleString('en-US');
    record(e.name, `${size} personas: ${shape.name} (${rows} rows)`, ours, baseline, 'ms', '<= 2');
    record(e.name, `${size} personas: ${shape.name}, with total`, oursWithTotal, baseline, 'ms', '');
    const key = `${e.name}:${name}`;
    const earlier = previous.get(key);
    if (earlier !== undefined) {
      const rowsNote = earlier.rows === rows ? `${rows} rows both` : `${earlier.rows} → ${rows} rows`;
      record(e.name, `growth ${SIZES[0].toLocaleString('en-US')} → ${size}: ${name} (${rowsNote})`, ours, earlier.ms, 'ms', shape.fixed ? '<= 2' : '');
    }
    previous.set(key, { ms: ours, rows });
    if (explain && count === SIZES[SIZES.length - 1]) await printPlan(e, store, filter, shape);
  }
}

/** The plan of every query one list call sends (the page of ids; the hydration is by primary key). */
async function printPlan(e: Engine, store: PersonaStore, filter: Record<string, unknown>, shape: Shape): Promise<void> {
  const queries: [string, unknown[]][] = [];
  const logger = e.ds.logger;
  const original = logger.logQuery.bind(logger);
  logger.logQuery = (query, parameters) => {
    queries.push([query, (parameters ?? []) as unknown[]]);
  };
  try {
    await store.list({ ...filter, withTotal: true } as never, shape.actor);
  } finally {
    logger.logQuery = original;
  }
  console.log(`\n--- EXPLAIN [${e.name}] ${shape.name} ---`);
  for (const [sql, params] of queries.filter(([q]) => /^SELECT/i.test(q.trim()))) {
    const plan: Record<string, unknown>[] = await e.ds.query(e.name === "postgres" ? `EXPLAIN (COSTS OFF) ${sql}` : `EXPLAIN QUERY PLAN ${sql}`, params);
    console.log(`${sql.length > 300 ? `${sql.slice(0, 300)}…` : sql}`);
    for (const row of plan) console.log(`    ${row['QUERY PLAN'] ?? row.detail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Events per second and p99 (ms) of `writers` concurrent loops of `fn` for `ms` milliseconds. */
async function throughput(writers: number, ms: number, fn: (writer: number, i: number) => Promise<unknown>): Promise<{ perSecond: number; p99: number }> {
  const latencies: number[] = [];
  const end = Date.now() + ms;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) {
        const t = process.hrtime.bigint();
        await fn(w, i);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] };
}

async function benchWriters(
  engine: 'sqlite' | 'postgres',
  ours: (persona: string) => Promise<unknown>,
  baseline: (persona: string) => Promise<unknown>,
  personas: string[],
  doneWithOurs: () => Promise<void> = async () => undefined,
): Promise<void> {
  const seconds = small ? 1000 : 3000;
  const figures: [number, number, { perSecond: number; p99: number }][] = [];
  for (const spread of [1, 100]) {
    for (const writers of [1, 10, 50]) {
      const pick = (w: number, i: number) => personas[spread === 1 ? 0 : (w * 31 + i) % Math.min(spread, personas.length)];
      figures.push([spread, writers, await throughput(writers, seconds, (w, i) => ours(pick(w, i)))]);
    }
  }
  await doneWithOurs();
  for (const spread of [1, 100]) {
    for (const writers of [1, 10, 50]) {
      const pick = (w: number, i: number) => personas[spread === 1 ? 0 : (w * 31 + i) % Math.min(spread, personas.length)];
      const o = figures.find(([s, w]) => s === spread && w === writers)![2];
      const b = await throughput(writers, seconds, (w, i) => baseline(pick(w, i)));
      const where = spread === 1 ? 'one persona' : '100 personas';
      const goal = engine === 'postgres' && writers === 50 && spread === 1 ? '>= 1.5' : '';
      record(engine, `events/s, ${writers} writer${writers > 1 ? 's' : ''} on ${where}`, o.perSecond, b.perSecond, 'events/s', goal);
      record(engine, `p99 per event, ${writers} writer${writers > 1 ? 's' : ''} on ${where}`, o.p99, b.p99, 'ms', engine === 'postgres' && writers === 50 && spread === 1 ? 'abs<= 100' : '');
    }
  }
}

/** Loads `EVENTS` events of one persona over the last 30 days through recordInteractions, 10,000 at a time. */
async function loadEvents(metrics: MetricsService, personaId: string): Promise<void> {
  const now = Date.now();
  for (let start = 0; start < EVENTS; start += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, EVENTS - start) }, (_, k) => {
      const i = start + k;
      return { personaId, success: i % 10 !== 0, latencyMs: 100 + ((i * 7919) % 2900), inputTokens: 500, outputTokens: 200, rating: i % 3 ? null : 1 + (i % 5), at: new Date(now - 1000 - ((i * 2_591_999) % (30 * 86_400_000))) };
    });
    await metrics.recordInteractions(batch);
  }
}

async function benchMetricsReads(engine: 'sqlite' | 'postgres', ds: DataSource, personaId: string, logScan: () => Promise<unknown> | unknown): Promise<void> {
  const metrics = new MetricsService(ds);
  const label = `${(EVENTS / 1e6).toLocaleString('en-US')}M events`;
  const scan = await time(logScan);
  record(engine, `metrics get() at ${label} (baseline: counters row + p95 over the log)`, await time(() => metrics.get(personaId)), scan, 'ms', 'abs<= 5');
  record(engine, `metrics byVersion() at ${label}`, await time(() => metrics.byVersion(personaId)), null, 'ms', 'abs<= 5');
  record(engine, `metrics series(day, 30 days) at ${label}`, await time(() => metrics.series(personaId, { bucket: 'day' })), null, 'ms', '');
  record(engine, `metrics series(hour, 7 days) at ${label}`, await time(() => metrics.series(personaId, { bucket: 'hour', from: new Date(Date.now() - 7 * 86_400_000) })), null, 'ms', '');
}

// ---------------------------------------------------------------------------------------------

async function runSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'personas-scale-'));
  try {
    const ds = await createDataSource({ database: join(dir, 'ours.db') }).initialize();
    const base = sqliteBaseline(join(dir, 'baseline.db'));
    const engine: Engine = {
      name: 'sqlite',
      ds,
      baselineList: (shape, deep) => sqliteBaselineList(base, shape, deep),
      baselineDeep: async (offset) => base.prepare('SELECT name, id FROM personas ORDER BY name, id LIMIT 1 OFFSET ?').get(offset) as { name: string; id: string },
    };
    const previous = new Map<string, { ms: number; rows: number }>();
    let loaded = 0;
    for (const count of SIZES) {
      const t = Date.now();
      await loadOurs(ds, loaded, count);
      loadSqliteBaseline(base, loaded, count);
      loaded = count;
      await ds.query('ANALYZE');
      base.exec('ANALYZE');
      console.log(`[sqlite] loaded ${count.toLocaleString('en-US')} personas in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      await benchLists(engine, count, previous);
    }
    await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
    base.pragma('wal_checkpoint(TRUNCATE)');
    record('sqlite', `database size at ${loaded.toLocaleString('en-US')} personas`, statSync(join(dir, 'ours.db')).size / 2 ** 20, statSync(join(dir, 'baseline.db')).size / 2 ** 20, 'MiB', '<= 2');

    // Metrics: writers on one persona and on 100 (SQLite serialises writers on its one connection).
    const ids = (await ds.query('SELECT id FROM personas ORDER BY id LIMIT 100')).map((r: { id: string }) => r.id);
    base.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, persona_id TEXT NOT NULL, success INTEGER NOT NULL, latency_ms INTEGER NOT NULL, rating INTEGER, at TEXT NOT NULL); CREATE INDEX events_persona ON events (persona_id, latency_ms); CREATE TABLE counters (persona_id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0, latency INTEGER NOT NULL DEFAULT 0);');
    const ins = base.prepare('INSERT INTO events (persona_id, success, latency_ms, rating, at) VALUES (?, 1, ?, NULL, ?)');
    const upd = base.prepare('INSERT INTO counters (persona_id, n, latency) VALUES (?, 1, ?) ON CONFLICT (persona_id) DO UPDATE SET n = n + 1, latency = latency + excluded.latency');
    const event = base.transaction((id: string, latency: number) => {
      ins.run(id, latency, new Date().toISOString());
      upd.run(id, latency);
    });
    const metrics = new MetricsService(ds);
    await benchWriters('sqlite', (id) => metrics.recordInteraction(id, { success: true, latencyMs: 120 }), async (id) => event(id, 120), ids);

    const t = Date.now();
    await loadEvents(metrics, ids[1]);
    base.transaction(() => {
      for (let i = 0; i < EVENTS; i++) ins.run(ids[1], 100 + ((i * 7919) % 2900), new Date().toISOString());
    })();
    console.log(`[sqlite] loaded ${EVENTS.toLocaleString('en-US')} events in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    const count = base.prepare('SELECT COUNT(*) AS n FROM events WHERE persona_id = ?');
    const p95 = base.prepare('SELECT latency_ms FROM events WHERE persona_id = ? ORDER BY latency_ms LIMIT 1 OFFSET ?');
    await benchMetricsReads('sqlite', ds, ids[1], () => {
      const { n } = count.get(ids[1]) as { n: number };
      return p95.get(ids[1], Math.ceil(0.95 * n) - 1);
    });
    base.close();
    await ds.destroy();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runPostgres(baseUrl: string): Promise<void> {
  const name = `personas_scale_${randomBytes(4).toString('hex')}`;
  await pgAdmin(baseUrl, `CREATE DATABASE "${name}"`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  try {
    const ds = await createDataSource({ url, installExtensions: false }).initialize();
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined); // the final DROP ... WITH (FORCE) ends it if an error left it open
    await client.connect();
    await pgBaseline(client);
    const engine: Engine = {
      name: 'postgres',
      ds,
      baselineList: (shape, deep) => pgBaselineList(client, shape, deep),
      baselineDeep: async (offset) => (await client.query('SELECT name, id FROM base_personas ORDER BY name, id LIMIT 1 OFFSET $1', [offset])).rows[0],
    };
    const previous = new Map<string, { ms: number; rows: number }>();
    let loaded = 0;
    for (const count of SIZES) {
      const t = Date.now();
      await loadOurs(ds, loaded, count);
      await loadPgBaseline(client, loaded, count);
      loaded = count;
      // Both tables vacuumed as well as analysed, as after any bulk load: until a VACUUM sets the
      // visibility map, an index-only scan visits the heap for every row, and autovacuum doing it
      // at a moment of its own choosing moved list figures (ours and the baseline's) between runs.
      await ds.query('VACUUM ANALYZE');
      console.log(`[postgres] loaded ${count.toLocaleString('en-US')} personas in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      await benchLists(engine, count, previous);
    }
    const size = async (where: string) => Number((await client.query(`SELECT SUM(pg_total_relation_size(c.oid)) AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND ${where}`)).rows[0].s) / 2 ** 20;
    record('postgres', `database size at ${loaded.toLocaleString('en-US')} personas`, await size(`c.relname NOT LIKE 'base\\_%'`), await size(`c.relname IN ('base_personas')`), 'MiB', '<= 2');

    const ids = (await ds.query('SELECT id FROM personas ORDER BY id LIMIT 100')).map((r: { id: string }) => r.id);
    await client.query('INSERT INTO base_counters (persona_id) SELECT unnest($1::uuid[])', [ids]);
    // 50 writers get 50 connections each, ours and then the baseline's, never both at once.
    const writers = await createDataSource({ url, installExtensions: false, poolSize: 50 }).initialize();
    const ourMetrics = new MetricsService(writers);
    const pool = new Pool({ connectionString: url, max: 50, idleTimeoutMillis: 500 });
    const baselineEvent = async (id: string) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query('INSERT INTO base_events (persona_id, success, latency_ms, at) VALUES ($1, true, 120, now())', [id]);
        await c.query('UPDATE base_counters SET n = n + 1, successes = successes + 1, latency = latency + 120, last_at = GREATEST(last_at, now()) WHERE persona_id = $1', [id]);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    };
    await benchWriters('postgres', (id) => ourMetrics.recordInteraction(id, { success: true, latencyMs: 120 }), baselineEvent, ids, async () => {
      await writers.destroy();
    });
    await pool.end();
    const metrics = new MetricsService(ds);

    const t = Date.now();
    await loadEvents(metrics, ids[1]);
    await client.query(`INSERT INTO base_events (persona_id, success, latency_ms, rating, at) SELECT $1, g % 10 <> 0, 100 + (g::bigint * 7919) % 2900, NULL, now() - (g % 2592000) * interval '1 second' FROM generate_series(1, $2) g`, [ids[1], EVENTS]);
    await client.query('ANALYZE');
    console.log(`[postgres] loaded ${EVENTS.toLocaleString('en-US')} events in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    await benchMetricsReads('postgres', ds, ids[1], async () => {
      await client.query('SELECT * FROM base_counters WHERE persona_id = $1', [ids[1]]);
      await client.query('SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) FROM base_events WHERE persona_id = $1', [ids[1]]);
    });
    await client.end();
    await ds.destroy();
  } catch (error) {
    console.error('[postgres] failed:', error);
    process.exitCode = 1;
  } finally {
    await pgAdmin(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

/** Runs the scale benchmark on both engines (PostgreSQL when reachable) and writes bench/scale-results.json. */
export async function runScale(pgUrl: string | undefined): Promise<void> {
  const started = Date.now();
  console.log(`scale benchmark: ${SIZES.map((n) => n.toLocaleString('en-US')).join(' and ')} personas, ${EVENTS.toLocaleString('en-US')} events; lists: median of ${LIST_RUNS} calls interleaved with the baseline's, other figures: median of ${RUNS} calls, each after 20\n`);
  if (!process.argv.includes('--postgres-only')) await runSqlite();
  if (pgUrl && !process.argv.includes('--sqlite-only')) await runPostgres(pgUrl);
  else if (!pgUrl) console.log('skip  PostgreSQL: no server at PERSONAS_TEST_PG_URL (or 127.0.0.1:5432)');
  const goals = results.filter((r) => r.met !== null);
  console.log(`\n${goals.filter((r) => r.met).length} of ${goals.length} goals met in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (!small && Number.isNaN(personasArg) && !process.argv.includes('--postgres-only') && !process.argv.includes('--sqlite-only')) {
    writeFileSync(join(__dirname, '..', '..', 'bench', 'scale-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
}
