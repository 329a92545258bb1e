import { INestApplication, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { execFileSync } from 'child_process';
import { join } from 'path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { MetricsService, PersonaValidationError, PERSONA_ENTITIES, personaDataSourceOptions, PersonaRuntime, PersonaStore, TemplateService, InheritanceResolver } from '../../src';
import { PersonaModule } from '../../src/nestjs';
import { fixture } from '../fixtures';
import { closeDataSource, describeEachEngine, openDataSource, PG_URL } from '../support/engines';

const alice = { 'x-actor-id': 'alice' };
const bob = { 'x-actor-id': 'bob' };
const admin = { 'x-actor-id': 'root', 'x-actor-roles': 'admin' };

async function boot(imports: unknown[]): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}` };
}

describeEachEngine('PersonaModule REST API', (ctx) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await boot([PersonaModule.forRoot({ dataSource: ctx.ds, http: true })]));
  });
  afterAll(async () => {
    await app.close();
  });

  const technical = () => {
    const { createdBy: _c, ...rest } = fixture('personas/technical-assistant');
    return { ...rest, isPublic: false };
  };

  it('POST /personas creates (201, ETag) and GET /personas/:idOrSlug reads it back', async () => {
    const created = await request(url).post('/personas').set(alice).send(technical()).expect(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.body).toMatchObject({ slug: 'technical-assistant', version: 1, createdBy: 'alice' });
    const got = await request(url).get(`/personas/${created.body.id}`).set(alice).expect(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.body).toEqual(created.body);
  });

  it('refuses a request without an actor with 401', async () => {
    const r = await request(url).get('/personas').expect(401);
    expect(r.body.code).toBe('UNAUTHENTICATED');
  });

  it('answers 400 with the validation issues, and refuses prototype keys', async () => {
    const r = await request(url).post('/personas').set(alice).send({ name: '', slug: 'x', temperature: 9 }).expect(400);
    expect(r.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(r.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['name', 'temperature']);
    const proto = await request(url).post('/personas').set(alice).set('content-type', 'application/json').send('{"name":"P","slug":"p","__proto__":{"isPublic":true}}').expect(400);
    expect(proto.body.issues).toContainEqual(expect.objectContaining({ path: '__proto__', constraint: 'forbiddenKey' }));
  });

  it('hides a private persona from another actor (404) and lists only what each may see', async () => {
    await request(url).post('/personas').set(alice).send(technical()).expect(201);
    await request(url).post('/personas').set(bob).send({ name: 'Open', slug: 'open', isPublic: true, tags: ['x'] }).expect(201);
    const hidden = await request(url).get('/personas/technical-assistant').set(bob).expect(404);
    expect(hidden.body.code).toBe('PERSONA_NOT_FOUND');
    expect((await request(url).get('/personas').set(bob).expect(200)).body).toMatchObject({ total: 1, items: [expect.objectContaining({ slug: 'open' })] });
    expect((await request(url).get('/personas?limit=1&orderBy=-name').set(admin).expect(200)).body).toMatchObject({ total: 2, items: [expect.objectContaining({ slug: 'technical-assistant' })] });
    expect((await request(url).get('/personas?tag=x&isPublic=true').set(alice).expect(200)).body.total).toBe(1);
    expect((await request(url).get('/personas?orderBy=password').set(alice).expect(400)).body.issues[0].path).toBe('orderBy');
    const denied = await request(url).patch('/personas/open').set(alice).set('If-Match', '"1"').send({ description: 'mine' }).expect(403);
    expect(denied.body.code).toBe('ACCESS_DENIED');
  });

  it('GET /personas pages by cursor (nextCursor) and counts nothing with withTotal=false; templates too', async () => {
    for (const n of [1, 2, 3]) await request(url).post('/personas').set(alice).send({ name: `Paged ${n}`, slug: `paged-${n}`, tags: ['paged'] }).expect(201);
    const first = (await request(url).get('/personas?tag=paged&limit=2&orderBy=name&withTotal=false').set(alice).expect(200)).body;
    expect(first.total).toBeNull();
    expect(first.items.map((p: { slug: string }) => p.slug)).toEqual(['paged-1', 'paged-2']);
    expect(typeof first.nextCursor).toBe('string');
    const second = (await request(url).get(`/personas?tag=paged&limit=2&orderBy=name&cursor=${encodeURIComponent(first.nextCursor)}`).set(alice).expect(200)).body;
    expect(second).toMatchObject({ total: 3, nextCursor: null, items: [expect.objectContaining({ slug: 'paged-3' })] });
    // Bob sees none of Alice's private personas, whatever cursor he sends.
    expect((await request(url).get(`/personas?tag=paged&cursor=${encodeURIComponent(first.nextCursor)}`).set(bob).expect(200)).body.items).toEqual([]);
    expect((await request(url).get('/personas?cursor=not-a-cursor').set(alice).expect(400)).body.issues[0].path).toBe('cursor');
    expect((await request(url).get('/personas?withTotal=maybe').set(alice).expect(400)).body.issues[0].path).toBe('withTotal');
    const templates = (await request(url).get('/templates?withTotal=false&limit=1').set(alice).expect(200)).body;
    expect(templates).toMatchObject({ total: null });
    expect('nextCursor' in templates).toBe(true);
  });

  it('PATCH honours If-Match (412 when stale) or expectedVersion in the body (409 with versions)', async () => {
    await request(url).post('/personas').set(alice).send(technical()).expect(201);
    const v2 = await request(url).patch('/personas/technical-assistant').set(alice).set('If-Match', '"1"').send({ responseStyle: { tone: 'dry' } }).expect(200);
    expect(v2.headers.etag).toBe('"2"');
    expect(v2.body.responseStyle.tone).toBe('dry');
    const stale = await request(url).patch('/personas/technical-assistant').set(alice).set('If-Match', '"1"').send({ description: 'x' }).expect(412);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', expectedVersion: 1, actualVersion: 2 });
    const conflict = await request(url).patch('/personas/technical-assistant').set(alice).send({ description: 'x', expectedVersion: 1 }).expect(409);
    expect(conflict.body).toMatchObject({ code: 'VERSION_CONFLICT', expectedVersion: 1, actualVersion: 2 });
    await request(url).patch('/personas/technical-assistant').set(alice).send({ description: 'x', expectedVersion: 2 }).expect(200);
    await request(url).patch('/personas/technical-assistant').set(alice).send({ description: 'no version' }).expect(400);
  });

  it('resolved, render, history, revert, interactions and metrics', async () => {
    const parent = (await request(url).post('/personas').set(alice).send(technical()).expect(201)).body;
    await request(url).post('/personas').set(alice).send({ name: 'Child', slug: 'child', parentId: parent.id, temperature: 1 }).expect(201);
    const resolved = await request(url).get('/personas/child/resolved').set(alice).expect(200);
    expect(resolved.body).toMatchObject({ lineage: [expect.any(String), parent.id], persona: { temperature: 1, maxTokens: 4096 }, provenance: { maxTokens: parent.id } });

    const rendered = await request(url).post('/personas/child/render').set(alice).send({ context: 'helm', tokenBudget: 300 }).expect(200);
    expect(rendered.body).toMatchObject({ activeDomains: expect.arrayContaining(['kubernetes']), temperature: 1, maxTokens: 4096, model: 'gpt-4o' });
    expect(rendered.body.tokens).toBeLessThanOrEqual(300);
    const withBody = await request(url).post('/personas/child/render').set(alice).send({ context: 'helm', provider: 'anthropic' }).expect(200);
    expect(withBody.body.text).toContain('## Knowledge for this conversation');
    expect(withBody.body.request).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      body: { model: 'claude-sonnet-4', max_tokens: 4096, messages: [{ role: 'user', content: 'helm' }] },
      warnings: [],
    });
    expect(withBody.body.request.body.system.map((b: { text: string }) => b.text).join('')).toBe(withBody.body.text);
    expect(withBody.body.request.body.system[0].cache_control).toEqual({ type: 'ephemeral' });
    const chat = await request(url).post('/personas/child/render').set(alice).send({ provider: 'openai-chat', messages: [{ role: 'user', content: 'hi' }], maxTokens: 64 }).expect(200);
    expect(chat.body.request.body).toMatchObject({ model: 'gpt-4o', max_completion_tokens: 64, prompt_cache_key: `persona:${chat.body.personaId}@1` });
    const noGemini = await request(url).post('/personas/child/render').set(alice).send({ context: 'hi', provider: 'gemini' }).expect(400);
    expect(noGemini.body.issues).toEqual([expect.objectContaining({ path: 'model' })]);
    expect((await request(url).post('/personas/child/render').set(alice).send({ provider: 'acme' }).expect(400)).body.issues[0].path).toBe('provider');
    expect((await request(url).post('/personas/child/render').set(alice).send({ provider: 'openai-chat', messages: [{ role: 'system', content: 'x' }] }).expect(400)).body.issues[0].path).toBe('messages[0].role');
    const budget = await request(url).post('/personas/child/render').set(alice).send({ tokenBudget: 3 }).expect(422);
    expect(budget.body).toMatchObject({ code: 'BUDGET_EXCEEDED', tokenBudget: 3 });

    await request(url).patch('/personas/child').set(alice).set('If-Match', '1').send({ temperature: 0.5 }).expect(200);
    const history = await request(url).get('/personas/child/history').set(alice).expect(200);
    expect(history.body.map((h: { version: number }) => h.version)).toEqual([1, 2]);
    const reverted = await request(url).post('/personas/child/revert').set(alice).send({ toVersion: 1, expectedVersion: 2 }).expect(200);
    expect(reverted.body).toMatchObject({ version: 3, temperature: 1 });

    await request(url).post('/personas/child/interactions').set(alice).send({ success: true, latencyMs: 120, rating: 5 }).expect(204);
    await request(url).post('/personas/child/interactions').set(alice).send({ success: true, latencyMs: -1 }).expect(400);
    await request(url).post('/personas/child/interactions').set(bob).send({ success: true, latencyMs: 1 }).expect(404);
    const metrics = await request(url).get('/personas/child/metrics').set(alice).expect(200);
    expect(metrics.body).toMatchObject({ totalInteractions: 1, successRate: 1, averageRating: 5, p95ResponseTimeMs: 120 });

    const inUse = await request(url).delete(`/personas/${parent.id}`).set(alice).expect(409);
    expect(inUse.body.code).toBe('PERSONA_IN_USE');
    await request(url).delete('/personas/child').set(bob).expect(404);
    await request(url).delete('/personas/child').set(alice).expect(204);
    await request(url).get('/personas/child').set(alice).expect(404);
  });

  it('templates: list, create, get, instantiate', async () => {
    const template = { name: 'Support', slug: 'support', baseConfiguration: { temperature: 0.4 }, customizableFields: [{ path: 'responseStyle.tone', type: 'enum', options: ['calm', 'warm'] }] };
    const created = await request(url).post('/templates').set(alice).send(template).expect(201);
    expect(created.body).toMatchObject({ slug: 'support', version: 1, createdBy: 'alice', isPublic: false });
    expect((await request(url).get('/templates').set(alice).expect(200)).body.total).toBe(1);
    expect((await request(url).get('/templates').set(bob).expect(200)).body.total).toBe(0);
    await request(url).get('/templates/support').set(bob).expect(404);
    const made = await request(url).post('/templates/support/instantiate').set(alice).send({ name: 'Acme', slug: 'acme', customizations: { 'responseStyle.tone': 'calm' } }).expect(201);
    expect(made.body).toMatchObject({ slug: 'acme', templateId: created.body.id, templateVersion: 1, temperature: 0.4, responseStyle: { tone: 'calm' } });
    const refused = await request(url).post('/templates/support/instantiate').set(alice).send({ name: 'B', slug: 'b', customizations: { temperature: 1 } }).expect(400);
    expect(refused.body.issues[0]).toMatchObject({ path: 'customizations.temperature', constraint: 'notCustomizable' });
  });
});

describeEachEngine('PersonaModule REST API: metrics ranges and access', (ctx) => {
  let app: INestApplication;
  let url: string;
  const service = { 'x-actor-id': 'svc', 'x-actor-roles': 'metrics:write' };
  const event = { success: true, latencyMs: 10 };
  beforeAll(async () => {
    ({ app, url } = await boot([PersonaModule.forRoot({ dataSource: ctx.ds, http: true })]));
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(async () => {
    await request(url).post('/personas').set(alice).send({ name: 'Secret', slug: 'secret' }).expect(201);
    await request(url).post('/personas').set(alice).send({ name: 'Open', slug: 'open', isPublic: true }).expect(201);
  });
  const count = async (slug: string) => (await request(url).get(`/personas/${slug}/metrics`).set(admin).expect(200)).body.totalInteractions;

  it('recording needs the owner, an admin or metrics:write (403), on a persona the actor can read (404)', async () => {
    const cases: [string, Record<string, string>, number][] = [
      ['open', alice, 204],
      ['open', admin, 204],
      ['open', service, 204],
      ['open', bob, 403],
      ['open', { 'x-actor-id': 'svc2', 'x-actor-roles': 'metrics:read' }, 403],
      ['secret', alice, 204],
      ['secret', admin, 204],
      ['secret', service, 404],
      ['secret', bob, 404],
    ];
    for (const [slug, who, status] of cases) {
      const r = await request(url).post(`/personas/${slug}/interactions`).set(who).send(event).expect(status);
      if (status === 403) expect(r.body.code).toBe('ACCESS_DENIED');
      if (status === 404) expect(r.body.code).toBe('PERSONA_NOT_FOUND');
    }
    expect(await count('open')).toBe(3);
    expect(await count('secret')).toBe(2);
  });

  it('reading follows read access: a private persona of someone else is 404 like a missing one', async () => {
    await request(url).get('/personas/open/metrics').set(bob).expect(200);
    await request(url).get('/personas/open/metrics').set(service).expect(200);
    const hidden = await request(url).get('/personas/secret/metrics').set(bob).expect(404);
    const missing = await request(url).get('/personas/nothing-here/metrics').set(bob).expect(404);
    expect(hidden.body.code).toBe(missing.body.code);
    await request(url).get('/personas/secret/metrics').set(alice).expect(200);
  });

  it('an event out of range is 400 with its issues and records nothing', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const bad: [unknown, string, string][] = [
      [{ success: true, latencyMs: 1e19 }, 'latencyMs', 'max'],
      [{ success: true, latencyMs: 1, inputTokens: Number.MAX_SAFE_INTEGER }, 'inputTokens', 'max'],
      [{ success: true, latencyMs: 1, rating: 9 }, 'rating', 'isRating'],
      [{ success: true, latencyMs: 1, at: '9999-12-31T00:00:00Z' }, 'at', 'maxDate'],
      [{ success: true, latencyMs: 1, at: future }, 'at', 'maxDate'],
      [{ success: true, latencyMs: 1, at: '2026-01-01T10:00:00' }, 'at', 'isDate'],
      [{ success: true, latencyMs: 1, at: `2026-01-01T10:00:00Z${'x'.repeat(100_000)}` }, 'at', 'isDate'],
      [{ success: true, latencyMs: 1, mood: 'happy' }, 'mood', 'whitelistValidation'],
      [[event], '', 'isObject'],
    ];
    for (const [body, path, constraint] of bad) {
      const r = await request(url).post('/personas/open/interactions').set(service).send(body as object).expect(400);
      expect(r.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(r.body.issues).toContainEqual(expect.objectContaining({ path, constraint }));
    }
    // A persona the actor cannot read is 404 whatever the body, exactly like a missing one.
    await request(url).post('/personas/secret/interactions').set(bob).send({ success: true, latencyMs: 1e19 }).expect(404);
    await request(url).post('/personas/nothing-here/interactions').set(bob).send({ success: true, latencyMs: 1e19 }).expect(404);
    expect(await count('open')).toBe(0);
  });

  it('takes the persona by slug, or by id in any case', async () => {
    const { id } = (await request(url).get('/personas/open').set(alice).expect(200)).body;
    await request(url).post(`/personas/${id.toUpperCase()}/interactions`).set(service).send(event).expect(204);
    await request(url).post(`/personas/${id}/interactions`).set(service).send({ ...event, at: '2026-03-01T10:00:00+02:00' }).expect(204);
    const m = (await request(url).get(`/personas/${id.toUpperCase()}/metrics`).set(bob).expect(200)).body;
    expect(m).toMatchObject({ personaId: id, totalInteractions: 2 });
  });
});

describe('PersonaModule wiring', () => {
  it('forRootAsync builds its own DataSource, provides every service, and closes it at shutdown', async () => {
    @Injectable()
    class Consumer {
      constructor(
        readonly store: PersonaStore,
        readonly templates: TemplateService,
        readonly resolver: InheritanceResolver,
        readonly metrics: MetricsService,
        readonly runtime: PersonaRuntime,
      ) {}
    }
    @Module({ imports: [PersonaModule.forRootAsync({ useFactory: async () => ({ type: 'better-sqlite3' as const, database: ':memory:' }) })], providers: [Consumer] })
    class HostModule {}
    const moduleRef = await Test.createTestingModule({ imports: [HostModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const consumer = app.get(Consumer);
    const p = await consumer.store.create({ name: 'Injected', slug: 'injected' }, { id: 'alice' });
    expect((await consumer.runtime.prompt('injected', { actor: { id: 'alice' } })).text).toContain('# Injected');
    expect(consumer.templates).toBeInstanceOf(TemplateService);
    expect(consumer.resolver).toBeInstanceOf(InheritanceResolver);
    expect((await consumer.metrics.get(p.id as string)).totalInteractions).toBe(0);
    const ds = app.get<DataSource>(require('../../src/nestjs').PERSONA_DATA_SOURCE);
    expect(ds.isInitialized).toBe(true);
    await app.close();
    expect(ds.isInitialized).toBe(false);
    // No routes without http: true.
  });

  it('uses a @nestjs/typeorm connection through forRootAsync, with a custom actor resolver, and leaves it open', async () => {
    const options = { ...personaDataSourceOptions({ database: ':memory:' }), entities: [...PERSONA_ENTITIES] };
    const { app, url } = await boot([
      TypeOrmModule.forRoot(options as never),
      PersonaModule.forRootAsync({
        inject: [getDataSourceToken()],
        useFactory: (dataSource: DataSource) => ({
          dataSource,
          actorResolver: (req) => (req.headers.authorization === 'Bearer t0k3n' ? { id: 'token-user' } : undefined),
        }),
        http: true,
      }),
    ]);
    const hostDataSource = app.get<DataSource>(getDataSourceToken());
    try {
      await request(url).get('/personas').set(alice).expect(401);
      const made = await request(url).post('/personas').set('authorization', 'Bearer t0k3n').send({ name: 'T', slug: 't' }).expect(201);
      expect(made.body.createdBy).toBe('token-user');
      expect(hostDataSource).toBeInstanceOf(DataSource);
    } finally {
      await app.close();
    }
  });

  it('never closes a DataSource it was given', async () => {
    const ds = await (await import('../../src')).createDataSource({ database: ':memory:' }).initialize();
    const { app } = await boot([PersonaModule.forRoot({ dataSource: ds })]);
    await app.close();
    expect(ds.isInitialized).toBe(true);
    await ds.destroy();
  });

  (PG_URL ? it : it.skip)('passes invalidation: notify to the runtime on PostgreSQL and closes its listener at shutdown', async () => {
    const ds = await openDataSource('postgres');
    try {
      const { app } = await boot([PersonaModule.forRoot({ dataSource: ds, invalidation: 'notify' })]);
      const runtime = app.get(PersonaRuntime);
      await runtime.ready();
      expect(runtime.listening).toBe(true);
      await app.get(PersonaStore).create({ name: 'Ada', slug: 'ada' }, { id: 'alice' });
      await runtime.prompt('ada', { actor: { id: 'alice' } });
      await app.close();
      expect(runtime.listening).toBe(false);
      expect(ds.isInitialized).toBe(true);
    } finally {
      await closeDataSource(ds);
    }
  });

  it('refuses invalidation: notify on SQLite with a validation error at start-up', async () => {
    await expect(boot([PersonaModule.forRoot({ database: ':memory:', invalidation: 'notify' })])).rejects.toThrow(PersonaValidationError);
  });

  it('mounts no routes without http: true', async () => {
    const { app, url } = await boot([PersonaModule.forRoot({ database: ':memory:' })]);
    try {
      await request(url).get('/personas').set(alice).expect(404);
    } finally {
      await app.close();
    }
  });

  it('is importable as conductor-personas/nestjs, and the core never loads NestJS', () => {
    const root = join(__dirname, '..', '..');
    const out = execFileSync(
      process.execPath,
      ['-e', "require('conductor-personas'); const before = Object.keys(require.cache).filter((k) => k.includes('@nestjs')).length; const m = require('conductor-personas/nestjs'); console.log(before, typeof m.PersonaModule.forRoot, Array.isArray(m.PERSONA_ENTITIES))"],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('0 function true');
  });
});
