import { PersonaConfiguration, PersonaMetrics, PersonaTemplate, PersonaValidationError, validateModel } from '../../src';
import { personaWith, setPath, times } from '../fixtures';

const s = (n: number) => 'x'.repeat(n);
const uuid = '3f0c6c1e-5a43-4c5e-9f2e-1d2b3c4d5e6f';

/** [rule, path to change, value (undefined deletes), expected issue path, expected constraint] */
type Row = [string, string, unknown, string, string];

const rows: Row[] = [
  // PersonaConfiguration
  ['id is a UUID', 'id', 'abc', 'id', 'isUuid'],
  ['name is required', 'name', undefined, 'name', 'isString'],
  ['name is a string, not a number', 'name', 42, 'name', 'isString'],
  ['name is not empty', 'name', '', 'name', 'isLength'],
  ['name is at most 100', 'name', s(101), 'name', 'isLength'],
  ['slug matches the slug pattern', 'slug', 'Not A Slug', 'slug', 'isSlug'],
  ['slug has no double hyphen', 'slug', 'a--b', 'slug', 'isSlug'],
  ['slug may not look like a UUID', 'slug', uuid, 'slug', 'isSlug'],
  ['slug is at most 64', 'slug', s(65), 'slug', 'isLength'],
  ['description is at most 10,000', 'description', s(10_001), 'description', 'isLength'],
  ['instructions are at most 100,000', 'instructions', s(100_001), 'instructions', 'isLength'],
  ['status is one of the enum', 'status', 'paused', 'status', 'isEnum'],
  ['interactionMode is one of the enum', 'interactionMode', 'chatty', 'interactionMode', 'isEnum'],
  ['traits is a list', 'traits', { analytical: 90 }, 'traits', 'isArray'],
  ['at most 100 traits', 'traits', times(101, (i) => ({ name: `t${i}`, category: 'cognitive', value: 1 })), 'traits', 'arrayMaxSize'],
  ['trait names are unique', 'traits[1].name', 'analytical', 'traits', 'uniqueNames'],
  ['at most 50 knowledge domains', 'knowledgeDomains', times(51, (i) => ({ name: `d${i}`, expertiseLevel: 1, topics: ['a'] })), 'knowledgeDomains', 'arrayMaxSize'],
  ['knowledge domain names are unique', 'knowledgeDomains[1].name', 'kubernetes', 'knowledgeDomains', 'uniqueNames'],
  ['at most 200 behavior rules', 'behaviorRules', times(201, (i) => ({ name: `r${i}`, condition: 'c', action: 'a' })), 'behaviorRules', 'arrayMaxSize'],
  ['behavior rule names are unique', 'behaviorRules[1].name', 'cite-sources', 'behaviorRules', 'uniqueNames'],
  ['temperature is at most 2', 'temperature', 2.01, 'temperature', 'max'],
  ['temperature is at least 0', 'temperature', -0.1, 'temperature', 'min'],
  ['temperature is a number, not text', 'temperature', '0.5', 'temperature', 'isNumber'],
  ['maxTokens is at least 1', 'maxTokens', 0, 'maxTokens', 'min'],
  ['maxTokens is at most 1,000,000', 'maxTokens', 1_000_001, 'maxTokens', 'max'],
  ['maxTokens is an integer', 'maxTokens', 10.5, 'maxTokens', 'isInt'],
  ['at most 10 model preferences', 'modelPreferences', times(11, (i) => `m${i}`), 'modelPreferences', 'arrayMaxSize'],
  ['model preferences are unique', 'modelPreferences', ['a', 'a'], 'modelPreferences', 'arrayUnique'],
  ['a model preference is not empty', 'modelPreferences', [''], 'modelPreferences', 'isLength'],
  ['a model preference is at most 100', 'modelPreferences', [s(101)], 'modelPreferences', 'isLength'],
  ['templateId is a UUID', 'templateId', 'tmpl', 'templateId', 'isUuid'],
  ['parentId is a UUID', 'parentId', 'parent', 'parentId', 'isUuid'],
  ['templateVersion is at least 1', 'templateVersion', 0, 'templateVersion', 'min'],
  ['isPublic is a boolean, not text', 'isPublic', 'yes', 'isPublic', 'isBoolean'],
  ['createdBy is required', 'createdBy', undefined, 'createdBy', 'isString'],
  ['createdBy is at most 255', 'createdBy', s(256), 'createdBy', 'isLength'],
  ['version is at least 1', 'version', 0, 'version', 'min'],
  ['version is an integer', 'version', 1.5, 'version', 'isInt'],
  ['at most 20 tags', 'tags', times(21, (i) => `t${i}`), 'tags', 'arrayMaxSize'],
  ['tags are unique', 'tags', ['a', 'a'], 'tags', 'arrayUnique'],
  ['a tag is at most 50', 'tags', [s(51)], 'tags', 'isLength'],
  ['a tag is not empty', 'tags', [''], 'tags', 'isLength'],
  ['metadata is an object, not a list', 'metadata', [1, 2], 'metadata', 'isJsonObject'],
  ['metadata is at most 64 KiB serialised', 'metadata', { blob: s(65 * 1024) }, 'metadata', 'isJsonObject'],
  ['createdAt is a date', 'createdAt', 'yesterday', 'createdAt', 'isDate'],
  ['createdAt is not a number (no implicit conversion)', 'createdAt', 1700000000000, 'createdAt', 'isDate'],
  ['updatedAt is a date', 'updatedAt', {}, 'updatedAt', 'isDate'],
  ['an unknown field is refused', 'favouriteColour', 'blue', 'favouriteColour', 'whitelistValidation'],
  // PersonaTrait
  ['trait name is not empty', 'traits[2].name', '', 'traits[2].name', 'isLength'],
  ['trait name is at most 50', 'traits[2].name', s(51), 'traits[2].name', 'isLength'],
  ['trait category is one of the enum', 'traits[0].category', 'mood', 'traits[0].category', 'isEnum'],
  ['numeric trait value is at most 100', 'traits[0].value', 101, 'traits[0].value', 'isTraitValue'],
  ['numeric trait value is at least 0', 'traits[0].value', -1, 'traits[0].value', 'isTraitValue'],
  ['string trait value is not empty', 'traits[1].value', '', 'traits[1].value', 'isTraitValue'],
  ['string trait value is at most 200', 'traits[1].value', s(201), 'traits[1].value', 'isTraitValue'],
  ['trait value is a number, string or boolean', 'traits[2].value', { x: 1 }, 'traits[2].value', 'isTraitValue'],
  ['trait value is required', 'traits[2].value', undefined, 'traits[2].value', 'isTraitValue'],
  ['trait weight is at most 10', 'traits[0].weight', 10.5, 'traits[0].weight', 'max'],
  ['trait weight is at least 0', 'traits[0].weight', -1, 'traits[0].weight', 'min'],
  ['trait description is at most 500', 'traits[0].description', s(501), 'traits[0].description', 'isLength'],
  ['an unknown trait field is refused', 'traits[0].score', 3, 'traits[0].score', 'whitelistValidation'],
  // ResponseStyle
  ['style type is one of the enum', 'responseStyle.type', 'sarcastic', 'responseStyle.type', 'isEnum'],
  ['tone is not empty', 'responseStyle.tone', '', 'responseStyle.tone', 'isLength'],
  ['tone is at most 50', 'responseStyle.tone', s(51), 'responseStyle.tone', 'isLength'],
  ['formality is at least 1', 'responseStyle.formalityLevel', 0, 'responseStyle.formalityLevel', 'min'],
  ['formality is at most 10', 'responseStyle.formalityLevel', 11, 'responseStyle.formalityLevel', 'max'],
  ['formality is an integer', 'responseStyle.formalityLevel', 7.5, 'responseStyle.formalityLevel', 'isInt'],
  ['verbosity is at least 1', 'responseStyle.verbosity', 0, 'responseStyle.verbosity', 'min'],
  ['verbosity is at most 10', 'responseStyle.verbosity', 11, 'responseStyle.verbosity', 'max'],
  ['formatting preferences are flat', 'responseStyle.formattingPreferences', { nested: { a: 1 } }, 'responseStyle.formattingPreferences', 'isFlatRecord'],
  ['responseStyle is an object', 'responseStyle', 'formal', 'responseStyle', 'nestedValidation'],
  // KnowledgeDomain
  ['domain name is not empty', 'knowledgeDomains[0].name', '', 'knowledgeDomains[0].name', 'isLength'],
  ['domain name is at most 100', 'knowledgeDomains[0].name', s(101), 'knowledgeDomains[0].name', 'isLength'],
  ['expertise is at least 1', 'knowledgeDomains[0].expertiseLevel', 0, 'knowledgeDomains[0].expertiseLevel', 'min'],
  ['expertise is at most 10', 'knowledgeDomains[0].expertiseLevel', 11, 'knowledgeDomains[0].expertiseLevel', 'max'],
  ['expertise is an integer', 'knowledgeDomains[0].expertiseLevel', 2.5, 'knowledgeDomains[0].expertiseLevel', 'isInt'],
  ['expertise is required', 'knowledgeDomains[0].expertiseLevel', undefined, 'knowledgeDomains[0].expertiseLevel', 'isInt'],
  ['topics are not empty', 'knowledgeDomains[0].topics', [], 'knowledgeDomains[0].topics', 'arrayMinSize'],
  ['at most 50 topics', 'knowledgeDomains[0].topics', times(51, (i) => `t${i}`), 'knowledgeDomains[0].topics', 'arrayMaxSize'],
  ['at most 50 tools', 'knowledgeDomains[0].tools', times(51, (i) => `t${i}`), 'knowledgeDomains[0].tools', 'arrayMaxSize'],
  ['at most 50 activation keywords', 'knowledgeDomains[0].activationKeywords', times(51, (i) => `k${i}`), 'knowledgeDomains[0].activationKeywords', 'arrayMaxSize'],
  ['a topic is a string', 'knowledgeDomains[0].topics', [7], 'knowledgeDomains[0].topics', 'isString'],
  ['domain description is at most 10,000', 'knowledgeDomains[0].description', s(10_001), 'knowledgeDomains[0].description', 'isLength'],
  // BehaviorRule
  ['rule name is not empty', 'behaviorRules[0].name', '', 'behaviorRules[0].name', 'isLength'],
  ['rule name is at most 100', 'behaviorRules[0].name', s(101), 'behaviorRules[0].name', 'isLength'],
  ['condition is not empty', 'behaviorRules[0].condition', '', 'behaviorRules[0].condition', 'isLength'],
  ['condition is at most 1,000', 'behaviorRules[0].condition', s(1001), 'behaviorRules[0].condition', 'isLength'],
  ['action is not empty', 'behaviorRules[0].action', '', 'behaviorRules[0].action', 'isLength'],
  ['action is at most 2,000', 'behaviorRules[0].action', s(2001), 'behaviorRules[0].action', 'isLength'],
  ['priority is at least 0', 'behaviorRules[0].priority', -1, 'behaviorRules[0].priority', 'min'],
  ['priority is at most 100', 'behaviorRules[0].priority', 101, 'behaviorRules[0].priority', 'max'],
  ['priority is an integer', 'behaviorRules[0].priority', 50.5, 'behaviorRules[0].priority', 'isInt'],
  ['isMandatory is a boolean', 'behaviorRules[0].isMandatory', 'no', 'behaviorRules[0].isMandatory', 'isBoolean'],
  ['at most 20 exceptions', 'behaviorRules[1].exceptions', times(21, (i) => `e${i}`), 'behaviorRules[1].exceptions', 'arrayMaxSize'],
  // MemoryConfiguration
  ['context is at least 256 tokens', 'memoryConfig', { maxContextTokens: 255 }, 'memoryConfig.maxContextTokens', 'min'],
  ['context is at most 2,000,000 tokens', 'memoryConfig.maxContextTokens', 2_000_001, 'memoryConfig.maxContextTokens', 'max'],
  ['summarise threshold is strictly below the limit', 'memoryConfig.summarizeAtTokens', 128000, 'memoryConfig.summarizeAtTokens', 'isBelowField'],
  ['summarise threshold is an integer', 'memoryConfig.summarizeAtTokens', 10.5, 'memoryConfig.summarizeAtTokens', 'isInt'],
  ['retained messages are at least 0', 'memoryConfig.retainLastMessages', -1, 'memoryConfig.retainLastMessages', 'min'],
  ['retained messages are at most 1,000', 'memoryConfig.retainLastMessages', 1001, 'memoryConfig.retainLastMessages', 'max'],
  ['at most 50 priority topics', 'memoryConfig.priorityTopics', times(51, (i) => `p${i}`), 'memoryConfig.priorityTopics', 'arrayMaxSize'],
  ['semanticCompression is a boolean', 'memoryConfig.semanticCompression', 1, 'memoryConfig.semanticCompression', 'isBoolean'],
  ['compression ratio is at least 0.1', 'memoryConfig.compressionRatio', 0.05, 'memoryConfig.compressionRatio', 'min'],
  ['compression ratio is at most 1', 'memoryConfig.compressionRatio', 1.1, 'memoryConfig.compressionRatio', 'max'],
  // VoiceConfiguration
  ['voice provider is required', 'voiceConfig.provider', undefined, 'voiceConfig.provider', 'isString'],
  ['voice provider is at most 50', 'voiceConfig.provider', s(51), 'voiceConfig.provider', 'isLength'],
  ['voice id is not empty', 'voiceConfig.voiceId', '', 'voiceConfig.voiceId', 'isLength'],
  ['voice id is at most 200', 'voiceConfig.voiceId', s(201), 'voiceConfig.voiceId', 'isLength'],
  ['language is a BCP 47 tag', 'voiceConfig.language', 'English (UK)', 'voiceConfig.language', 'isBcp47'],
  ['speed is at least 0.25', 'voiceConfig.speed', 0.2, 'voiceConfig.speed', 'min'],
  ['speed is at most 4', 'voiceConfig.speed', 4.5, 'voiceConfig.speed', 'max'],
  ['pitch is at least -20', 'voiceConfig.pitch', -21, 'voiceConfig.pitch', 'min'],
  ['pitch is at most 20', 'voiceConfig.pitch', 21, 'voiceConfig.pitch', 'max'],
  ['volume is at least 0', 'voiceConfig.volume', -0.1, 'voiceConfig.volume', 'min'],
  ['volume is at most 1', 'voiceConfig.volume', 1.1, 'voiceConfig.volume', 'max'],
  ['emotion is at most 50', 'voiceConfig.emotion', s(51), 'voiceConfig.emotion', 'isLength'],
  ['style is at most 50', 'voiceConfig.style', s(51), 'voiceConfig.style', 'isLength'],
  ['provider options are a JSON object', 'voiceConfig.providerOptions', 'fast', 'voiceConfig.providerOptions', 'isJsonObject'],
];

