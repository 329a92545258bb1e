import fc from 'fast-check';
import { exportPersona, importPersona, PersonaConfiguration, PersonaError, PersonaFormat, PersonaValidationError, toPlain } from '../../src';
import { documentIssues, MAX_DOCUMENT_DEPTH } from '../../src/interop';
import { BLANK_PNG, readTextChunks, writeTextChunks } from '../../src/interop/png';
import { fixture } from '../fixtures';
import { refusal } from '../support/validation';

type Doc = Record<string, any>;
const HOSTILE = 20_000;

function nestedText(levels: number, kind: 'object' | 'array'): string {
  return kind === 'object' ? `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}` : `${'['.repeat(levels)}1${']'.repeat(levels)}`;
}

function nested(levels: number, kind: 'object' | 'array'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

const png = (keyword: 'chara' | 'ccv3', text: string) => writeTextChunks(BLANK_PNG, { [keyword]: Buffer.from(text).toString('base64') });

describe('hostile structure is refused, never a crash (issue #13, item 8)', () => {
  describe.each(['object', 'array'] as const)('a document nested 20,000 levels (%s)', (kind) => {
    const deepText = nestedText(HOSTILE, kind);
    const step = kind === 'object' ? '.a' : '[0]';
    const cardText = `{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Deep","extensions":{"x":${deepText}}}}`;
    const elizaText = `{"name":"Deep","bio":"b","settings":{"x":${deepText}}}`;
    const nativeText = `{"name":"Deep","slug":"deep","createdBy":"t","metadata":{"x":${deepText}}}`;

    it.each([
      ['card, JSON text', () => importPersona(cardText), 'data.extensions.x'],
      ['card, object', () => importPersona(JSON.parse(cardText)), 'data.extensions.x'],
      ['card, PNG chara', () => importPersona(png('chara', cardText)), 'data.extensions.x'],
      ['card, PNG ccv3', () => importPersona(png('ccv3', cardText.replace('chara_card_v2', 'chara_card_v3'))), 'data.extensions.x'],
      ['Eliza, JSON text', () => importPersona(elizaText), 'settings.x'],
      ['Eliza, object', () => importPersona(JSON.parse(elizaText)), 'settings.x'],
      ['native, JSON text', () => importPersona(nativeText), 'metadata.x'],
      ['native, object', () => importPersona(JSON.parse(nativeText), { format: 'native' }), 'metadata.x'],
    ] as const)('%s: refused at the path of the first level too deep', async (_how, run, at) => {
      const error = await refusal(run());
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]).toMatchObject({ constraint: 'maxDepth', path: expect.stringMatching(new RegExp(`^${at.replace(/\./g, '\\.')}`)) });
      const depth = at.split('.').length;
      const limit = at.startsWith('metadata') ? 64 : MAX_DOCUMENT_DEPTH;
      expect(error.issues[0].path).toBe(at + step.repeat(limit + 1 - depth));
    });
  });

  it('accepts a card as deep as the limit, and its record still fits the persona', async () => {
    const card = fixture('interop/card-v3-full');
    // data (1), extensions (2), deep (3) … : the innermost object at level 48
    card.data.extensions.deep = nested(MAX_DOCUMENT_DEPTH - 3, 'object');
    (card.data.character_book.entries[0].extensions as Doc).deep = nested(MAX_DOCUMENT_DEPTH - 6, 'array');
    const { persona } = await importPersona(card);
    expect(await exportPersona(PersonaConfiguration.create(JSON.parse(JSON.stringify(persona))), { format: 'card-v3' })).toEqual(card);
  });

  it('refuses cycles, bigints, functions and class instances in an object with a typed error', async () => {
    const loop: Doc = { name: 'Loop', bio: 'b' };
    loop.settings = { back: loop };
    for (const [input, constraint, path] of [
      [loop, 'noCycle', 'settings.back'],
      [{ name: 'Big', bio: 'b', settings: { n: BigInt(1) } }, 'isJsonValue', 'settings.n'],
      [{ name: 'Fn', bio: 'b', settings: { f: () => 1 } }, 'isJsonValue', 'settings.f'],
      [{ name: 'Map', bio: 'b', settings: new Map([['a', 1]]) }, 'isPlainObject', 'settings'],
      [Symbol('x'), 'isJsonValue', ''],
    ] as const) {
      const error = await refusal(importPersona(input as never));
      expect(error.issues).toEqual([expect.objectContaining({ constraint, path })]);
    }
    await expect(importPersona('{}', null as never)).rejects.toBeInstanceOf(PersonaValidationError);
  });

  it('refuses to export what is not a persona, and a PNG that is not one', async () => {
    const { persona } = await importPersona(fixture('interop/card-v2-full'));
    await expect(exportPersona({ name: 'plain' } as never, { format: 'card-v2' })).rejects.toMatchObject({ issues: [expect.objectContaining({ constraint: 'isPersona' })] });
    await expect(exportPersona(null as never, { format: 'card-v2' })).rejects.toBeInstanceOf(PersonaValidationError);
    for (const bad of ['not bytes', Buffer.from('not a png'), Buffer.concat([BLANK_PNG.subarray(0, 20)])]) {
      await expect(exportPersona(persona, { format: 'card-v2', png: bad as never })).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'png', constraint: 'isPng' })] });
    }
  });

  it('refuses to export a persona changed by hand to nest 20,000 levels or to hold what JSON cannot', async () => {
    const { persona } = await importPersona(fixture('interop/card-v2-full'));
    const deep = PersonaConfiguration.create(toPlain(persona));
    (deep as unknown as Doc).interop.remainder.data.x = nested(HOSTILE, 'object');
    for (const format of ['card-v2', 'card-v3', 'eliza', 'native'] as const) {
      const error = await refusal(exportPersona(deep, { format }));
      expect(error.issues[0]).toMatchObject({ constraint: 'maxDepth', path: expect.stringMatching(/^interop\.remainder\.data\.x\.a/) });
    }
    const big = PersonaConfiguration.create(toPlain(persona));
    (big as unknown as Doc).interop.remainder.n = BigInt(7);
    expect((await refusal(exportPersona(big, { format: 'card-v2' }))).issues).toEqual([expect.objectContaining({ constraint: 'isJsonValue', path: 'interop.remainder.n' })]);
  });
});

