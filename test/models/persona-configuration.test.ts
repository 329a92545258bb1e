import {
  BehaviorRule,
  fieldsSet,
  fromJSON,
  InteractionMode,
  KnowledgeDomain,
  MemoryConfiguration,
  PersonaConfiguration,
  PersonaStatus,
  PersonaTrait,
  PersonaValidationError,
  ResponseStyle,
  ResponseStyleType,
  setFieldPaths,
  toPlain,
  TraitCategory,
  validateModel,
  VoiceConfiguration,
} from '../../src';
import { fixture } from '../fixtures';

describe('PersonaConfiguration', () => {
  it('builds the seed example (Technical Assistant) in TypeScript, serialises it and parses it back equal', () => {
    const persona = PersonaConfiguration.create({
      name: 'Technical Assistant',
      slug: 'technical-assistant',
      status: PersonaStatus.Active,
      createdBy: 'seed',
      traits: [{ name: 'analytical', category: TraitCategory.Cognitive, value: 90 }],
      responseStyle: { type: ResponseStyleType.Technical, formalityLevel: 8, verbosity: 6 },
      temperature: 0.3,
      modelPreferences: ['gpt-4o', 'claude-sonnet-4'],
    });

    expect(persona).toBeInstanceOf(PersonaConfiguration);
    expect(persona.traits[0]).toBeInstanceOf(PersonaTrait);
    expect(persona.responseStyle).toBeInstanceOf(ResponseStyle);
    expect(persona.traits[0].value).toBe(90);
    expect(persona.responseStyle.formalityLevel).toBe(8);
    expect(persona.responseStyle.verbosity).toBe(6);

    const json = JSON.stringify(persona);
    const back = fromJSON(PersonaConfiguration, json);
    expect(back).toEqual(persona);
    expect(JSON.stringify(back)).toBe(json);
    // The full JSON form gives every field, so the parsed copy has all of them set.
    expect(toPlain(back, { excludeUnset: true })).toEqual(toPlain(persona));
  });

  it('applies every documented default when only the required fields are given', () => {
    const persona = PersonaConfiguration.create(fixture('personas/minimal'));
    expect(toPlain(persona)).toEqual({
      name: 'Minimal',
      slug: 'minimal',
      description: '',
      status: 'draft',
      interactionMode: 'conversational',
      traits: [],
      responseStyle: { type: 'casual', tone: 'neutral', formalityLevel: 5, verbosity: 5, formattingPreferences: {} },
      knowledgeDomains: [],
      behaviorRules: [],
      memoryConfig: {
        maxContextTokens: 8192,
        summarizeAtTokens: 6144,
        retainLastMessages: 20,
        priorityTopics: [],
        semanticCompression: false,
        compressionRatio: 0.5,
      },
      temperature: 0.7,
      modelPreferences: [],
      isPublic: false,
      createdBy: 'bob',
      tags: [],
      metadata: {},
    });
  });

  it('does not invent the fields the store keeps (id, version, timestamps)', () => {
    const persona = PersonaConfiguration.create(fixture('personas/minimal'));
    expect(persona.id).toBeUndefined();
    expect(persona.version).toBeUndefined();
    expect(persona.createdAt).toBeUndefined();
    expect(persona.updatedAt).toBeUndefined();
  });

  it('accepts the store-kept fields on input so that a stored persona round-trips', () => {
    const stored = {
      ...fixture('personas/minimal'),
      id: '3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f',
      version: 7,
      createdAt: '2026-01-02T03:04:05.678Z',
      updatedAt: '2026-02-03T04:05:06.789Z',
    };
    const persona = fromJSON(PersonaConfiguration, stored);
    expect(persona.createdAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(toPlain(persona)).toMatchObject(stored);
  });

  it('builds nested instances of every model with their own defaults', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));
    expect(persona.knowledgeDomains[1]).toBeInstanceOf(KnowledgeDomain);
    expect(persona.knowledgeDomains[1].tools).toEqual([]);
    expect(persona.behaviorRules[0]).toBeInstanceOf(BehaviorRule);
    expect(persona.behaviorRules[0].isMandatory).toBe(false);
    expect(persona.memoryConfig).toBeInstanceOf(MemoryConfiguration);
    expect(persona.voiceConfig).toBeInstanceOf(VoiceConfiguration);
    expect(persona.voiceConfig).toMatchObject({ provider: 'openai', language: 'en-GB', speed: 1.1, pitch: 0, volume: 1, providerOptions: {} });
    expect(persona.traits[1].weight).toBe(1);
    expect(persona.interactionMode).toBe(InteractionMode.Analytical);
  });

  it('keeps the type of a trait value through a round trip (90, "precise", false)', () => {
    const back = fromJSON(PersonaConfiguration, JSON.stringify(PersonaConfiguration.create(fixture('personas/technical-assistant'))));
    expect(back.traits.map((t) => t.value)).toEqual([90, 'precise', false]);
  });

  it('stores -0 as 0, since JSON cannot carry the sign', () => {
    const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), temperature: -0, voiceConfig: { provider: 'openai', voiceId: 'alloy', pitch: -0 } });
    expect(Object.is(persona.temperature, 0)).toBe(true);
    expect(fromJSON(PersonaConfiguration, JSON.stringify(persona))).toEqual(persona);
  });

  it('gives the same plain form from JSON.stringify and toPlain', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));
    expect(JSON.parse(JSON.stringify(persona))).toEqual(toPlain(persona));
  });

  describe('fields set', () => {
    it('knows which top-level and nested fields its caller gave', () => {
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), responseStyle: { tone: 'warm' }, temperature: 0.7 });
      expect([...fieldsSet(persona)].sort()).toEqual(['createdBy', 'name', 'responseStyle', 'slug', 'temperature']);
      expect([...fieldsSet(persona.responseStyle)]).toEqual(['tone']);
      expect([...fieldsSet(persona.memoryConfig)]).toEqual([]);
      expect(setFieldPaths(persona)).toContain('responseStyle.tone');
    });

    it('excludeUnset leaves out every field not given, defaults included, even one equal to its default', () => {
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), responseStyle: { tone: 'warm' }, temperature: 0.7 });
      expect(toPlain(persona, { excludeUnset: true })).toEqual({
        name: 'Minimal',
        slug: 'minimal',
        createdBy: 'bob',
        responseStyle: { tone: 'warm' },
        temperature: 0.7,
      });
    });

    it('treats a null optional field as not given', () => {
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), voiceConfig: null, maxTokens: null });
      expect(persona.voiceConfig).toBeUndefined();
      expect(persona.maxTokens).toBeUndefined();
      expect(fieldsSet(persona).has('voiceConfig')).toBe(false);
      expect('voiceConfig' in toPlain(persona)).toBe(false);
    });

    it('survives a JSON round trip of the excludeUnset form', () => {
      const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));
      const sparse = toPlain(persona, { excludeUnset: true });
      const again = fromJSON(PersonaConfiguration, JSON.stringify(sparse));
      expect(setFieldPaths(again)).toEqual(setFieldPaths(persona));
      expect(toPlain(again)).toEqual(toPlain(persona));
    });

    it('accepts nested model instances as input and keeps what they had set', () => {
      const trait = PersonaTrait.create({ name: 'curious', category: TraitCategory.Personality, value: 70 });
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), traits: [trait] });
      expect(persona.traits[0]).toEqual(trait);
      expect([...fieldsSet(persona.traits[0])].sort()).toEqual(['category', 'name', 'value']);
    });
  });

  describe('memory threshold default', () => {
    it('follows a smaller limit when the threshold is not given', () => {
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), memoryConfig: { maxContextTokens: 4096 } });
      expect(persona.memoryConfig.summarizeAtTokens).toBe(3072);
    });
  });

  describe('validateModel', () => {
    it('returns the instance when valid', () => {
      const result = validateModel(PersonaConfiguration, fixture('personas/minimal'));
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.value).toBeInstanceOf(PersonaConfiguration);
    });

    it('returns every issue at once instead of throwing', () => {
      const result = validateModel(PersonaConfiguration, { name: '', slug: 'Not A Slug', createdBy: 'x', temperature: 9 });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues.map((i) => i.path).sort()).toEqual(['name', 'slug', 'temperature']);
    });
  });

  describe('fromJSON', () => {
    it('refuses text that is not JSON with a validation error at the root', () => {
      expect(() => fromJSON(PersonaConfiguration, '{ nope')).toThrow(PersonaValidationError);
      try {
        fromJSON(PersonaConfiguration, '{ nope');
      } catch (e) {
        expect((e as PersonaValidationError).issues[0]).toMatchObject({ path: '', constraint: 'isJson' });
        expect((e as PersonaValidationError).code).toBe('VALIDATION_FAILED');
      }
    });
  });
});
