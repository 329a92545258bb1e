import { join } from 'path';
import { persona, tempDir } from './run-cli';

const fixtures = join(__dirname, '..', 'fixtures', 'interop');
const file = (name: string) => join(fixtures, name);

describe('persona import: real files of every kind', () => {
  const db = join(tempDir(), 'formats.db');
  const as = (...args: string[]) => persona(['--db', db, '--actor', 'alice', ...args]);

  it('takes V1 cards, two-chunk PNGs, Eliza lists and Letta agent files (several personas per file), and prints --report', () => {
    const r = as('import', '--report', file('card-v1.json'), file('card-two-chunk.png'), file('eliza-array.json'), file('letta-agents.af'), file('letta-json-in-string.af'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('imported 7, refused 0');
    expect(r.stdout).toMatch(/warning .*letta-agents\.af\[0\]: left behind agents\[0\]\.messages/);
    expect(r.stdout).toMatch(/report .*card-v1\.json:\n\s+mapped\s+name\s+→ name/);
    expect(r.stdout).toMatch(/kept\s+first_mes/);
    expect(r.stdout).toMatch(/report .*eliza-array\.json\[1\]:/);
    expect(r.code).toBe(0);
    const list = JSON.parse(as('--json', 'list').stdout);
    const slugs = (list.items ?? list).map((p: { slug: string }) => p.slug).sort();
    expect(slugs).toEqual(['aqua-the-lighthouse-keeper', 'captain-ilse-varga', 'harbor-guide', 'marlowe', 'spoke-in-a-string', 'tide-clerk', 'yozhik']);
    const v1 = JSON.parse(as('export', 'aqua-the-lighthouse-keeper', '--format', 'card-v1').stdout);
    expect(v1).toEqual(require(file('card-v1.json')));
  });

  it('imports non-Latin names with distinct slugs, twice over (-2 on the second import)', () => {
    expect(as('import', file('cards-non-latin.json')).stdout).toContain('imported 4, refused 0');
    expect(as('import', file('cards-non-latin.json')).stdout).toContain('imported 4, refused 0');
    const list = JSON.parse(as('--json', 'list', '--limit', '100').stdout);
    const slugs = (list.items ?? list).map((p: { slug: string }) => p.slug);
    for (const slug of ['ai', 'ai-2', 'yozhik-2', 'xiu-nu-yu-nu-ren-de-shuang-mian-ri-chang-2']) expect(slugs).toContain(slug);
  });

  it('says what a file looks like when it is none of the formats', () => {
    const r = as('import', '--format', 'card-v2', file('letta-legacy.af'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/looks like a Letta agent file, not a V2 character card: import it with format letta-af/);
  });
});