describe('PersonaConfiguration rules (each broken once, path and rule named)', () => {
  it.each(rows)('%s', (_rule, path, value, expectedPath, expectedConstraint) => {
    const input = personaWith(path, value);
    const result = validateModel(PersonaConfiguration, input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContainEqual(expect.objectContaining({ path: expectedPath, constraint: expectedConstraint }));
    // The broken rule is the only thing wrong with the otherwise valid fixture.
    expect(result.issues.every((i) => i.path === expectedPath)).toBe(true);
  });

  it('reports parent XOR template at parentId', () => {
    const input = { ...personaWith('templateId', uuid), parentId: '9b2e1c4d-0a1b-4c2d-8e3f-4a5b6c7d8e9f' };
    const result = validateModel(PersonaConfiguration, input);
    expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: 'parentId', constraint: 'exclusiveWith' })]);
  });

  it('reports input that is not an object at the path ""', () => {
    for (const junk of [null, 42, 'persona', [], true]) {
      const result = validateModel(PersonaConfiguration, junk);
      expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: '', constraint: 'isObject' })]);
    }
  });

  it('reports every problem at once', () => {
    const input = personaWith('name', '');
    input.temperature = 5;
    input.traits[0].value = 900;
    input.responseStyle.formalityLevel = 0;
    input.extra = true;
    const result = validateModel(PersonaConfiguration, input);
    expect(!result.ok && result.issues.map((i) => i.path).sort()).toEqual(
      ['extra', 'name', 'responseStyle.formalityLevel', 'temperature', 'traits[0].value'].sort(),
    );
  });

  it('names the whole path in the message', () => {
    const result = validateModel(PersonaConfiguration, personaWith('traits[0].weight', 11));
    expect(!result.ok && result.issues[0].message).toBe('traits[0].weight must not be greater than 10');
  });

  it('throws a PersonaValidationError from create()', () => {
    expect(() => PersonaConfiguration.create(personaWith('name', ''))).toThrow(PersonaValidationError);
  });

  it('accepts the boundaries themselves', () => {
    const input = personaWith('temperature', 2);
    input.name = s(100);
    input.slug = s(64);
    input.traits[0].value = 100;
    input.traits[1].value = s(200);
    input.traits[0].weight = 10;
    input.responseStyle.formalityLevel = 10;
    input.memoryConfig = { maxContextTokens: 256, summarizeAtTokens: 255 };
    input.voiceConfig.speed = 0.25;
    input.voiceConfig.pitch = -20;
    input.voiceConfig.language = 'zh-Hant-TW';
    input.maxTokens = 1_000_000;
    input.tags = times(20, (i) => `t${i}`);
    expect(validateModel(PersonaConfiguration, input)).toMatchObject({ ok: true });
  });
});

