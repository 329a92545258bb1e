import { readFileSync } from 'fs';
import { join } from 'path';
import request from 'supertest';
import { BLANK_PNG, isPng, readTextChunks, writeTextChunks } from '../../src/interop/png';
import { describeEachEngine } from '../support/engines';
import { restPerSuite } from '../support/rest';

const alice = { 'x-actor-id': 'alice' };
const bob = { 'x-actor-id': 'bob' };
const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'interop', name), 'utf8'));

describeEachEngine('REST import, export, schema and /me', (ctx) => {
  const rest = restPerSuite(ctx);

  it('imports a V2 card as JSON: a new private persona of the actor, 201 with its ETag and the warnings', async () => {
    const card = fixture('card-v2-full.json');
    const r = await request(rest.url).post('/personas/import').set(alice).send({ document: card }).expect(201);
    expect(r.body.persona).toMatchObject({ name: 'Seraphina', createdBy: 'alice', version: 1, isPublic: false });
    expect(r.headers.etag).toBe('"1"');
    expect(Array.isArray(r.body.warnings)).toBe(true);
    await request(rest.url).get(`/personas/${r.body.persona.slug}`).set(bob).expect(404);
  });

  it('imports a card PNG sent as base64, and an Eliza file, with the slug asked for', async () => {
    const card = fixture('card-v3-full.json');
    const png = writeTextChunks(BLANK_PNG, { ccv3: Buffer.from(JSON.stringify(card)).toString('base64') });
    const fromPng = await request(rest.url).post('/personas/import').set(alice).send({ base64: png.toString('base64'), slug: 'from-png' }).expect(201);
    expect(fromPng.body.persona.slug).toBe('from-png');
    const eliza = await request(rest.url).post('/personas/import').set(alice).send({ base64: Buffer.from(JSON.stringify(fixture('eliza-v1.json'))).toString('base64'), format: 'eliza' }).expect(201);
    expect(eliza.body.persona.createdBy).toBe('alice');
  });

  it('keeps the actor as owner and assigns identity anew whatever a native document says', async () => {
    const r = await request(rest.url)
      .post('/personas/import')
      .set(bob)
      .send({ document: { id: '00000000-0000-4000-8000-000000000000', version: 9, createdBy: 'alice', name: 'N', slug: 'native-one' }, format: 'native' })
      .expect(201);
    expect(r.body.persona).toMatchObject({ createdBy: 'bob', version: 1, slug: 'native-one' });
    expect(r.body.persona.id).not.toBe('00000000-0000-4000-8000-000000000000');
  });

  it("gives an imported persona whose slug is taken (even by another user's private persona) the next free slug, never a clash that reveals it", async () => {
    await request(rest.url).post('/personas').set(bob).send({ name: 'Hidden', slug: 'hidden-one', createdBy: 'bob' }).expect(201);
    const card = { spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'Hidden One', description: 'd', personality: '', scenario: '', first_mes: '', mes_example: '' } };
    const first = await request(rest.url).post('/personas/import').set(alice).send({ document: card }).expect(201);
    expect(first.body.persona.slug).toBe('hidden-one-2');
    expect(first.body.warnings).toContain('slug "hidden-one" is taken: the persona is stored as "hidden-one-2"');
    const second = await request(rest.url).post('/personas/import').set(alice).send({ document: card }).expect(201);
    expect(second.body.persona.slug).toBe('hidden-one-3');
    // A native document's own slug too; a slug asked for explicitly is still refused when taken.
    const native = await request(rest.url).post('/personas/import').set(alice).send({ document: { name: 'N', slug: 'hidden-one', createdBy: 'alice' }, format: 'native' }).expect(201);
    expect(native.body.persona.slug).toBe('hidden-one-4');
    await request(rest.url).post('/personas/import').set(alice).send({ document: card, slug: 'hidden-one' }).expect(400);
  });

  it('answers a bad import with 400 and the issues at their paths, storing nothing', async () => {
    for (const [body, paths] of [
      [{}, ['document']],
      [{ document: {}, base64: 'AA==' }, ['document']],
      [{ document: [] }, ['document']],
      [{ base64: 'not base64!' }, ['base64']],
      [{ document: {}, format: 'yaml', lenient: 'yes', extra: 1 }, ['extra', 'format', 'lenient']],
      [{ base64: Buffer.from('{"spec":"chara_card_v2","data":{}}').toString('base64') }, undefined],
      [{ base64: BLANK_PNG.toString('base64') }, ['']],
    ] as [object, string[] | undefined][]) {
      const r = await request(rest.url).post('/personas/import').set(alice).send(body);
      expect([JSON.stringify(body).slice(0, 80), r.status, r.body.code]).toEqual([JSON.stringify(body).slice(0, 80), 400, 'VALIDATION_FAILED']);
      if (paths) expect(r.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(paths);
    }
    const list = await request(rest.url).get('/personas').set(alice).expect(200);
    expect(list.body.total).toBe(0);
  });

  it('exports a persona in each format, as a download; a card as PNG; private ones to no one else', async () => {
    const card = fixture('card-v2-full.json');
    const { body } = await request(rest.url).post('/personas/import').set(alice).send({ document: card, slug: 'sera' }).expect(201);
    const native = await request(rest.url).get('/personas/sera/export').set(alice).expect(200);
    expect(native.body).toMatchObject({ slug: 'sera', id: body.persona.id });
    expect(native.headers['content-disposition']).toBe('attachment; filename="sera.native.json"');
    const v2 = await request(rest.url).get('/personas/sera/export?format=card-v2').set(alice).expect(200);
    expect(v2.body).toMatchObject({ spec: 'chara_card_v2', data: { name: 'Seraphina' } });
    for (const format of ['card-v3', 'eliza']) await request(rest.url).get(`/personas/sera/export?format=${format}`).set(alice).expect(200);
    const png = await request(rest.url)
      .get('/personas/sera/export?format=card-v3&png=true')
      .set(alice)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200)
      .expect('Content-Type', 'image/png');
    expect(isPng(png.body)).toBe(true);
    expect(readTextChunks(png.body).has('ccv3')).toBe(true);
    await request(rest.url).get('/personas/sera/export').set(bob).expect(404);
  });

  it('refuses a persona written with a forged interop record (copies naming __proto__) with 400 at interop.copies[0]', async () => {
    const interop = { format: 'card-v2', remainder: { spec: 'chara_card_v2', spec_version: '2.0', data: {} }, fields: {}, copies: ['__proto__'] };
    const r = await request(rest.url).post('/personas').set(alice).send({ name: 'forge', slug: 'fc1', createdBy: 'alice', interop }).expect(400);
    expect(r.body.issues).toEqual([expect.objectContaining({ path: 'interop.copies[0]', constraint: 'interopRecord' })]);
    await request(rest.url).get('/personas/fc1').set(alice).expect(404);
  });

  it('answers a bad export query with 400 naming the parameter', async () => {
    await request(rest.url).post('/personas').set(alice).send({ name: 'P', slug: 'p' }).expect(201);
    for (const [query, path] of [
      ['format=pdf', 'format'],
      ['format=native&png=true', 'png'],
      ['format=card-v2&png=maybe', 'png'],
    ]) {
      const r = await request(rest.url).get(`/personas/p/export?${query}`).set(alice).expect(400);
      expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual([path]);
    }
  });

  it('serves the persona JSON Schema and who the request acts as', async () => {
    const schema = await request(rest.url).get('/schemas/persona').set(alice).expect(200);
    expect(schema.body.$ref).toBe('#/definitions/PersonaConfiguration');
    expect(Object.keys(schema.body.definitions)).toContain('PersonaTrait');
    const me = await request(rest.url).get('/me').set({ 'x-actor-id': 'carol', 'x-actor-roles': 'admin,metrics:write' }).expect(200);
    expect(me.body).toEqual({ id: 'carol', roles: ['admin', 'metrics:write'] });
    await request(rest.url).get('/me').expect(401);
  });
});
