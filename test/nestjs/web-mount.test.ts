import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PersonaModule } from '../../src/nestjs';
import type { ActorResolver } from '../../src/nestjs';
import { swaggerUiPath, webSettings } from '../../src/nestjs/mount';
import { createDataSource } from '../../src/persistence/data-source';

/** A console build as Vite writes it: index.html with the base to rewrite, hashed assets. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'persona-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><base href="/console/" /><script type="module" src="./assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

/** A host with its own authentication: a session cookie naming the user. */
const cookieResolver: ActorResolver = (req) => {
  const cookie = String(req.headers.cookie ?? '');
  const m = /session=(\w+)/.exec(cookie);
  return m ? { id: m[1] } : undefined;
};

async function host(options: Parameters<typeof PersonaModule.forRoot>[0], prefix?: string): Promise<INestApplication> {
  @Module({ imports: [PersonaModule.forRoot(options)] })
  class HostModule {}
  const app = await NestFactory.create(HostModule, { logger: false });
  if (prefix) app.setGlobalPrefix(prefix);
  await app.init();
  return app;
}

describe('PersonaModule.forRoot({ console, openapi }) in a host app', () => {
  let ds: DataSource;
  let app: INestApplication;
  const build = fakeBuild();
  beforeAll(async () => {
    ds = await createDataSource({ database: ':memory:' }).initialize();
    app = await host({ dataSource: ds, http: true, actorResolver: cookieResolver, console: { path: '/admin/personas/', dir: build }, openapi: { path: '/docs/api.json' } }, 'api');
  });
  afterAll(async () => {
    await app.close();
    await ds.destroy();
  });

  it('serves the console at its path, index.html with the base rewritten, for client routes too', async () => {
    for (const path of ['/admin/personas/', '/admin/personas/index.html', '/admin/personas/personas/ada/edit']) {
      const r = await request(app.getHttpServer()).get(path).expect(200);
      expect(r.text).toContain('<base href="/admin/personas/">');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    }
    await request(app.getHttpServer()).get('/admin/personas').expect(308).expect('Location', '/admin/personas/');
  });

  it('serves hashed assets with a year of caching; a missing asset is 404, not index.html', async () => {
    const js = await request(app.getHttpServer()).get('/admin/personas/assets/index-abc123.js').expect(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-type']).toMatch(/javascript/);
    const icon = await request(app.getHttpServer()).get('/admin/personas/favicon.svg').expect(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    await request(app.getHttpServer()).get('/admin/personas/assets/index-old999.js').expect(404);
  });

  it('never serves a file outside the build', async () => {
    for (const path of ['/admin/personas/../../package.json', '/admin/personas/%2e%2e/%2e%2e/package.json', '/admin/personas/..%2f..%2fpackage.json', '/admin/personas/.env']) {
      const r = await request(app.getHttpServer()).get(path);
      expect(r.text).not.toContain('conductor-personas');
      expect([path, r.status === 404 || r.text.includes('<base href')]).toEqual([path, true]);
    }
  });

  it("tells the console the host's API base and that the host authenticates", async () => {
    const r = await request(app.getHttpServer()).get('/admin/personas/config.json').expect(200);
    expect(r.body).toEqual({ apiBase: '/api/', auth: 'none', openapi: '/docs/api.json' });
  });

  it("puts the REST routes behind the host's actor resolver, under its prefix", async () => {
    await request(app.getHttpServer()).get('/api/personas').expect(401);
    await request(app.getHttpServer()).get('/api/personas').set('Cookie', 'session=alice').expect(200);
    await request(app.getHttpServer()).get('/api/me').set('Cookie', 'session=alice').expect(200, { id: 'alice', roles: [] });
  });

  it('serves the OpenAPI document and Swagger UI at the paths asked for, with the host prefix in the paths', async () => {
    const doc = await request(app.getHttpServer()).get('/docs/api.json').expect(200);
    expect(Object.keys(doc.body.paths)).toContain('/api/personas/{idOrSlug}');
    expect(doc.body.components.securitySchemes).toBeUndefined();
    await request(app.getHttpServer()).get('/docs/api/').expect(200);
    expect(swaggerUiPath('/docs/api')).toBe('/docs/api-ui');
  });

  it('answers 503 with how to build when the console is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'persona-no-console-'));
    const other = await host({ dataSource: ds, http: true, console: { dir: empty } });
    try {
      const r = await request(other.getHttpServer()).get('/console/').expect(503);
      expect(r.text).toContain('npm run build');
      await request(other.getHttpServer()).get('/openapi.json').expect(404);
    } finally {
      await other.close();
    }
  });

  it('refuses a bad mount path or auth at start-up', () => {
    for (const path of ['console', '/a b', '/../x', '/x/./y', 'https://evil.example/', '']) {
      expect(() => webSettings({ console: { path } })).toThrow(/console.path must be a path/);
    }
    expect(() => webSettings({ openapi: { path: '/x?y' } })).toThrow(/openapi.path/);
    expect(() => webSettings({ console: { auth: 'cookie' as never } })).toThrow(/console.auth/);
    expect(webSettings({ console: true, openapi: true })).toEqual({ console: { path: '/console', auth: 'none', dir: undefined }, openapi: { path: '/openapi.json', uiPath: '/openapi', bearer: false } });
  });
});
