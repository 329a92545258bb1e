import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import {
  exportPersona,
  importPersona,
  importPersonas,
  PersonaConfiguration,
  personaJsonSchema,
  PersonaStore,
  PersonaValidationError,
  toPlain,
} from '../../src';
import { BLANK_PNG, readTextChunks, writeTextChunks } from '../../src/interop/png';
import { fixture } from '../fixtures';
import { personaArb } from '../fixtures/arbitraries';
import { describeEachEngine } from '../support/engines';

const withoutSecrets = (doc: Record<string, any>) => {
  const out = JSON.parse(JSON.stringify(doc));
  delete out.secrets;
  if (out.settings) {
    delete out.settings.secrets;
    delete out.settings.OPENAI_API_KEY;
    if (out.settings.discord) delete out.settings.discord.botToken;
  }
  return out;
};

function bigBook(entries: number) {
  const card = fixture('interop/card-v3-full');
  card.data.character_book.entries = Array.from({ length: entries }, (_, i) => ({
    keys: [`key ${i}`, `alias ${i}`],
    content: `Entry ${i}: ${'lore '.repeat(320)}`.trim(), // ~1,600 characters, as real lorebooks have
    extensions: { depth: i % 5, custom: { i } },
    enabled: i % 7 !== 3,
    insertion_order: i,
    name: `entry-${i}`,
    priority: i % 3,
    id: i,
    comment: i % 2 ? `comment ${i}` : '',
    selective: i % 2 === 0,
    secondary_keys: i % 2 ? [`second ${i}`] : [],
    constant: i % 11 === 0,
    position: i % 2 ? 'after_char' : 'before_char',
    use_regex: false,
  }));
  return card;
}

