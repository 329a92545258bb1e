import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { run } from '../../src/cli/program';

/** The release workflow from the command line, in process: edit with a message, diff, label, split, metrics per version. */
describe('persona label / diff / update -m / metrics --by-version (CLI)', () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'persona-release-cli-'));
    db = join(dir, 'personas.db');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function persona(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(['node', 'persona', '--db', db, '--actor', 'alice', ...args], { out: (t) => out.push(t), err: (t) => err.push(t), isTTY: false });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('runs the release workflow and refuses what it should', async () => {
    expect((await persona('create', '-f', file('p.json', { name: 'Helper', slug: 'helper', instructions: 'Be brief.' }))).code).toBe(0);
    const updated = await persona('update', 'helper', '-f', file('patch.json', { instructions: 'Be thorough.' }), '--expected-version', '1', '-m', 'more detail');
    expect(updated.code).toBe(0);
    expect((await persona('history', 'helper')).out).toContain('more detail');
    const diff = await persona('--json', 'diff', 'helper', '1', '2');
    expect(JSON.parse(diff.out).changes).toEqual([{ path: 'instructions', kind: 'changed', before: 'Be brief.', after: 'Be thorough.' }]);
    expect((await persona('label', 'set', 'helper', 'production', '1')).out).toBe('production -> version 1');
    expect((await persona('label', 'set', 'helper', 'canary', '1:90,2:10')).out).toBe('canary -> v1 (90), v2 (10)');
    const labels = JSON.parse((await persona('--json', 'label', 'ls', 'helper')).out);
    expect(labels.map((l: { label: string }) => l.label)).toEqual(['canary', 'production']);
    expect((await persona('label', 'ls', 'helper', '--history')).out).toContain('production');
    const bad = await persona('label', 'set', 'helper', 'latest', '1');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/label/);
    expect((await persona('label', 'set', 'helper', 'production', '9')).err).toMatch(/REVISION_NOT_FOUND/);
    const served = await persona('--json', 'render', 'helper', '--label', 'canary', '--subject', 'user-42');
    expect(JSON.parse(served.out)).toMatchObject({ label: 'canary', version: expect.any(Number) });
    expect((await persona('--json', 'render', 'helper', '--label', 'production')).out).toContain('Be brief.');
    expect((await persona('label', 'rm', 'helper', 'canary')).code).toBe(0);
    expect((await persona('label', 'rm', 'helper', 'canary')).err).toMatch(/LABEL_NOT_FOUND/);
    expect((await persona('label', 'policy', 'helper', 'production', '-f', file('policy.json', { checks: [{ mustInclude: ['brief'] }] }))).code).toBe(0);
    const blocked = await persona('label', 'set', 'helper', 'production', '2');
    expect(blocked.code).toBe(1);
    expect(blocked.err).toMatch(/PROMOTION_BLOCKED/);
    const byVersion = await persona('--json', 'metrics', 'helper', '--by-version');
    expect(JSON.parse(byVersion.out)).toEqual([]);
  });
});
