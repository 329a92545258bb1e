import { ChildProcessByStdio } from 'child_process';
import { Readable } from 'stream';
import { writeFileSync } from 'fs';
import { join } from 'path';
import request from 'supertest';
import { persona, personaAsync, tempDir } from './run-cli';

type Server = { child: ChildProcessByStdio<null, Readable, Readable>; url: string; token?: string; stdout: () => string };

/** Starts `persona serve` on a temporary SQLite file and a free port; resolves once it listens. */
async function startServe(extra: string[] = []): Promise<Server> {
  const dir = tempDir();
  const child = personaAsync(['serve', '--db', join(dir, 'p.db'), '--port', '0', ...extra]);
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (err += b));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 30_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && /admin token|user\(s\) from/.test(out)) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out}${err}`));
    });
  });
  return { child, url, token: /admin token: (\S+)/.exec(out)?.[1], stdout: () => out };
}

async function stop(server: Server): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode;
  const exited = new Promise<number | null>((resolve) => server.child.on('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  return exited;
}

describe('persona serve', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServe();
  }, 60_000);
  afterAll(async () => {
    await stop(server);
  });

  it('prints one admin token of 43 base64url characters', () => {
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.stdout().split(server.token as string)).toHaveLength(2);
  });

  it('answers every API route with 401 without a valid bearer token', async () => {
    for (const [method, path] of [
      ['get', '/personas'],
      ['post', '/personas'],
      ['get', '/personas/x/resolved'],
      ['get', '/templates'],
      ['post', '/personas/import'],
      ['get', '/schemas/persona'],
    ] as const) {
      const none = await request(server.url)[method](path);
      expect([method, path, none.status, none.body.code]).toEqual([method, path, 401, 'UNAUTHENTICATED']);
      const wrong = await request(server.url)[method](path).set('Authorization', `Bearer ${'x'.repeat(43)}`);
      expect([method, path, wrong.status]).toEqual([method, path, 401]);
    }
    // The development header resolver is not in use: x-actor-id authenticates nobody.
    await request(server.url).get('/personas').set('x-actor-id', 'admin').set('x-actor-roles', 'admin').expect(401);
    // A token with one character more or less is a different token.
    await request(server.url).get('/personas').set('Authorization', `Bearer ${server.token}x`).expect(401);
    await request(server.url).get('/personas').set('Authorization', `Bearer ${(server.token as string).slice(0, -1)}`).expect(401);
  });

  it('answers a body without a valid token 401 before reading it: no JSON error, no 413, the connection closed', async () => {
    const broken = await request(server.url).post('/personas').set('Content-Type', 'application/json').send('{');
    expect([broken.status, broken.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const huge = await request(server.url).post('/personas/import').set('Content-Type', 'application/json').send(`{"base64":"${'A'.repeat(12_000_000)}"}`).catch((e: { response?: request.Response }) => e.response);
    // Either the 401 arrives, or the server closed the connection while the client was still sending.
    if (huge) expect(huge.status).toBe(401);
    // With the token, the same malformed body is the parser's 400.
    await request(server.url).post('/personas').set('Authorization', `Bearer ${server.token}`).set('Content-Type', 'application/json').send('{').expect(400);
  });

  it('serves the API to the admin token: create, read, list', async () => {
    const auth = { Authorization: `Bearer ${server.token}` };
    const created = await request(server.url).post('/personas').set(auth).send({ name: 'Ada', slug: 'ada', instructions: 'Be precise.' }).expect(201);
    expect(created.body.createdBy).toBe('admin');
    expect(created.headers.etag).toBe('"1"');
    const list = await request(server.url).get('/personas').set(auth).expect(200);
    expect(list.body.items.map((p: { slug: string }) => p.slug)).toEqual(['ada']);
  });

  it('takes a card PNG of megabytes in base64, refusing with 400 one above the import limit and with 413 a body above 10 MB', async () => {
    const auth = { Authorization: `Bearer ${server.token}` };
    const tooLong = await request(server.url).post('/personas/import').set(auth).send({ base64: 'A'.repeat(8_000_004) }).expect(400);
    expect(tooLong.body.issues.map((i: { path: string }) => i.path)).toEqual(['base64']);
    await request(server.url).post('/personas/import').set(auth).send({ base64: 'A'.repeat(11_000_000) }).expect(413);
  });

  it('sends the strict Content-Security-Policy and the other security headers on every response, and no CORS headers', async () => {
    for (const path of ['/personas', '/console/', '/openapi.json', '/openapi/', '/nowhere']) {
      const r = await request(server.url).get(path).set('Origin', 'https://evil.example');
      const csp = r.headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-powered-by']).toBeUndefined();
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    const preflight = await request(server.url).options('/personas').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the OpenAPI document and Swagger UI without a token, from local files', async () => {
    const doc = await request(server.url).get('/openapi.json').expect(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/personas/{idOrSlug}/render'].post).toBeDefined();
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await request(server.url).get('/openapi/').expect(200);
    expect(ui.text).not.toMatch(/<script>|<style|https?:\/\//);
    for (const src of ['swagger-ui-bundle.js', 'swagger-ui.css', 'persona-swagger-init.js']) {
      expect(ui.text).toContain(src);
      await request(server.url).get(`/openapi/${src}`).expect(200);
    }
    await request(server.url).get('/openapi/package.json').expect(404);
  });

  it('lets the console load without a token: its files, client routes and config.json', async () => {
    const config = await request(server.url).get('/console/config.json').expect(200);
    expect(config.body).toEqual({ apiBase: '/', auth: 'bearer', openapi: '/openapi.json' });
    await request(server.url).get('/console').expect(308).expect('Location', '/console/');
    await request(server.url).get('/').expect(302).expect('Location', '/console/');
    // index.html when the console is built, a 503 that says how to build it when it is not; never a 401.
    for (const path of ['/console/', '/console/personas/ada/edit']) {
      const r = await request(server.url).get(path);
      expect([200, 503]).toContain(r.status);
      expect(r.headers['cache-control']).toBe('no-cache');
    }
  });

  it('says why it cannot listen on a port in use or an unknown host (exit 2), and closes the database', () => {
    const dir = tempDir();
    const port = new URL(server.url).port;
    const busy = persona(['serve', '--db', join(dir, 'p.db'), '--port', port]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    const unknown = persona(['serve', '--db', join(dir, 'p.db'), '--port', '0', '--host', 'no-such-host.invalid']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cannot listen on no-such-host\.invalid:0/);
  });

  it('shuts down on SIGTERM with exit code 0', async () => {
    const other = await startServe();
    expect(await stop(other)).toBe(0);
    expect(other.child.signalCode).toBeNull();
  }, 60_000);
});

describe('persona serve --users', () => {
  it('accepts the tokens of the file, as their actors and roles, and no generated one', async () => {
    const dir = tempDir();
    const file = join(dir, 'users.json');
    writeFileSync(file, JSON.stringify([
      { token: 'alice-token-0123456789', id: 'alice', roles: ['admin'] },
      { token: 'bob-token-0123456789ab', id: 'bob' },
    ]));
    const server = await startServe(['--users', file]);
    try {
      expect(server.token).toBeUndefined();
      expect(server.stdout()).not.toContain('alice-token');
      await request(server.url).post('/personas').set('Authorization', 'Bearer bob-token-0123456789ab').send({ name: 'Bob', slug: 'bobs', isPublic: false }).expect(201);
      // Private to bob, visible to alice as an admin.
      await request(server.url).get('/personas/bobs').set('Authorization', 'Bearer alice-token-0123456789').expect(200);
      await request(server.url).get('/personas').set('Authorization', 'bearer bob-token-0123456789ab').expect(200);
      await request(server.url).get('/personas').set('Authorization', 'Basic Ym9iOmJvYg==').expect(401);
    } finally {
      await stop(server);
    }
  }, 60_000);

  it.each([
    ['not JSON', '[{', /not valid JSON/],
    ['not an array', '{"token":"x"}', /\(root\): .*JSON array/],
    ['empty', '[]', /names no user/],
    ['a short token', JSON.stringify([{ token: 'short', id: 'a' }]), /\[0\]\.token: .*(longer|length)/],
    ['no id', JSON.stringify([{ token: 'a-long-enough-token-1' }]), /\[0\]\.id/],
    ['a token with a space', JSON.stringify([{ token: 'a long enough token 1', id: 'a' }]), /\[0\].token: must be printable ASCII/],
    ['roles not strings', JSON.stringify([{ token: 'a-long-enough-token-1', id: 'a', roles: [1] }]), /\[0\]\.roles/],
    ['an unknown field', JSON.stringify([{ token: 'a-long-enough-token-1', id: 'a', password: 'x' }]), /\[0\]\.password: unknown field/],
    ['a token twice', JSON.stringify([{ token: 'a-long-enough-token-1', id: 'a' }, { token: 'a-long-enough-token-1', id: 'b' }]), /\[1\]\.token: .*token of \[0\]/],
  ])('refuses to start on a users file with %s, naming the problem and never the token', (_what, content, message) => {
    const dir = tempDir();
    const file = join(dir, 'users.json');
    writeFileSync(file, content);
    const r = persona(['serve', '--db', join(dir, 'p.db'), '--port', '0', '--users', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('not serving');
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr).not.toContain('a-long-enough-token-1');
  });

  it('refuses a missing users file and a bad port before listening', () => {
    const dir = tempDir();
    const missing = persona(['serve', '--db', join(dir, 'p.db'), '--users', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
    expect(persona(['serve', '--db', join(dir, 'p.db'), '--port', '70000']).code).toBe(2);
  });
});
