import request from 'supertest';
import { describeEachEngine } from '../support/engines';
import { restPerSuite } from '../support/rest';

const alice = { 'x-actor-id': 'alice' };
const bob = { 'x-actor-id': 'bob' };

describeEachEngine('REST API security', (ctx) => {
  const rest = restPerSuite(ctx);

  it('answers out-of-range list parameters with 400 and the field, never 500', async () => {
    for (const [query, path] of [
      ['offset=1e21', 'offset'],
      ['offset=1000000000000000000000', 'offset'],
      ['offset=-1', 'offset'],
      ['limit=100000', 'limit'],
      ['limit=1.5', 'limit'],
      ['isPublic=maybe', 'isPublic'],
      [`search=${'x'.repeat(300)}`, 'search'],
    ]) {
      for (const route of ['/personas', '/templates']) {
        const r = await request(rest.url).get(`${route}?${query}`).set(alice);
        expect([route, query, r.status]).toEqual([route, query, 400]);
        expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual([path]);
      }
    }
  });

  it('pages /history: 50 versions by default, ?limit up to 200, ?before for the page before; bad values 400', async () => {
    await request(rest.url).post('/personas').set(alice).send({ name: 'Long', slug: 'long-history', isPublic: true }).expect(201);
    for (let v = 1; v < 60; v++) await request(rest.url).patch('/personas/long-history').set(alice).set('If-Match', `"${v}"`).send({ description: `v${v + 1}` }).expect(200);
    const page = (await request(rest.url).get('/personas/long-history/history').set(bob).expect(200)).body as { version: number }[];
    expect(page.map((h) => h.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
    const before = (await request(rest.url).get('/personas/long-history/history?limit=5&before=11').set(bob).expect(200)).body as { version: number }[];
    expect(before.map((h) => h.version)).toEqual([6, 7, 8, 9, 10]);
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'before=0', 'before=99999999999999999999']) {
      const bad = await request(rest.url).get(`/personas/long-history/history?${q}`).set(bob).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('hides private-era versions from other readers of /history, and never names their private personas in a 409', async () => {
    const created = await request(rest.url).post('/personas').set(alice).send({ name: 'P', slug: 'p', instructions: 'private draft' }).expect(201);
    await request(rest.url).patch('/personas/p').set(alice).set('If-Match', '"1"').send({ isPublic: true, instructions: 'released' }).expect(200);
    const history = await request(rest.url).get('/personas/p/history').set(bob).expect(200);
    expect(JSON.stringify(history.body)).not.toContain('private draft');
    expect(history.body.map((h: { version: number }) => h.version)).toEqual([2]);
    await request(rest.url).post('/personas').set(bob).send({ name: 'Hidden', slug: 'hidden', parentId: created.body.id }).expect(201);
    const own = await request(rest.url).post('/personas').set(alice).send({ name: 'Own', slug: 'own', parentId: created.body.id }).expect(201);
    const refused = await request(rest.url).delete('/personas/p').set(alice).expect(409);
    expect(refused.body.children).toEqual([own.body.id]);
    expect(JSON.stringify(refused.body)).not.toContain('hidden');
  });

  it('instantiates a template as a private persona unless the caller asks for public', async () => {
    await request(rest.url).post('/templates').set(alice).send({ name: 'T', slug: 't', isPublic: true, baseConfiguration: { instructions: 'x' } }).expect(201);
    const made = await request(rest.url).post('/templates/t/instantiate').set(bob).send({ name: 'Mine', slug: 'mine' }).expect(201);
    expect(made.body.isPublic).toBe(false);
    const refused = await request(rest.url).post('/templates').set(bob).send({ name: 'T2', slug: 't2', baseConfiguration: { isPublic: true } }).expect(400);
    expect(refused.body.issues).toContainEqual(expect.objectContaining({ path: 'baseConfiguration.isPublic', constraint: 'identityField' }));
  });

  it('answers version numbers past 2,147,483,647 and forged cursors with 400 on both engines, never 503', async () => {
    await request(rest.url).post('/personas').set(alice).send({ name: 'V', slug: 'v', isPublic: true }).expect(201);
    const cursor = (value: unknown[]) => encodeURIComponent(Buffer.from(JSON.stringify(value), 'utf8').toString('base64url'));
    const uuid = '00000000-0000-4000-8000-000000000000';
    const calls: [string, () => request.Test, string][] = [
      ['revert', () => request(rest.url).post('/personas/v/revert').set(alice).send({ toVersion: 4294967297, expectedVersion: 1 }), 'toVersion'],
      ['revert If-Match', () => request(rest.url).post('/personas/v/revert').set(alice).set('If-Match', '"4294967297"').send({ toVersion: 1 }), 'expectedVersion'],
      ['patch If-Match', () => request(rest.url).patch('/personas/v').set(alice).set('If-Match', '"4294967297"').send({ description: 'x' }), 'expectedVersion'],
      ['diff', () => request(rest.url).get('/personas/v/diff?from=1&to=999999999999999').set(alice), 'to'],
      ['diff 2^31', () => request(rest.url).get('/personas/v/diff?from=2147483648&to=1').set(alice), 'from'],
      ['series', () => request(rest.url).get('/personas/v/metrics/series?bucket=hour&version=999999999999999').set(alice), 'version'],
      ['label', () => request(rest.url).put('/personas/v/labels/prod').set(alice).send({ version: 4294967297 }), 'version'],
      ['split', () => request(rest.url).put('/personas/v/labels/prod').set(alice).send({ split: [{ version: 1, weight: 1 }, { version: 2147483648, weight: 1 }] }), 'split[1].version'],
      ['interaction', () => request(rest.url).post('/personas/v/interactions').set(alice).send({ success: true, latencyMs: 1, version: 2147483648 }), 'version'],
      ['createdAt cursor', () => request(rest.url).get(`/personas?orderBy=createdAt&cursor=${cursor(['createdAt', 'garbage', uuid])}`).set(alice), 'cursor'],
      ['status cursor', () => request(rest.url).get(`/personas?orderBy=status&cursor=${cursor(['status', 'zzz', uuid])}`).set(alice), 'cursor'],
      ['version cursor', () => request(rest.url).get(`/personas?orderBy=version&cursor=${cursor(['version', 4294967297, uuid])}`).set(alice), 'cursor'],
      ['template cursor', () => request(rest.url).get(`/templates?orderBy=updatedAt&cursor=${cursor(['updatedAt', 'garbage', uuid])}`).set(alice), 'cursor'],
    ];
    for (const [name, call, path] of calls) {
      const r = await call();
      expect([name, r.status]).toEqual([name, 400]);
      expect([name, r.body.issues.some((i: { path: string }) => i.path.endsWith(path))]).toEqual([name, true]);
    }
  });
});