describe('PersonaTemplate and PersonaMetrics rules (each broken once)', () => {
  const template = () => ({ name: 'T', slug: 't', createdBy: 'alice', customizableFields: [{ path: 'temperature', type: 'number' }] });
  const metrics = () => ({ personaId: uuid, totalInteractions: 2, successfulInteractions: 1, failedInteractions: 1 });

  const templateRows: Row[] = [
    ['template name is not empty', 'name', '', 'name', 'isLength'],
    ['template name is at most 100', 'name', s(101), 'name', 'isLength'],
    ['template slug matches the slug pattern', 'slug', 'Bad Slug', 'slug', 'isSlug'],
    ['template description is at most 10,000', 'description', s(10_001), 'description', 'isLength'],
    ['template category is at most 50', 'category', s(51), 'category', 'isLength'],
    ['base configuration is an object', 'baseConfiguration', [1], 'baseConfiguration', 'isJsonObject'],
    ['at most 100 customizable fields', 'customizableFields', times(101, () => ({ path: 'temperature', type: 'number' })), 'customizableFields', 'arrayMaxSize'],
    ['a customizable field has a known type', 'customizableFields[0].type', 'float', 'customizableFields[0].type', 'isIn'],
    ['a customizable field says whether it is required with a boolean', 'customizableFields[0].required', 'yes', 'customizableFields[0].required', 'isBoolean'],
    ['a customizable field min is a number', 'customizableFields[0].min', '0', 'customizableFields[0].min', 'isNumber'],
    ['template isPublic is a boolean', 'isPublic', 1, 'isPublic', 'isBoolean'],
    ['template createdBy is required', 'createdBy', undefined, 'createdBy', 'isString'],
    ['template version is at least 1', 'version', 0, 'version', 'min'],
    ['template tags are unique', 'tags', ['a', 'a'], 'tags', 'arrayUnique'],
    ['an unknown template field is refused', 'colour', 'red', 'colour', 'whitelistValidation'],
  ];
  it.each(templateRows)('%s', (_rule, path, value, expectedPath, expectedConstraint) => {
    const result = validateModel(PersonaTemplate, setPath(template(), path, value));
    expect(!result.ok && result.issues).toContainEqual(expect.objectContaining({ path: expectedPath, constraint: expectedConstraint }));
  });

  const metricRows: Row[] = [
    ['personaId is a UUID', 'personaId', 'p1', 'personaId', 'isUuid'],
    ['counters are integers', 'totalInputTokens', 1.5, 'totalInputTokens', 'isInt'],
    ['counters are not negative', 'ratingCount', -1, 'ratingCount', 'min'],
    ['lastInteractionAt is a date', 'lastInteractionAt', 'now', 'lastInteractionAt', 'isDate'],
    ['an unknown metrics field is refused', 'mood', 1, 'mood', 'whitelistValidation'],
  ];
  it.each(metricRows)('%s', (_rule, path, value, expectedPath, expectedConstraint) => {
    const result = validateModel(PersonaMetrics, setPath(metrics(), path, value));
    expect(!result.ok && result.issues).toContainEqual(expect.objectContaining({ path: expectedPath, constraint: expectedConstraint }));
  });
});