// ---------------------------------------------------------------------------------------------
// Export of forged interop records: a valid document, or a typed error.
// ---------------------------------------------------------------------------------------------

const FIXTURES: Record<Exclude<PersonaFormat, 'native' | 'letta-af'>, string> = { 'card-v1': 'interop/card-v1', 'card-v2': 'interop/card-v2-full', 'card-v3': 'interop/card-v3-full', eliza: 'interop/eliza-v1' };

/** Every path (as keys) to a value inside `value`, the root included (the first 8 items of a list). */
function allPaths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.slice(0, 8).forEach((v, i) => allPaths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) allPaths(v, [...prefix, k], out);
  return out;
}

function setAt(root: Doc, path: (string | number)[], value: unknown): Doc {
  if (!path.length) return value as Doc;
  let node: any = root;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
  return root;
}

const HUGE_NUMBERS = Array.from({ length: 100_000 }, (_, i) => i);
const HUGE_ENTRIES = Array.from({ length: 5_000 }, (_, i) => ({ index: i, entry: { keys: [`k${i}`] }, domain: `d${i}` }));
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, 0, -1, 1e308, '', 'card-v2', 'card-v3', 'eliza', true, [], {}, { entries: 5 }, { book: {}, entries: [{ index: 'x' }] }, { kinds: 'all', rest: [] }),
  // huge lists (beyond what metadata may hold: set by hand)
  fc.constantFrom(HUGE_NUMBERS, HUGE_ENTRIES),
);

