import request from 'supertest';
import { describeEachEngine } from '../support/engines';
import { restPerSuite } from '../support/rest';

const alice = { 'x-actor-id': 'alice' };
const bob = { 'x-actor-id': 'bob' };

describeEachEngine('REST releases', (ctx) => {
  const rest = restPerSuite(ctx);

  it('edits with messages, diffs, moves labels through a gate, and reports metrics per version and over time', async () => {
    const created = await request(rest.url).post('/personas').set(alice).send({ name: 'R', slug: 'r', isPublic: true, instructions: 'Say hello.' }).expect(201);
    await request(rest.url).patch('/personas/r').set(alice).set('If-Match', '"1"').send({ instructions: 'Say goodbye.', message: 'tone change' }).expect(200);
    const history = await request(rest.url).get('/personas/r/history').set(bob).expect(200);
    expect(history.body.map((h: { version: number; message: string | null }) => [h.version, h.message])).toEqual([
      [1, null],
      [2, 'tone change'],
    ]);
    const diff = await request(rest.url).get('/personas/r/diff?from=1&to=2').set(bob).expect(200);
    expect(diff.body).toEqual({ from: 1, to: 2, changes: [{ path: 'instructions', kind: 'changed', before: 'Say hello.', after: 'Say goodbye.' }] });
    for (const query of ['from=1', 'from=0&to=1', 'from=a&to=1', 'from=1e3&to=1']) await request(rest.url).get(`/personas/r/diff?${query}`).set(alice).expect(400);
    await request(rest.url).get('/personas/r/diff?from=1&to=9').set(alice).expect(404);

    await request(rest.url).put('/personas/r/policies/production').set(alice).send({ checks: [{ mustInclude: ['hello'] }] }).expect(204);
    const blocked = await request(rest.url).put('/personas/r/labels/production').set(alice).send({ version: 2 }).expect(409);
    expect(blocked.body).toMatchObject({ code: 'PROMOTION_BLOCKED', failures: [{ check: 0, version: 2, reason: expect.stringContaining('hello') }] });
    const moved = await request(rest.url).put('/personas/r/labels/production').set(alice).send({ version: 1 }).expect(200);
    expect(moved.body).toMatchObject({ label: 'production', version: 1, split: null, movedBy: 'alice' });
    await request(rest.url).put('/personas/r/labels/production').set(bob).send({ version: 1 }).expect(403);
    await request(rest.url).put('/personas/r/labels/latest').set(alice).send({ version: 1 }).expect(400);
    expect((await request(rest.url).get('/personas/r/labels').set(bob).expect(200)).body).toEqual([expect.objectContaining({ label: 'production', version: 1 })]);
    await request(rest.url).get('/personas/r/labels/staging').set(alice).expect(404);
    expect((await request(rest.url).get('/personas/r/label-history').set(bob).expect(200)).body).toHaveLength(1);

    await request(rest.url).post('/personas/r/interactions').set(alice).send({ success: true, latencyMs: 120, version: 1 }).expect(204);
    await request(rest.url).post('/personas/r/interactions').set(alice).send({ success: false, latencyMs: 80 }).expect(204);
    const versions = await request(rest.url).get('/personas/r/metrics/versions').set(bob).expect(200);
    expect(versions.body.map((v: { version: number; metrics: { totalInteractions: number } }) => [v.version, v.metrics.totalInteractions])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    const series = await request(rest.url).get('/personas/r/metrics/series?bucket=hour&version=2').set(alice).expect(200);
    expect(series.body.reduce((n: number, b: { interactions: number }) => n + b.interactions, 0)).toBe(1);
    await request(rest.url).get('/personas/r/metrics/series?bucket=minute').set(alice).expect(400);
    const rendered = await request(rest.url).post('/personas/r/render').set(bob).send({ label: 'production', subject: 'user-1', context: 'hi' }).expect(200);
    expect(rendered.body).toMatchObject({ version: 1, label: 'production' });
    expect(rendered.body.text).toContain('Say hello.');
    expect((await request(rest.url).post('/personas/r/render').set(bob).send({ label: 'nope' }).expect(404)).body.code).toBe('LABEL_NOT_FOUND');
    await request(rest.url).delete('/personas/r/labels/production').set(alice).expect(204);
    expect(created.body.id).toBeDefined();
  });
});