describe('importPersona / exportPersona', () => {
  describe('lossless round trips in the same format', () => {
    it.each([
      ['card-v2', 'interop/card-v2-full'],
      ['card-v3', 'interop/card-v3-full'],
      ['eliza', 'interop/eliza-v1'],
      ['eliza', 'interop/eliza-v0'],
    ] as const)('%s: %s comes back deep-equal (every field, unknown extensions, unicode, empty values)', async (format, name) => {
      const original = fixture(name);
      const { persona } = await importPersona(original, { format: 'auto' });
      const back = await exportPersona(persona, { format });
      expect(back).toEqual(format === 'eliza' ? withoutSecrets(original) : original);
      // and again, through JSON text and a second import
      const again = await importPersona(JSON.stringify(back));
      expect(await exportPersona(again.persona, { format })).toEqual(back);
    });

    it('keeps a lorebook with 60 entries of 1,600 characters (within the 50 domains a persona holds)', async () => {
      const card = bigBook(60);
      const { persona, warnings } = await importPersona(card);
      expect(persona.knowledgeDomains).toHaveLength(50);
      expect(warnings.some((w) => /past the 50 knowledge domains/.test(w))).toBe(true);
      expect(await exportPersona(persona, { format: 'card-v3' })).toEqual(card);
    });

    it('writes the fields the user changed since the import, and keeps the rest', async () => {
      const original = fixture('interop/card-v2-full');
      const { persona } = await importPersona(original);
      const edited = PersonaConfiguration.create({ ...toPlain(persona), description: 'Rewritten.', tags: ['fantasy'] });
      const back = (await exportPersona(edited, { format: 'card-v2' })) as Record<string, any>;
      expect(back.data.description).toBe('Rewritten.');
      expect(back.data.tags).toEqual(['fantasy']);
      expect(back.data.character_book).toEqual(original.data.character_book);
      expect(back.data.first_mes).toBe(original.data.first_mes);
      expect(back.create_date).toBe(original.create_date);
    });

    it('survives storage: import, PersonaStore.create, get, export', async () => {
      // (pure check of the persona JSON; the stored round trip runs on both engines below)
      const { persona } = await importPersona(fixture('interop/card-v3-full'));
      const json = JSON.parse(JSON.stringify(persona));
      const parsed = PersonaConfiguration.create(json);
      expect(await exportPersona(parsed, { format: 'card-v3' })).toEqual(fixture('interop/card-v3-full'));
    });
  });

  describe('mapping', () => {
    it('maps a card onto the persona: name, description, system prompt, personality, tags, lorebook → domains', async () => {
      const { persona } = await importPersona(fixture('interop/card-v2-full'));
      expect(persona).toMatchObject({ name: 'Seraphina', slug: 'seraphina', instructions: expect.stringContaining('fictional roleplay') });
      expect(persona.traits).toEqual([expect.objectContaining({ name: 'personality', value: 'caring, protective, compassionate, healing, nurturing' })]);
      expect(persona.tags).toEqual(['fantasy', 'female', 'guardian', '🌿 nature']);
      expect(persona.knowledgeDomains.map((d) => [d.name, d.activationKeywords])).toEqual([
        ['Eldoria', ['Eldoria', 'forest']],
        ['beasts', ['shadow beast', 'shadow beasts']],
        ['healing magic', []],
        ['empty entry', []],
      ]);
      expect(persona.knowledgeDomains[0].description).toMatch(/ancient forest/);
    });

    it('maps an Eliza character: bio, system, adjectives → traits, topics → domains, style → rules, voice and model', async () => {
      const { persona, warnings } = await importPersona(fixture('interop/eliza-v1'));
      expect(persona.description).toBe('Former floor trader.\nBelieves in fundamentals.');
      expect(persona.instructions).toMatch(/grumpy but honest/);
      expect(persona.traits.map((t) => [t.name, t.value])).toEqual([['grumpy', true], ['honest', true], ['data-driven', true]]);
      expect(persona.knowledgeDomains.map((d) => d.name)).toEqual(['equities', 'bond markets', 'risk management']);
      expect(persona.behaviorRules.map((r) => [r.name, r.condition, r.action])).toEqual([
        ['style-all-1', 'always', 'short sentences'],
        ['style-all-2', 'always', 'no emojis'],
        ['style-chat-1', 'chatting with someone', 'answer the question first'],
        ['style-post-1', 'writing a post', 'one idea per post'],
      ]);
      expect(persona.voiceConfig).toMatchObject({ provider: 'eliza', voiceId: 'en_US-male-medium' });
      expect(persona.modelPreferences).toEqual(['gpt-4o']);
      expect(warnings).toContain('left out secrets: its name says it is a credential (secrets are never imported)');
    });

    it('never imports secrets', async () => {
      const { persona, warnings } = await importPersona(fixture('interop/eliza-v1'));
      const text = JSON.stringify(persona);
      for (const secret of ['hunter2', 'sk-should-never-be-imported', 'never-either', 'DISCORD_TOKEN']) expect(text).not.toContain(secret);
      expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/settings\.OPENAI_API_KEY/), expect.stringMatching(/settings\.discord\.botToken/)]));
    });

    it('carries what our model holds across formats: card → Eliza → card', async () => {
      const { persona } = await importPersona(fixture('interop/card-v2-full'));
      const eliza = await exportPersona(persona, { format: 'eliza' });
      const fromEliza = (await importPersona(eliza, { format: 'eliza' })).persona;
      expect(fromEliza).toMatchObject({ name: persona.name, description: persona.description, instructions: persona.instructions });
      expect(fromEliza.knowledgeDomains.map((d) => d.name)).toEqual(persona.knowledgeDomains.map((d) => d.name));
      const card = (await exportPersona(fromEliza, { format: 'card-v2' })) as Record<string, any>;
      expect(card.data).toMatchObject({ name: 'Seraphina', description: persona.description, system_prompt: persona.instructions });
      expect(card.data.character_book.entries.map((e: { name: string }) => e.name)).toEqual(persona.knowledgeDomains.map((d) => d.name));
    });
  });

  describe('PNG cards', () => {
    it('reads chara (V2) and ccv3 (V3) text chunks, ccv3 winning, and writes the card back into the image', async () => {
      const v2 = fixture('interop/card-v2-full');
      const v3 = fixture('interop/card-v3-full');
      const png = writeTextChunks(BLANK_PNG, { chara: Buffer.from(JSON.stringify(v2)).toString('base64'), ccv3: Buffer.from(JSON.stringify(v3)).toString('base64') });
      const { persona } = await importPersona(png);
      expect(persona.name).toBe('Kōhai Unit-7');
      const out = (await exportPersona(persona, { format: 'card-v3', png: BLANK_PNG })) as Buffer;
      expect(Buffer.isBuffer(out)).toBe(true);
      const chunk = readTextChunks(out).get('ccv3') as string;
      expect(JSON.parse(Buffer.from(chunk, 'base64').toString('utf8'))).toEqual(v3);
      const onlyV2 = writeTextChunks(BLANK_PNG, { chara: Buffer.from(JSON.stringify(v2)).toString('base64') });
      expect((await importPersona(onlyV2)).persona.name).toBe('Seraphina');
    });

    it('refuses a PNG without a card, and PNG output for Eliza', async () => {
      await expect(importPersona(BLANK_PNG)).rejects.toMatchObject({ issues: [expect.objectContaining({ constraint: 'hasCard' })] });
      const { persona } = await importPersona(fixture('interop/eliza-v0'));
      await expect(exportPersona(persona, { format: 'eliza', png: BLANK_PNG })).rejects.toBeInstanceOf(PersonaValidationError);
    });
  });

  describe('strict and lenient', () => {
    it('refuses a malformed card with the paths of the source document', async () => {
      const error = await importPersona(fixture('interop/card-malformed')).catch((e) => e);
      expect(error).toBeInstanceOf(PersonaValidationError);
      expect(error.issues.map((i: { path: string }) => i.path).sort()).toEqual(
        ['data.alternate_greetings', 'data.character_book', 'data.extensions', 'data.personality', 'data.tags'].sort(),
      );
    });

    it('repairs the known malformations with lenient, one warning each', async () => {
      const { persona, warnings } = await importPersona(fixture('interop/card-malformed'), { lenient: true });
      expect(persona.name).toBe('Broken Bob');
      expect(persona.tags).toEqual(['misc', 'broken']);
      expect(warnings).toEqual(
        expect.arrayContaining([
          'repaired data.character_book: null, removed',
          'repaired data.alternate_greetings: a string made a list',
          'repaired data.tags: a string made a list',
          'repaired data.personality: null made a string',
          'repaired data.extensions: null, made {}',
        ]),
      );
      const back = (await exportPersona(persona, { format: 'card-v2' })) as Record<string, any>;
      expect(back.data.alternate_greetings).toEqual(['Hi there!']);
      expect(back.data).not.toHaveProperty('character_book');
    });

    it('reads a V1 card strictly as card-v1, and still repairs one read as card-v2 with lenient', async () => {
      const v1 = { name: 'Old', description: 'An old card', personality: 'plain', scenario: '', first_mes: 'Hi', mes_example: '' };
      const strict = await importPersona(v1);
      expect(strict.warnings).toEqual([]);
      expect(await exportPersona(strict.persona, { format: 'card-v1' })).toEqual(v1);
      await expect(importPersona(v1, { format: 'card-v2' })).rejects.toMatchObject({ issues: expect.arrayContaining([expect.objectContaining({ path: '', constraint: 'format', message: expect.stringMatching(/looks like a V1 character card.*format card-v1/) })]) });
      const { persona, warnings } = await importPersona(v1, { format: 'card-v2', lenient: true });
      expect(persona.description).toBe('An old card');
      expect(warnings[0]).toMatch(/V1 card/);
      expect(await exportPersona(persona, { format: 'card-v2' })).toMatchObject({ spec: 'chara_card_v2', name: 'Old', data: { name: 'Old', first_mes: 'Hi' } });
    });

    it('refuses bad JSON and non-objects at the root', async () => {
      await expect(importPersona('{ nope')).rejects.toMatchObject({ issues: [expect.objectContaining({ path: '', constraint: 'isJson' })] });
      await expect(importPersonas('[1,2]', { format: 'eliza' })).rejects.toMatchObject({ issues: [expect.objectContaining({ path: '[0]', constraint: 'isObject' })] });
      await expect(importPersona({ name: 7, bio: 'x' }, { format: 'eliza' })).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'name' })] });
    });

    it('never throws anything but PersonaValidationError for junk cards (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.anything({ maxDepth: 3 }), fc.constantFrom('card-v1', 'card-v2', 'card-v3', 'eliza', 'letta-af', 'auto'), fc.boolean(), async (junk, format, lenient) => {
          const doc = format.startsWith('card') && junk && typeof junk === 'object' ? { spec: format === 'card-v3' ? 'chara_card_v3' : 'chara_card_v2', data: junk } : junk;
          try {
            await importPersona(doc as object, { format: format as never, lenient });
          } catch (e) {
            if (!(e instanceof PersonaValidationError)) throw e;
          }
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe('native format and its JSON Schema', () => {
    it('imports and exports our own JSON', async () => {
      const { persona } = await importPersona(JSON.stringify(fixture('personas/technical-assistant')), { format: 'native' });
      expect(await exportPersona(persona, { format: 'native' })).toEqual(toPlain(persona));
    });

    it('personaJsonSchema validates the fixtures with ajv, and refuses what validateModel refuses', () => {
      const ajv = new Ajv({ allErrors: true, strict: false });
      addFormats(ajv);
      const validate = ajv.compile(personaJsonSchema());
      for (const name of ['personas/technical-assistant', 'personas/minimal']) expect(validate(fixture(name))).toBe(true);
      const stored = { ...toPlain(PersonaConfiguration.create(fixture('personas/technical-assistant'))), id: '3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f', version: 2, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
      expect(validate(stored)).toBe(true);
      for (const bad of [
        { ...fixture('personas/minimal'), temperature: 3 },
        { ...fixture('personas/minimal'), colour: 'red' },
        { ...fixture('personas/minimal'), traits: [{ name: 'x', category: 'mood', value: 1 }] },
        { ...fixture('personas/minimal'), slug: 'Not A Slug' },
        { name: 'No slug', createdBy: 'x' },
      ]) expect(validate(bad)).toBe(false);
    });

    it('agrees with validateModel on generated valid personas (property)', () => {
      const ajv = new Ajv({ strict: false });
      addFormats(ajv);
      const validate = ajv.compile(personaJsonSchema());
      fc.assert(
        fc.property(personaArb, (plain) => {
          expect(validate(JSON.parse(JSON.stringify(plain)))).toBe(true);
        }),
        { numRuns: 200 },
      );
    });
  });
});

describeEachEngine('interop through the store', (ctx) => {
  it('import a card, store it, read it back, export it: the same document', async () => {
    const store = new PersonaStore(ctx.ds);
    for (const [name, format] of [['interop/card-v2-full', 'card-v2'], ['interop/eliza-v1', 'eliza']] as const) {
      const { persona } = await importPersona(fixture(name));
      const { createdBy: _c, ...input } = toPlain(persona);
      const stored = await store.create(input as never, { id: 'alice' });
      const loaded = await store.get(stored.id as string, { id: 'alice' });
      const expected = format === 'eliza' ? withoutSecrets(fixture(name)) : fixture(name);
      expect(await exportPersona(loaded, { format })).toEqual(expected);
    }
  });
});
