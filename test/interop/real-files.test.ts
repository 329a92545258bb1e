import { readFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { exportPersona, importPersona, importPersonas, PersonaConfiguration, PersonaValidationError, toPlain } from '../../src';
import { exportPersonaWithReport, slugify } from '../../src/interop';
import { BLANK_PNG, readTextChunks, writeTextChunks } from '../../src/interop/png';
import { fixture } from '../fixtures';
import { personaArb } from '../fixtures/arbitraries';
import { ccardlibVersion, characterCardUtilsIssues, elizaIssues } from '../support/peer-validators';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const bytes = (name: string) => readFileSync(join(__dirname, '../fixtures/interop', name));
const chunk = (png: Buffer, keyword: string): Doc | undefined => {
  const text = readTextChunks(png).get(keyword);
  return text === undefined ? undefined : JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
};
const b64 = (doc: unknown) => Buffer.from(JSON.stringify(doc), 'utf8').toString('base64');
const edit = (persona: PersonaConfiguration, patch: Doc) => PersonaConfiguration.create({ ...toPlain(persona), ...patch } as never);

/** Every card and Eliza fixture, as the sources of the validator checks. */
const SOURCES = ['card-v1', 'card-v2-full', 'card-v3-full', 'card-v2-sillytavern', 'card-v3-large-lorebook', 'eliza-v0', 'eliza-v1'];

describe('V1 cards (TavernAI)', () => {
  it('are detected and imported strictly as card-v1, and come back deep-equal as JSON and as PNG', async () => {
    const v1 = fixture('interop/card-v1');
    const { persona, warnings, report } = await importPersona(v1);
    expect(warnings).toEqual([]);
    expect(persona).toMatchObject({ name: 'Aqua the Lighthouse Keeper', slug: 'aqua-the-lighthouse-keeper', description: v1.description });
    expect(persona.traits).toEqual([expect.objectContaining({ name: 'personality', value: v1.personality })]);
    expect(report).toEqual(expect.arrayContaining([{ field: 'description', status: 'mapped', persona: 'description' }, { field: 'first_mes', status: 'kept', note: 'kept for the round trip' }]));
    expect(await exportPersona(persona, { format: 'card-v1' })).toEqual(v1);

    const fromPng = await importPersona(bytes('card-v1.png'));
    expect(toPlain(fromPng.persona)).toEqual(toPlain(persona));
    const png = (await exportPersona(fromPng.persona, { format: 'card-v1', png: bytes('card-v1.png') })) as Buffer;
    expect(chunk(png, 'chara')).toEqual(v1);
    expect([...readTextChunks(png).keys()]).toEqual(['chara']);
  });

  it('refuses a V1 card without a name, naming the field; says what a V2 card read as V1 is', async () => {
    await expect(importPersona({ name: '', first_mes: 'hi' }, { format: 'card-v1' })).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'name', constraint: 'isNotEmpty' })] });
    const error = await importPersona(fixture('interop/card-v2-full'), { format: 'card-v1' }).catch((e) => e);
    expect(error).toBeInstanceOf(PersonaValidationError);
    expect(error.issues[0].message).toMatch(/looks like a V2 character card, not a V1 character card: import it with format card-v2/);
  });

  it('writes the edits into the V1 fields, and converts to V2 and V3 with every required field', async () => {
    const { persona } = await importPersona(fixture('interop/card-v1'));
    const back = (await exportPersona(edit(persona, { description: 'Retired now.' }), { format: 'card-v1' })) as Doc;
    expect(back).toEqual({ ...fixture('interop/card-v1'), description: 'Retired now.' });
    for (const format of ['card-v2', 'card-v3'] as const) {
      const card = (await exportPersona(persona, { format })) as Doc;
      expect(ccardlibVersion(card)).toBe(format === 'card-v2' ? 'v2' : 'v3');
      if (format === 'card-v2') expect(characterCardUtilsIssues(card, 'v2')).toEqual([]);
    }
  });

  it('round-trips any V1 card (property)', async () => {
    const text = fc.string({ maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({ name: fc.string({ minLength: 1, maxLength: 150 }).filter((s) => s.trim().length > 0), description: text, personality: text, scenario: text, first_mes: text, mes_example: text }),
        fc.dictionary(fc.constantFrom('avatar', 'chat', 'create_date', 'talkativeness'), fc.string({ maxLength: 20 })),
        async (fields, extra) => {
          const card = { ...fields, ...extra };
          const { persona } = await importPersona(card, { format: 'card-v1' });
          expect(await exportPersona(persona, { format: 'card-v1' })).toEqual(card);
          const png = (await exportPersona(persona, { format: 'card-v1', png: BLANK_PNG })) as Buffer;
          expect(await exportPersona((await importPersona(png, { format: 'card-v1' })).persona, { format: 'card-v1' })).toEqual(card);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('PNG cards with two chunks (chara and ccv3)', () => {
  it('round-trip equal while unchanged: the ccv3 card, and chara stored once as "the same card"', async () => {
    const png = bytes('card-two-chunk.png');
    const { persona, report } = await importPersona(png);
    expect(persona.interop?.format).toBe('card-v3');
    expect((persona.interop as Doc).chunks).toEqual({ chara: 'swap' });
    expect(report).toContainEqual({ field: 'PNG chunk chara', status: 'kept', note: 'the same card (swap), stored once' });
    const out = (await exportPersona(persona, { format: 'card-v3', png })) as Buffer;
    expect(chunk(out, 'ccv3')).toEqual(chunk(png, 'ccv3'));
    expect(chunk(out, 'chara')).toEqual(chunk(png, 'chara'));
  });

  it('leaves no stale chunk: after an edit, every card chunk of the image shows it, whichever version is exported', async () => {
    const png = bytes('card-two-chunk.png');
    const { persona } = await importPersona(png);
    const edited = edit(persona, { description: 'Grounded for repairs.' });
    for (const format of ['card-v3', 'card-v2', 'card-v1'] as const) {
      const out = (await exportPersona(edited, { format, png })) as Buffer;
      const ccv3 = chunk(out, 'ccv3') as Doc;
      const chara = chunk(out, 'chara') as Doc;
      expect(ccv3.data.description).toBe('Grounded for repairs.');
      expect(format === 'card-v1' ? chara.description : chara.data.description).toBe('Grounded for repairs.');
      // as SillyTavern reads it (ccv3 first), and as we do
      expect((await importPersona(out)).persona.description).toBe('Grounded for repairs.');
      expect((await importPersona(out, { format: 'card-v2' === format ? 'card-v2' : 'auto' })).persona.description).toBe('Grounded for repairs.');
      expect(ccardlibVersion(ccv3)).toBe('v3');
      if (format !== 'card-v1') expect(ccardlibVersion(chara)).toBe('v2');
      // one chunk per keyword, no duplicates
      const keywords = [...out.toString('latin1').matchAll(/tEXt(chara|ccv3)\0/g)].map((m) => m[1]).sort();
      expect(keywords).toEqual(['ccv3', 'chara']);
    }
  });

  it('round-trips any two-chunk PNG written as SillyTavern writes them, and shows any edit in both chunks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(personaArb, fc.string({ minLength: 1, maxLength: 200 }), async (plain, description) => {
        fc.pre(String((plain as Doc).name).trim().length > 0);
        const v2 = (await exportPersona(PersonaConfiguration.create(plain as never), { format: 'card-v2' })) as Doc;
        const png = writeTextChunks(BLANK_PNG, { chara: b64(v2), ccv3: b64({ ...v2, spec: 'chara_card_v3', spec_version: '3.0' }) });
        const { persona } = await importPersona(png);
        const same = (await exportPersona(persona, { format: 'card-v3', png })) as Buffer;
        expect([chunk(same, 'chara'), chunk(same, 'ccv3')]).toEqual([chunk(png, 'chara'), chunk(png, 'ccv3')]);
        const edited = (await exportPersona(edit(persona, { description }), { format: 'card-v3', png })) as Buffer;
        expect([(chunk(edited, 'chara') as Doc).data.description, (chunk(edited, 'ccv3') as Doc).data.description]).toEqual([description, description]);
      }),
      { numRuns: 60 },
    );
  });

  it('writes chara beside ccv3 for a V3 card, as SillyTavern does, and removes stale zTXt/iTXt cards', async () => {
    const { persona } = await importPersona(fixture('interop/card-v3-full'));
    const stale = writeTextChunks(BLANK_PNG, { chara: b64({ spec: 'chara_card_v2', data: { name: 'Stale' } }) });
    const out = (await exportPersona(persona, { format: 'card-v3', png: stale })) as Buffer;
    expect(chunk(out, 'chara')).toEqual({ ...(chunk(out, 'ccv3') as Doc), spec: 'chara_card_v2', spec_version: '2.0' });
    expect(out.toString('latin1')).not.toContain('Stale');
  });
});

describe('files we create pass the target ecosystem\'s own validator', () => {
  it('every fixture, exported in every format (as imported, and after an edit): ccardlib, character-card-utils, elizaOS validateCharacter', async () => {
    const eliza: { label: string; doc: unknown }[] = [];
    for (const name of SOURCES) {
      const { persona } = await importPersona(fixture(`interop/${name}`));
      const edited = edit(persona, { description: `${persona.description} (edited)`, tags: ['edited'] });
      for (const [label, p] of [['as imported', persona], ['edited', edited]] as const) {
        for (const format of ['card-v1', 'card-v2', 'card-v3', 'eliza'] as const) {
          const doc = await exportPersona(p, { format });
          const what = `${name} ${label} → ${format}`;
          // An unchanged round trip gives the original back: it gets exactly the original's verdict.
          // So does card-v3-full after an edit: its lorebook entry has the id "a1", which the V3 spec
          // allows and ccardlib (typing ids as numbers) refuses; we keep what the user wrote.
          const roundTrip = (label === 'as imported' || name === 'card-v3-full') && (persona.interop as Doc).format === format;
          const original = fixture(`interop/${name}`);
          if (format === 'eliza') eliza.push({ label: what, doc });
          else expect([what, ccardlibVersion(doc)]).toEqual([what, roundTrip ? ccardlibVersion(original) : format.replace('card-', '')]);
          if (format === 'card-v1') expect([what, characterCardUtilsIssues(doc, 'v1')]).toEqual([what, roundTrip ? characterCardUtilsIssues(original, 'v1') : []]);
          if (format === 'card-v2') expect([what, characterCardUtilsIssues(doc, 'v2')]).toEqual([what, roundTrip ? characterCardUtilsIssues(original, 'v2') : []]);
        }
      }
    }
    // Letta agents, exported in every format (they have no record of these formats).
    for (const result of [...(await importPersonas(bytes('letta-agents.af'))), await importPersona(bytes('letta-legacy.af'))]) {
      for (const format of ['card-v1', 'card-v2', 'card-v3'] as const) expect([result.persona.name, format, ccardlibVersion(await exportPersona(result.persona, { format }))]).toEqual([result.persona.name, format, format.replace('card-', '')]);
      expect(characterCardUtilsIssues(await exportPersona(result.persona, { format: 'card-v2' }), 'v2')).toEqual([]);
      eliza.push({ label: `letta ${result.persona.name} → eliza`, doc: await exportPersona(result.persona, { format: 'eliza' }) });
    }
    const verdicts = elizaIssues(eliza.map((e) => e.doc));
    // The v0 file keeps its own v0 fields (lore, clients, modelProvider) on a round trip: elizaOS refuses its original too.
    const refused = eliza.map((e, i) => [e.label, verdicts[i]] as const).filter(([label, issues]) => issues.length && !label.startsWith('eliza-v0'));
    expect(refused).toEqual([]);
    expect(elizaIssues([fixture('interop/eliza-v0')])[0].length).toBeGreaterThan(0);
  });

  it('generated personas, exported in every format, pass them too (property)', async () => {
    const docs: unknown[] = [];
    await fc.assert(
      fc.asyncProperty(personaArb, async (plain) => {
        // A blank name (valid for a persona) has no card or Eliza form: its export is a typed refusal.
        fc.pre(String((plain as Doc).name).trim().length > 0);
        const persona = PersonaConfiguration.create(plain as never);
        for (const format of ['card-v1', 'card-v2', 'card-v3'] as const) expect(ccardlibVersion(await exportPersona(persona, { format }))).toBe(format.replace('card-', ''));
        expect(characterCardUtilsIssues(await exportPersona(persona, { format: 'card-v2' }), 'v2')).toEqual([]);
        docs.push(await exportPersona(persona, { format: 'eliza' }));
      }),
      { numRuns: 60 },
    );
    expect(elizaIssues(docs).filter((issues) => issues.length)).toEqual([]);
  });
});

describe('the interchange record', () => {
  it('lives in its own column, not in metadata: a card near the 64 KiB of metadata imports with the metadata empty', async () => {
    const card = fixture('interop/card-v2-full');
    card.data.alternate_greetings = Array.from({ length: 40 }, (_, i) => `Greeting ${i}: ${'x'.repeat(1600)}`); // ~65 KB unmapped
    const { persona } = await importPersona(card);
    expect(persona.metadata).toEqual({});
    expect(Buffer.byteLength(JSON.stringify(persona.interop))).toBeGreaterThan(64 * 1024);
    expect(await exportPersona(persona, { format: 'card-v2' })).toEqual(card);
  });

  it('is refused over 1 MiB, with the size and the limit', async () => {
    const card = fixture('interop/card-v2-full');
    card.data.alternate_greetings = Array.from({ length: 700 }, () => 'y'.repeat(1600));
    await expect(importPersona(card)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'interop', constraint: 'maxBytes', message: expect.stringMatching(/1048576 bytes \(1 MiB\)/) })] });
  });

  it('stores SillyTavern\'s root copy of the V1 fields once, and writes it from data', async () => {
    const card = fixture('interop/card-v2-sillytavern');
    const { persona } = await importPersona(card);
    const record = persona.interop as Doc;
    expect(record.copies.sort()).toEqual(['creatorcomment', 'description', 'fav', 'first_mes', 'mes_example', 'name', 'personality', 'scenario', 'tags', 'talkativeness']);
    for (const key of record.copies) expect(record.remainder).not.toHaveProperty(key);
    expect(await exportPersona(persona, { format: 'card-v2' })).toEqual(card);
    const back = (await exportPersona(edit(persona, { name: 'Ilse' }), { format: 'card-v2' })) as Doc;
    expect([back.name, back.data.name]).toEqual(['Ilse', 'Ilse']);
  });

  it('keeps a 120-entry lorebook (past the 50 domains) and gives it back deep-equal', async () => {
    const card = fixture('interop/card-v3-large-lorebook');
    const { persona, warnings } = await importPersona(card);
    expect(persona.knowledgeDomains).toHaveLength(50);
    expect(warnings.filter((w) => /past the 50 knowledge domains/.test(w)).length).toBeGreaterThan(0);
    expect(await exportPersona(persona, { format: 'card-v3' })).toEqual(card);
    expect(ccardlibVersion(card)).toBe('v3');
  });
});

