import {
  BehaviorRule,
  KnowledgeDomain,
  MemoryConfiguration,
  PersonaMetrics,
  PersonaTrait,
  PersonaValidationError,
  ResponseStyle,
  toPlain,
  TraitCategory,
  validateModel,
  VoiceConfiguration,
} from '../../src';

describe('every model has a static create() that validates and applies defaults', () => {
  it('PersonaTrait', () => {
    expect(toPlain(PersonaTrait.create({ name: 'curious', category: TraitCategory.Personality, value: 'very' }))).toEqual({
      name: 'curious',
      category: 'personality',
      value: 'very',
      weight: 1,
    });
    expect(() => PersonaTrait.create({ name: 'x', category: TraitCategory.Personality, value: 101 })).toThrow(PersonaValidationError);
  });

  it('ResponseStyle', () => {
    expect(toPlain(ResponseStyle.create({}))).toEqual({ type: 'casual', tone: 'neutral', formalityLevel: 5, verbosity: 5, formattingPreferences: {} });
  });

  it('KnowledgeDomain', () => {
    expect(toPlain(KnowledgeDomain.create({ name: 'k8s', expertiseLevel: 7, topics: ['helm'] }))).toEqual({
      name: 'k8s',
      expertiseLevel: 7,
      topics: ['helm'],
      tools: [],
      activationKeywords: [],
    });
  });

  it('BehaviorRule', () => {
    expect(toPlain(BehaviorRule.create({ name: 'r', condition: 'c', action: 'a' }))).toEqual({
      name: 'r',
      condition: 'c',
      action: 'a',
      priority: 50,
      isMandatory: false,
      exceptions: [],
    });
  });

  it('MemoryConfiguration', () => {
    expect(MemoryConfiguration.create({}).summarizeAtTokens).toBe(6144);
    const result = validateModel(MemoryConfiguration, { maxContextTokens: 1000, summarizeAtTokens: 1000 });
    expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: 'summarizeAtTokens', constraint: 'isBelowField' })]);
  });

  it('VoiceConfiguration', () => {
    expect(toPlain(VoiceConfiguration.create({ provider: 'elevenlabs', voiceId: 'rachel' }))).toEqual({
      provider: 'elevenlabs',
      voiceId: 'rachel',
      language: 'en-US',
      speed: 1,
      pitch: 0,
      volume: 1,
      providerOptions: {},
    });
  });
});

describe('PersonaMetrics', () => {
  const personaId = '3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f';

  it('derives success rate and averages from the counters, null when there is nothing to average', () => {
    const empty = PersonaMetrics.create({ personaId });
    expect(toPlain(empty)).toMatchObject({ successRate: null, averageResponseTimeMs: null, averageTokensPerInteraction: null, averageRating: null, p95ResponseTimeMs: null });
    const m = PersonaMetrics.create({
      personaId,
      totalInteractions: 4,
      successfulInteractions: 3,
      failedInteractions: 1,
      totalResponseTimeMs: 1000,
      totalInputTokens: 300,
      totalOutputTokens: 100,
      ratingCount: 2,
      ratingSum: 9,
    });
    expect(m.successRate).toBe(0.75);
    expect(m.averageResponseTimeMs).toBe(250);
    expect(m.averageTokensPerInteraction).toBe(100);
    expect(m.averageRating).toBe(4.5);
    expect(JSON.parse(JSON.stringify(m))).toMatchObject({ successRate: 0.75, averageRating: 4.5 });
  });

  it('ignores derived figures on input: they are recomputed', () => {
    const m = PersonaMetrics.create({ personaId, totalInteractions: 2, successfulInteractions: 1, failedInteractions: 1, successRate: 0.99 } as never);
    expect(m.successRate).toBe(0.5);
  });

  it('refuses counters that disagree', () => {
    const result = validateModel(PersonaMetrics, { personaId, totalInteractions: 3, successfulInteractions: 1, failedInteractions: 1 });
    expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: 'totalInteractions', constraint: 'sumOfOutcomes' })]);
    const ratings = validateModel(PersonaMetrics, { personaId, totalInteractions: 1, successfulInteractions: 1, ratingCount: 1, ratingSum: 6 });
    expect(!ratings.ok && ratings.issues).toEqual([expect.objectContaining({ path: 'ratingSum', constraint: 'ratingRange' })]);
  });

  it('refuses negative counters', () => {
    const result = validateModel(PersonaMetrics, { personaId, totalInteractions: -1 });
    expect(!result.ok && result.issues).toContainEqual(expect.objectContaining({ path: 'totalInteractions', constraint: 'min' }));
  });
});
