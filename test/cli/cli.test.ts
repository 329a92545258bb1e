import Database from 'better-sqlite3';
import { randomBytes } from 'crypto';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';
import { fixture } from '../fixtures';
import { SQLITE_MIGRATIONS } from '../../src/persistence/migrations/sqlite';
import { PG_URL } from '../support/engines';
import { persona, personaAsync, tempDir } from './run-cli';

const dir = tempDir();
const write = (name: string, value: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

describe('persona demo', () => {
  it('runs the main job on a fresh SQLite file in seconds and shows every part', () => {
    const started = Date.now();
    const r = persona(['demo']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const part of ['Starter templates', 'resolved through its lineage, with provenance', 'Rendered system prompt', 'Metrics', 'Revision history']) expect(r.stdout).toContain(part);
    expect(r.stdout).toContain('acme-support-fr -> acme-support');
    expect(r.stdout).toContain('recompute from the interaction log agrees: true');
    expect(r.stdout).toContain('VERSION_CONFLICT');
    expect(Date.now() - started).toBeLessThan(20_000);
    const db = /database: (\S+)/.exec(r.stdout)?.[1] as string;
    expect(existsSync(db)).toBe(true);
    // The demo refuses a database that is not fresh.
    const again = persona(['demo', '--db', db]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/fresh database/);
  });
});

describe('persona commands on SQLite', () => {
  const db = join(dir, 'cli.db');
  const as = (actor: string, ...args: string[]) => persona(['--db', db, '--actor', actor, ...args]);

  it('init creates the database', () => {
    const r = persona(['init', '--db', db, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ready: true, applied: SQLITE_MIGRATIONS.map((m) => m.name) });
  });

  it('validate prints every issue as file: path: message and exits 1 when any is invalid', () => {
    const good = write('good.json', fixture('personas/technical-assistant'));
    const bad = write('bad.json', { ...fixture('personas/minimal'), temperature: 3, traits: [{ name: 'x', category: 'cognitive', value: 101 }] });
    const broken = write('broken.json', '{ nope');
    const ok = persona(['validate', good]);
    expect(ok).toMatchObject({ code: 0, stdout: `${good}: valid\n` });
    const r = persona(['validate', good, bad, broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${bad}: temperature: temperature must not be greater than 2 (max)`);
    expect(r.stdout).toContain(`${bad}: traits[0].value: traits[0].value must be a number from 0 to 100`);
    expect(r.stdout).toContain(`${broken}: (root):`);
  });

  it('create, list, show, render, update, history, revert, export', () => {
    const file = write('ta.json', { ...fixture('personas/technical-assistant'), createdBy: undefined });
    const created = as('alice', 'create', '-f', file);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/created technical-assistant \(.+\) at version 1/);

    const list = as('alice', 'list', '--tag', 'engineering', '--json');
    expect(JSON.parse(list.stdout)).toMatchObject({ total: 1, items: [expect.objectContaining({ slug: 'technical-assistant' })] });
    expect(as('alice', 'list', '--status', 'draft').stdout).toContain('0 of 0');

    expect(JSON.parse(as('alice', 'show', 'technical-assistant').stdout)).toMatchObject({ slug: 'technical-assistant', version: 1, createdBy: 'alice' });

    const render = as('alice', 'render', 'technical-assistant', '--context', 'helm rollback', '--budget', '200');
    expect(render.code).toBe(0);
    expect(render.stdout).toContain('# Technical Assistant');
    expect(render.stderr).toMatch(/-- \d+ tokens of 200; model gpt-4o/);
    const renderJson = JSON.parse(as('alice', '--json', 'render', 'technical-assistant', '--context', 'helm').stdout);
    expect(renderJson.activeDomains).toContain('kubernetes');

    // The provider request body instead of the text; the context is the user's message.
    const anthropic = as('alice', 'render', 'technical-assistant', '--context', 'helm rollback', '--provider', 'anthropic');
    expect(anthropic.code).toBe(0);
    const body = JSON.parse(anthropic.stdout);
    expect(body).toMatchObject({ model: 'claude-sonnet-4', max_tokens: 4096, messages: [{ role: 'user', content: 'helm rollback' }] });
    expect(body.system[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(anthropic.stderr).toMatch(/-- anthropic model claude-sonnet-4; \d+ prompt tokens; stable prefix \d+ of \d+ characters\nwarning: temperature 0.3 left out/);
    const chat = JSON.parse(as('alice', 'render', 'technical-assistant', '--provider', 'openai-chat', '--message', 'hi', '--model', 'gpt-4.1').stdout);
    expect(chat).toMatchObject({ model: 'gpt-4.1', messages: [{ role: 'system' }, { role: 'user', content: 'hi' }], prompt_cache_key: expect.stringMatching(/^persona:.+@1$/) });
    const noGemini = as('alice', 'render', 'technical-assistant', '--context', 'x', '--provider', 'gemini');
    expect(noGemini.code).not.toBe(0);
    expect(noGemini.stderr).toMatch(/model/);
    expect(as('alice', 'render', 'technical-assistant', '--provider', 'acme').code).not.toBe(0);

    // The voice request, SSML escaped.
    const voice = as('alice', 'voice', 'technical-assistant', 'Tom & <Jerry>', '--provider', 'azure');
    expect(voice.code).toBe(0);
    const speech = JSON.parse(voice.stdout);
    expect(speech).toMatchObject({ provider: 'azure', path: '/cognitiveservices/v1' });
    expect(speech.body).toContain('<voice name="alloy"><prosody rate="+10%" pitch="+0st" volume="100">Tom &amp; &lt;Jerry&gt;</prosody></voice>');
    expect(JSON.parse(as('alice', 'voice', 'technical-assistant', 'Hello').stdout)).toMatchObject({ provider: 'openai', body: { voice: 'alloy', input: 'Hello', speed: 1.1 } });

    const patch = write('patch.json', { description: 'Patched.', responseStyle: { tone: 'dry' } });
    expect(as('alice', 'update', 'technical-assistant', '-f', patch, '--expected-version', '1').stdout).toContain('version 2');
    const stale = as('alice', 'update', 'technical-assistant', '-f', patch, '--expected-version', '1');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error: VERSION_CONFLICT: .*expected version 1, found 2\n$/);

    expect(JSON.parse(as('alice', '--json', 'history', 'technical-assistant').stdout).map((h: { version: number }) => h.version)).toEqual([1, 2]);
    expect(as('alice', 'revert', 'technical-assistant', '--to', '1').stdout).toContain('now version 3');

    const out = join(dir, 'export.json');
    expect(as('alice', 'export', 'technical-assistant', '--out', out).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ slug: 'technical-assistant', version: 3, description: fixture('personas/technical-assistant').description });
  });

  it('templates: create the starters, list, instantiate with --set, then metrics', () => {
    expect(persona(['--db', db, '--actor', 'system', '--roles', 'admin', 'template', 'create', '--starters']).code).toBe(0);
    expect(as('bob', 'template', 'list').stdout).toContain('customer-support');
    const made = as('bob', 'template', 'instantiate', 'customer-support', '--name', 'Bob Support', '--slug', 'bob-support', '--set', 'responseStyle.tone=calm', '--set', 'instructions=We sell bikes.');
    expect(made.code).toBe(0);
    expect(JSON.parse(as('bob', 'show', 'bob-support').stdout)).toMatchObject({ instructions: 'We sell bikes.', responseStyle: { tone: 'calm' } });
    const undeclared = as('bob', 'template', 'instantiate', 'customer-support', '--name', 'X', '--slug', 'x', '--set', 'temperature=1');
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toContain('error: customizations.temperature:');
    const m = JSON.parse(as('bob', '--json', 'metrics', 'bob-support', '--recompute').stdout);
    expect(m).toMatchObject({ totalInteractions: 0, successRate: null });
  });

  it('keeps private personas private and maps errors to documented exit codes', () => {
    expect(as('mallory', 'show', 'bob-support').code).toBe(3); // private, owned by bob
    expect(as('mallory', 'show', 'bob-support').stderr).toMatch(/^error: PERSONA_NOT_FOUND/);
    expect(as('alice', 'list', '--limit', 'zero').code).toBe(2);
    const deep = as('alice', 'list', '--offset', '1e21');
    expect(deep.code).toBe(1); // a refused filter, not a database failure
    expect(deep.stderr).toMatch(/^error: offset: .*1000000/);
    expect(as('alice', 'frobnicate').code).toBe(2);
    const bad = write('bad-create.json', { name: '', slug: 'ok' });
    const r = as('alice', 'create', '-f', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: name: must be longer than or equal to 1 characters (isLength)\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(as('alice', '--debug', 'create', '-f', join(dir, 'missing.json')).code).toBe(1);
    expect(persona(['--db', join(bad, 'x.db'), 'list']).code).toBe(4); // a path below a regular file
  });

  it('reads the database and actor from PERSONA_DB and PERSONA_ACTOR', () => {
    const r = persona(['list', '--json'], { PERSONA_DB: db, PERSONA_ACTOR: 'alice' });
    expect(JSON.parse(r.stdout).items.map((p: { slug: string }) => p.slug)).toContain('technical-assistant');
  });

  it('has --help on every command', () => {
    for (const command of ['demo', 'init', 'validate', 'create', 'list', 'show', 'render', 'voice', 'update', 'history', 'revert', 'template', 'metrics', 'import', 'export']) {
      const r = persona([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: persona ${command}`);
    }
  });
});

describe('persona import', () => {
  const many = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => ({
      name: `Imported ${i}`,
      slug: `${prefix}-${i}`,
      traits: [
        { name: 'a', category: 'cognitive', value: i % 100 },
        { name: 'b', category: 'personality', value: 'calm' },
        { name: 'c', category: 'behavioral', value: i % 2 === 0 },
      ],
      tags: ['imported'],
    }));

  it('imports a JSON array of thousands of personas, without a progress bar when piped, and names each refusal', () => {
    const db = join(dir, 'import.db');
    const personas = many(3000, 'bulk');
    personas[10] = { ...personas[10], name: '' };
    personas[20] = { ...personas[20], slug: 'bulk-0' };
    const file = write('bulk.json', personas);
    const extra = write('single.json', { ...fixture('personas/technical-assistant'), id: '3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f', version: 9, createdBy: 'someone' });
    const r = persona(['--db', db, '--actor', 'importer', 'import', file, extra]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('imported 2999, refused 2');
    expect(r.stdout).toContain(`refused ${file}[10]: name: name must be longer than or equal to 1 characters`);
    expect(r.stdout).toMatch(new RegExp(`refused ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[20\\]: .*slug`));
    expect(r.stderr).not.toMatch(/importing \[/);
    const sqlite = new Database(db, { readonly: true });
    expect(sqlite.prepare('SELECT COUNT(*) AS n FROM personas').get()).toEqual({ n: 2999 });
    expect(sqlite.prepare(`SELECT "createdBy", version FROM personas WHERE slug = 'technical-assistant'`).get()).toEqual({ createdBy: 'importer', version: 1 });
    sqlite.close();
  });

  it('keeps parent links inside one import', () => {
    const db = join(dir, 'lineage.db');
    const parentId = '11111111-2222-4333-8444-555555555555';
    const file = write('lineage.json', [
      { name: 'Child', slug: 'child', parentId },
      { id: parentId, name: 'Parent', slug: 'parent', temperature: 0.1 },
    ]);
    expect(persona(['--db', db, 'import', file]).code).toBe(0);
    const shown = JSON.parse(persona(['--db', db, 'show', 'child', '--resolved', '--json']).stdout);
    expect(shown.persona.temperature).toBe(0.1);
    expect(shown.lineage).toHaveLength(2);
  });

  it('leaves no half-written persona when the process is killed mid-import', async () => {
    const db = join(dir, 'killed.db');
    expect(persona(['--db', db, 'init']).code).toBe(0);
    const file = write('kill.json', many(6000, 'kill'));
    const child = personaAsync(['--db', db, 'import', file, '--batch-size', '25']);
    const reader = new Database(db, { readonly: true, fileMustExist: true });
    const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM personas').get() as { n: number }).n;
    const deadline = Date.now() + 30_000;
    while (count() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const personas = count();
    expect(personas).toBeGreaterThan(0);
    expect(personas).toBeLessThan(6000);
    const rows = reader
      .prepare(
        `SELECT p.id,
           (SELECT COUNT(*) FROM persona_traits t WHERE t."personaId" = p.id) AS traits,
           (SELECT COUNT(*) FROM persona_revisions r WHERE r."personaId" = p.id) AS revisions
         FROM personas p`,
      )
      .all() as { traits: number; revisions: number }[];
    for (const row of rows) expect(row).toMatchObject({ traits: 3, revisions: 1 });
    expect(personas % 25).toBe(0);
    expect((reader.prepare('SELECT COUNT(*) AS n FROM persona_traits').get() as { n: number }).n).toBe(personas * 3);
    reader.close();
  });
});

describe('persona import/export in other formats', () => {
  it('imports cards (JSON and PNG) and Eliza files with --format auto, and exports a card into a PNG', () => {
    const db = join(dir, 'formats.db');
    const { BLANK_PNG, writeTextChunks, readTextChunks } = require('../../src/interop/png');
    const card = fixture('interop/card-v3-full');
    const png = join(dir, 'card.png');
    writeFileSync(png, writeTextChunks(BLANK_PNG, { ccv3: Buffer.from(JSON.stringify(card)).toString('base64') }));
    const eliza = write('tom.json', fixture('interop/eliza-v1'));
    const v2 = write('seraphina.json', fixture('interop/card-v2-full'));
    const r = persona(['--db', db, '--actor', 'alice', 'import', '--format', 'auto', png, eliza, v2]);
    expect(r.stdout).toContain('imported 3, refused 0');
    expect(r.stdout).toMatch(/warning .*tom\.json: left out secrets/);
    expect(r.code).toBe(0);
    const base = join(dir, 'base.png');
    writeFileSync(base, BLANK_PNG);
    const out = join(dir, 'out.png');
    const exported = persona(['--db', db, '--actor', 'alice', 'export', 'kohai-unit-7', '--format', 'card-v3', '--png', base, '--out', out]);
    expect(exported.code).toBe(0);
    const chunk = readTextChunks(readFileSync(out)).get('ccv3');
    expect(JSON.parse(Buffer.from(chunk, 'base64').toString('utf8'))).toEqual(card);
    const asEliza = JSON.parse(persona(['--db', db, '--actor', 'alice', 'export', 'seraphina', '--format', 'eliza']).stdout);
    expect(asEliza).toMatchObject({ name: 'Seraphina' });
    const malformed = write('bad-card.json', fixture('interop/card-malformed'));
    const strict = persona(['--db', db, '--actor', 'alice', 'import', malformed]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('data.character_book');
    expect(persona(['--db', db, '--actor', 'alice', 'import', '--lenient', malformed]).stdout).toContain('imported 1, refused 0');
  });
});

(PG_URL ? describe : describe.skip)('persona commands on PostgreSQL (--url)', () => {
  const name = `personas_cli_${randomBytes(4).toString('hex')}`;
  const url = (() => {
    const u = new URL(PG_URL || 'postgres://x@127.0.0.1/x');
    u.pathname = `/${name}`;
    return u.toString();
  })();
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  beforeAll(() => admin(`CREATE DATABASE "${name}"`));
  afterAll(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

  it('runs create, render and metrics against PostgreSQL, also from PERSONA_DB_URL', () => {
    const file = write('pg.json', { ...fixture('personas/technical-assistant'), createdBy: undefined });
    expect(persona(['--url', url, '--actor', 'alice', 'create', '-f', file]).code).toBe(0);
    expect(persona(['--url', url, '--actor', 'alice', 'render', 'technical-assistant']).stdout).toContain('# Technical Assistant');
    const list = persona(['list', '--json'], { PERSONA_DB_URL: url, PERSONA_ACTOR: 'alice' });
    expect(JSON.parse(list.stdout).total).toBe(1);
    expect(JSON.parse(persona(['--url', url, '--actor', 'alice', '--json', 'metrics', 'technical-assistant']).stdout)).toMatchObject({ totalInteractions: 0 });
  });
});