describe('slugs from any script', () => {
  it.each([
    ['爱', 'ai'],
    ['Ёжик', 'yozhik'],
    ['修女与女忍的双面日常', 'xiu-nu-yu-nu-ren-de-shuang-mian-ri-chang'],
    ['Kōhai Unit-7', 'kohai-unit-7'],
    ['한국어', 'hangugeo'],
  ])('%s → %s', (name, slug) => expect(slugify(name)).toBe(slug));

  it('gives a name with nothing to transliterate a short stable hash, and every name a valid slug (property)', () => {
    expect(slugify('🌙✨')).toMatch(/^persona-[0-9a-f]{8}$/);
    expect(slugify('🌙✨')).toBe(slugify('🌙✨'));
    expect(slugify('🌙✨')).not.toBe(slugify('🌞'));
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'grapheme' }), (name) => expect(slugify(name)).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)));
  });

  it('imports non-Latin cards from one file with distinct slugs', async () => {
    const results = await importPersonas(readFileSync(join(__dirname, '../fixtures/interop/cards-non-latin.json')));
    expect(results.map((r) => r.persona.slug)).toEqual(['ai', 'yozhik', 'xiu-nu-yu-nu-ren-de-shuang-mian-ri-chang', expect.stringMatching(/^persona-[0-9a-f]{8}$/)]);
  });
});