describe('exports of forged interop records (property)', () => {
  it.each(Object.keys(FIXTURES) as (keyof typeof FIXTURES)[])('a record imported from %s, with junk at any place, exports as a valid document or a typed error, in every format', async (source) => {
    const { persona } = await importPersona(fixture(FIXTURES[source]));
    const plain = toPlain(persona);
    const record = (plain as Doc).interop;
    const places = allPaths(record);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), junk), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.constantFrom<Exclude<PersonaFormat, 'letta-af'>>('card-v1', 'card-v2', 'card-v3', 'eliza', 'native'),
        fc.boolean(),
        async (edits, keepDigests, format, asPng) => {
          let forged = JSON.parse(JSON.stringify(record));
          for (const [where, value] of edits) {
            const paths = allPaths(forged);
            const path = paths[where % paths.length] ?? places[0];
            // A digest left as it was makes the export trust the forged `original`/`absent`/`extra` beside it.
            if (keepDigests && path[path.length - 1] === 'derived') continue;
            forged = setAt(forged, path, JSON.parse(JSON.stringify(value)));
          }
          // Stored by its owner through validation when it fits, set by hand when it does not (huge lists).
          const input = { ...plain, interop: forged };
          let victim: PersonaConfiguration;
          try {
            victim = PersonaConfiguration.create(input as never);
          } catch (error) {
            expect(error).toBeInstanceOf(PersonaValidationError);
            victim = PersonaConfiguration.create(plain as never);
            victim.interop = input.interop;
          }
          const png = asPng && format.startsWith('card') ? BLANK_PNG : undefined;
          let out: unknown;
          try {
            out = await exportPersona(victim, { format, png });
          } catch (error) {
            expect(error).toBeInstanceOf(PersonaError);
            expect(error).not.toBeInstanceOf(TypeError);
            expect(typeof (error as PersonaError).code).toBe('string');
            return;
          }
          if (format === 'native') return void expect(out).toEqual(toPlain(victim));
          const doc = png ? JSON.parse(Buffer.from(readTextChunks(out as Buffer).get(format === 'card-v3' ? 'ccv3' : 'chara') as string, 'base64').toString('utf8')) : out;
          expect(documentIssues(format, JSON.parse(JSON.stringify(doc)))).toEqual([]);
          // and it reads back (strict) as a persona, or is refused as one would be: never a crash
          await importPersona(doc as Doc, { format }).catch((error) => expect(error).toBeInstanceOf(PersonaValidationError));
        },
      ),
      { numRuns: 120 },
    );
  });

  it('names the broken part of a forged record', async () => {
    const { persona } = await importPersona(fixture('interop/card-v2-full'));
    const plain = toPlain(persona) as Doc;
    plain.interop.fields['data.character_book'].extra = { book: {}, entries: 5 };
    plain.interop.fields['data.name'].derived = 42;
    const expected = [
      ['interop.fields["data.name"].derived', 'interopRecord'],
      ['interop.fields["data.character_book"].extra', 'interopRecord'],
    ];
    // Refused when it is written…
    const stored = await refusal(Promise.resolve().then(() => PersonaConfiguration.create(plain as never)));
    expect(stored.issues.map((i) => [i.path, i.constraint])).toEqual(expected);
    // …and by the export, should it be changed after the persona was built.
    persona.interop = plain.interop;
    const error = await refusal(exportPersona(persona, { format: 'card-v2' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues.map((i) => [i.path, i.constraint])).toEqual(expected);
  });

  it('refuses a forged original that would make an invalid card, and never writes a credential a record kept', async () => {
    const { persona } = await importPersona(fixture('interop/card-v2-full'));
    const plain = toPlain(persona) as Doc;
    plain.interop.fields['data.tags'].original = 'not a list';
    const error = await refusal(exportPersona(PersonaConfiguration.create(plain as never), { format: 'card-v2' }));
    expect(error.issues).toEqual([expect.objectContaining({ path: 'data.tags', constraint: 'isStringArray' })]);

    const withKey = toPlain(persona) as Doc;
    withKey.interop.remainder.data.extensions.apiKey = 'sk-forgedforgedforgedforged123';
    const out = await exportPersona(PersonaConfiguration.create(withKey as never), { format: 'card-v2' });
    expect(JSON.stringify(out)).not.toContain('sk-forged');
    expect(out).toEqual(fixture('interop/card-v2-full'));
  });
});
