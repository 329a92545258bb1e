import { PersonaConfiguration, PersonaTemplate, validateModel } from '../../src';
import { fixture } from '../fixtures';

describe('prototype keys never pollute', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each([
    ['root', '{"__proto__": {"polluted": true}}', '__proto__'],
    ['metadata', '{"metadata": {"__proto__": {"polluted": true}}}', 'metadata.__proto__'],
    ['deep metadata', '{"metadata": {"a": [{"constructor": {"prototype": {"polluted": true}}}]}}', 'metadata.a[0].constructor'],
    ['a trait', '{"traits": [{"__proto__": {"polluted": true}}]}', 'traits[0].__proto__'],
    ['response style', '{"responseStyle": {"prototype": 1}}', 'responseStyle.prototype'],
    ['formatting preferences', '{"responseStyle": {"formattingPreferences": {"__proto__": {"polluted": true}}}}', 'responseStyle.formattingPreferences.__proto__'],
  ])('refuses __proto__/constructor/prototype in %s with its path', (_where, json, path) => {
    const input = { ...fixture('personas/minimal'), ...JSON.parse(json) };
    // Spreading drops an own __proto__ key; rebuild it as JSON.parse would.
    const raw = JSON.parse(JSON.stringify(fixture('personas/minimal')).replace(/}$/, `, ${json.slice(1, -1)}}`));
    for (const candidate of [raw, input]) {
      const result = validateModel(PersonaConfiguration, candidate);
      if (candidate === input && !Object.keys(candidate).some((k) => k === '__proto__')) continue;
      expect(!result.ok && result.issues).toContainEqual(expect.objectContaining({ path, constraint: 'forbiddenKey' }));
    }
  });

  it('refuses them inside a template base configuration', () => {
    const input = JSON.parse('{"name":"T","slug":"t","createdBy":"u","baseConfiguration":{"metadata":{"__proto__":{"polluted":true}}}}');
    const result = validateModel(PersonaTemplate, input);
    expect(!result.ok && result.issues).toContainEqual(expect.objectContaining({ path: 'baseConfiguration.metadata.__proto__', constraint: 'forbiddenKey' }));
  });

  it('refuses values JSON cannot carry and cycles instead of crashing', () => {
    const cyclic: Record<string, unknown> = { ...fixture('personas/minimal'), metadata: {} };
    (cyclic.metadata as Record<string, unknown>).self = cyclic.metadata;
    expect(!validateModel(PersonaConfiguration, cyclic).ok).toBe(true);
    const withFn = { ...fixture('personas/minimal'), metadata: { f: () => 1 } };
    const result = validateModel(PersonaConfiguration, withFn);
    expect(!result.ok && result.issues).toContainEqual(expect.objectContaining({ path: 'metadata.f', constraint: 'isJsonValue' }));
    const map = { ...fixture('personas/minimal'), metadata: new Map() };
    expect(validateModel(PersonaConfiguration, map).ok).toBe(false);
  });
});