describe('files with several personas', () => {
  it('an Eliza array imports as several personas; importPersona refuses it and points to importPersonas', async () => {
    const list = fixture('interop/eliza-array') as unknown as Doc[];
    const results = await importPersonas(list);
    expect(results.map((r) => [r.persona.name, r.persona.slug])).toEqual([
      ['Marlowe', 'marlowe'],
      ['Ёжик', 'yozhik'],
    ]);
    for (const [i, r] of results.entries()) expect(await exportPersona(r.persona, { format: 'eliza' })).toEqual(list[i]);
    await expect(importPersona(list)).rejects.toMatchObject({ issues: [expect.objectContaining({ constraint: 'onePersona', message: expect.stringMatching(/holds 2 personas: read it with importPersonas/) })] });
  });

  it('names the item of a list in the path of an issue', async () => {
    const list = [fixture('interop/eliza-v1'), { name: 'x', bio: 5 }];
    await expect(importPersonas(list)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: '[1].bio' })] });
  });
});

describe('Letta agent files (.af)', () => {
  it('imports each agent of the current shape: persona block → description, other blocks → always-active knowledge or rules, llm_config → model settings, tools by name', async () => {
    const results = await importPersonas(bytes('letta-agents.af'));
    expect(results.map((r) => r.persona.name)).toEqual(['Harbor Guide', 'Tide Clerk']);
    const [guide, clerk] = results.map((r) => r.persona);
    expect(guide.description).toMatch(/^I am the Harbor Guide/);
    expect(guide.instructions).toMatch(/Port Ansel/);
    expect(guide.knowledgeDomains.map((d) => [d.name, d.activationKeywords, d.tools])).toEqual([
      ['human', [], []],
      ['tools', [], ['ferry_times', 'send_message']],
    ]);
    expect(guide.behaviorRules).toEqual([expect.objectContaining({ name: 'guardrails', condition: 'always', isMandatory: true })]);
    expect(guide).toMatchObject({ modelPreferences: ['openai/gpt-4o-mini'], temperature: 0.5, maxTokens: 2048, tags: ['travel'] });
    expect(guide.memoryConfig).toMatchObject({ maxContextTokens: 32000, summarizeAtTokens: 24000 });
    expect(clerk.description).toMatch(/Tide Clerk/);
    expect(clerk.memoryConfig.maxContextTokens).toBe(200000);
    const { warnings, report } = results[0];
    expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/left out agents\[0\]\.tool_exec_environment_variables\.WEATHER_API_KEY/), expect.stringMatching(/left behind agents\[0\]\.messages: 1 messages/), expect.stringMatching(/left behind the code, schemas and settings of 2 tools/)]));
    expect(JSON.stringify(results)).not.toContain('wk-live');
    expect(report).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'blocks[0]', status: 'mapped', persona: 'description' }), expect.objectContaining({ field: 'agents[0].messages', status: 'dropped' })]));
    expect(guide.interop).toMatchObject({ format: 'letta-af', remainder: { agent: { name: 'Harbor Guide' } } });
  });

  it('imports the older single-agent shape, and JSON inside a JSON string', async () => {
    const { persona } = await importPersona(bytes('letta-legacy.af'));
    expect(persona).toMatchObject({ name: 'spoke', description: expect.stringMatching(/^I am Spoke/), instructions: 'You are Spoke, a bicycle mechanic.', maxTokens: 4096 });
    expect(persona.knowledgeDomains.find((d) => d.name === 'tools')?.tools).toEqual(['send_message', 'lookup_part']);
    const wrapped = await importPersona(bytes('letta-json-in-string.af'));
    expect(wrapped.persona.name).toBe('Spoke in a string');
  });

  it('is read only: exporting as letta-af is refused; as a card it writes what the persona holds', async () => {
    const { persona } = await importPersona(bytes('letta-legacy.af'));
    await expect(exportPersona(persona, { format: 'letta-af' })).rejects.toMatchObject({ issues: [expect.objectContaining({ constraint: 'readOnly' })] });
    const card = (await exportPersona(persona, { format: 'card-v3' })) as Doc;
    expect(card.data).toMatchObject({ name: 'spoke', system_prompt: 'You are Spoke, a bicycle mechanic.' });
    expect(ccardlibVersion(card)).toBe('v3');
  });

  it('reads random agent files as one persona per agent, or refuses them with a PersonaValidationError (property)', async () => {
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }));
    const block = fc.record({ label: fc.oneof(fc.constantFrom('persona', 'human', 'guardrails', ''), value), value: fc.oneof(fc.string({ maxLength: 3000 }), value), id: fc.constantFrom('block-0', 'block-1', 'block-2') }, { requiredKeys: [] });
    const agent = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 120 }), value),
        system: value,
        block_ids: fc.array(fc.constantFrom('block-0', 'block-1', 'block-9'), { maxLength: 3 }),
        tool_ids: fc.array(fc.constantFrom('tool-0', 'tool-1'), { maxLength: 2 }),
        llm_config: fc.record({ model: value, temperature: fc.double({ min: -5, max: 5, noNaN: true }), max_tokens: value, context_window: fc.integer({ min: -10, max: 3_000_000 }) }, { requiredKeys: [] }),
        tags: fc.array(fc.oneof(fc.string({ maxLength: 60 }), value), { maxLength: 25 }),
        messages: fc.array(fc.record({ role: fc.constant('user'), text: fc.string({ maxLength: 20 }) }), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(agent, { minLength: 1, maxLength: 3 }), fc.array(block, { maxLength: 4 }), fc.array(fc.record({ id: fc.constantFrom('tool-0', 'tool-1'), name: value }), { maxLength: 2 }), fc.boolean(), async (agents, blocks, tools, lenient) => {
        try {
          const results = await importPersonas({ agents, blocks, tools }, { format: 'letta-af', lenient });
          expect(results).toHaveLength(agents.length);
        } catch (error) {
          expect(error).toBeInstanceOf(PersonaValidationError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an agent file with broken references, at their paths', async () => {
    const doc = JSON.parse(bytes('letta-agents.af').toString('utf8'));
    doc.agents[1].block_ids.push('block-99');
    await expect(importPersonas(doc)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'agents[1].block_ids[2]', constraint: 'blockExists' })] });
  });
});

