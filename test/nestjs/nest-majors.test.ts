import { execFileSync, spawn, spawnSync } from 'child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/*
 * PersonaModule on both supported NestJS majors, from a host application written as ES modules
 * (test/fixtures/nest-esm-host/app.mjs, what a new NestJS 12 project looks like):
 * - NestJS 11, the repository's devDependencies, against the built package (dist/, made by pretest);
 * - NestJS 12 (ES modules only), installed from the npm registry into a temporary directory with
 *   `npm pack` of this package, loaded by our CommonJS code through require(esm) (Node 20.19+).
 * Jest itself cannot load NestJS 12 (its module system has no require(esm)), so the host app runs
 * under plain Node and prints its results as one JSON line.
 */

const ROOT = join(__dirname, '..', '..');
const HOST = join(ROOT, 'test', 'fixtures', 'nest-esm-host', 'app.mjs');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

/** The other major: exact versions, as package.json pins its own. */
const NEST_12 = { '@nestjs/common': '12.5.1', '@nestjs/core': '12.5.1', '@nestjs/platform-express': '12.5.1', '@nestjs/swagger': '12.0.2' };

function runHost(cwdApp: string): Record<string, unknown> {
  const work = mkdtempSync(join(tmpdir(), 'persona-esm-host-'));
  const r = spawnSync(process.execPath, [cwdApp, work], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (r.status !== 0) throw new Error(`host app failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

/** What the host app must see on every major. */
function expectWorking(results: Record<string, unknown>): void {
  expect(results).toMatchObject({
    unauthenticated: 401,
    create: [201, '"1"', 'ada'],
    invalid: [400, 'VALIDATION_FAILED', ['name', 'slug']],
    stale: 412,
    update: [200, '"2"'],
    render: [200, ['maths']],
    diff: [200, ['description']],
    me: { id: 'ada', roles: ['admin'] },
    label: [200, 1],
    labelRender: [200, 1],
    interaction: 204,
    metrics: [200, [2]],
    template: [201, true],
    export: [200, 'chara_card_v2'],
    import: [201, 'Card'],
    openapi: [200, '3.1.0', expect.any(Number), true],
    swaggerUi: 200,
    console: [200, { apiBase: '/', auth: 'bearer', openapi: '/openapi.json' }],
    consoleIndex: 200,
    injected: 2,
  });
  expect((results.openapi as number[])[2]).toBeGreaterThanOrEqual(20);
}

describe('PersonaModule on NestJS 11 and 12, from an ES-module host app', () => {
  it('works on NestJS 11 (the repository install)', () => {
    const results = runHost(HOST);
    expect(String(results.nest)).toMatch(/^11\./);
    expectWorking(results);
  }, 120_000);

  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('works on NestJS 12 installed with npm pack of this package', async () => {
    dir = mkdtempSync(join(tmpdir(), 'persona-nest12-'));
    // --ignore-scripts: `prepare` would rebuild; pretest has built dist/ already.
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz')) as string;
    const same = (name: string) => pkg.devDependencies[name];
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'persona-nest12-host',
        private: true,
        type: 'module',
        dependencies: {
          'conductor-personas': `file:./${tarball}`,
          ...NEST_12,
          ...Object.fromEntries(['typeorm', 'class-validator', 'class-transformer', 'rxjs'].map((n) => [n, same(n)])),
          'reflect-metadata': '0.2.2',
        },
      }),
    );
    // No install scripts: nothing downloads at install. better-sqlite3's native module is the one
    // the repository built (same version, same Node).
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, stdio: 'pipe', timeout: 300_000 });
    const native = join('node_modules', 'better-sqlite3', 'build', 'Release');
    mkdirSync(join(dir, native), { recursive: true });
    copyFileSync(join(ROOT, native, 'better_sqlite3.node'), join(dir, native, 'better_sqlite3.node'));
    copyFileSync(HOST, join(dir, 'app.mjs'));
    const results = runHost(join(dir, 'app.mjs'));
    expect(results.nest).toBe(NEST_12['@nestjs/core']);
    expect(results.swagger).toBe(NEST_12['@nestjs/swagger']);
    // Our CommonJS code and the ES-module host share one instance of NestJS 12's modules.
    expectWorking(results);

    // `persona serve` of the installed package runs on NestJS 12 too.
    const child = spawn(process.execPath, [join(dir, 'node_modules', 'conductor-personas', 'dist', 'src', 'cli', 'main.js'), 'serve', '--db', join(dir, 'serve.db'), '--port', '0'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
        child.stdout.on('data', () => /admin token: \S+/.test(out) && (clearTimeout(timer), resolve()));
        child.on('exit', () => (clearTimeout(timer), reject(new Error(`serve exited: ${out}`))));
      });
      const url = (/listening on (http:\/\/\S+)/.exec(out) as RegExpExecArray)[1];
      const token = (/admin token: (\S+)/.exec(out) as RegExpExecArray)[1];
      expect((await fetch(`${url}/personas`)).status).toBe(401);
      expect((await fetch(`${url}/personas`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 420_000);
});