describe('cross-format mapping and the fidelity report', () => {
  it('an Eliza character as a card keeps its adjectives (personality) and style (system prompt lines)', async () => {
    const { persona } = await importPersona(fixture('interop/eliza-v1'));
    const { document, report } = await exportPersonaWithReport(persona, { format: 'card-v2' });
    const card = document as Doc;
    expect(card.data.personality).toBe('grumpy, honest, data-driven');
    expect(card.data.system_prompt).toMatch(/Rules:\n- short sentences\n- no emojis\n- When chatting with someone: answer the question first/);
    expect(report).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'data.personality', status: 'approximated' }), expect.objectContaining({ persona: 'voiceConfig', status: 'dropped' })]));
    // and back: the personality text becomes the adjectives again
    const again = (await exportPersona((await importPersona(card)).persona, { format: 'eliza' })) as Doc;
    expect(again.adjectives).toEqual(['grumpy', 'honest', 'data-driven']);
  });

  it('a card as an Eliza character keeps its personality', async () => {
    const { persona } = await importPersona(fixture('interop/card-v2-full'));
    const eliza = (await exportPersona(persona, { format: 'eliza' })) as Doc;
    expect(eliza.adjectives).toEqual(['caring', 'protective', 'compassionate', 'healing', 'nurturing']);
    expect(eliza).not.toHaveProperty('lore');
  });

  it('reports per field what an import mapped, approximated, kept and dropped', async () => {
    const card = fixture('interop/card-v2-full');
    card.data.name = 'N'.repeat(120);
    card.data.extensions.auth = { apiKey: 'sk-abcdefabcdefabcdefabcdef12' };
    const { report } = await importPersona(card);
    expect(report).toEqual(
      expect.arrayContaining([
        { field: 'data.name', status: 'approximated', persona: 'name', note: 'the original is kept for the round trip' },
        { field: 'data.description', status: 'mapped', persona: 'description' },
        { field: 'data.first_mes', status: 'kept', note: 'kept for the round trip' },
        { field: 'data.extensions.auth', status: 'dropped', note: 'a credential: secrets are never imported' },
      ]),
    );
  });
});
