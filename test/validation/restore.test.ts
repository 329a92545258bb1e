import fc from 'fast-check';
import { KnowledgeDomain, PersonaConfiguration, PersonaTemplate, toPlain } from '../../src';
import { fieldsSet, setFieldPaths } from '../../src/validation/model';
import { restoreModel, restoreModelGeneric } from '../../src/validation/restore';
import { personaArb } from '../fixtures/arbitraries';
import { fixture } from '../fixtures';

/**
 * Everything observable of a model tree: its plain forms, the fields set of every model in it
 * (as paths), and at every level the class and the own keys in order.
 */
function observed(model: object) {
  const shape = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(shape);
    if (value === null || typeof value !== 'object' || value instanceof Date) return value;
    return { class: value.constructor.name, keys: Object.keys(value).sort(), fields: [...fieldsSet(value)], children: Object.values(value).map(shape) };
  };
  return { full: toPlain(model), given: toPlain(model, { excludeUnset: true }), paths: setFieldPaths(model).sort(), shape: shape(model) };
}

/** What the store writes of a persona: the fields its author set. */
const snapshotOf = (p: object) => JSON.parse(JSON.stringify(toPlain(p, { excludeUnset: true }))) as Record<string, unknown>;

describe('restoring a model from what the store wrote', () => {
  it('gives what build + prepare give, for any valid persona: values, defaults, fields set at every level', () => {
    fc.assert(
      fc.property(personaArb, (input) => {
        const created = PersonaConfiguration.create(input as never);
        const restored = restoreModel(PersonaConfiguration, snapshotOf(created));
        expect(observed(restored)).toEqual(observed(restoreModelGeneric(PersonaConfiguration, snapshotOf(created))));
        expect(observed(restored)).toEqual(observed(created));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the keys the store keeps out of the instance and its fields set', () => {
    const created = PersonaConfiguration.create(fixture('personas/technical-assistant') as never);
    const plain = { ...snapshotOf(created), id: '0190a0a0-0000-7000-8000-000000000001', version: 7, createdAt: '2026-01-01T00:00:00.000Z' };
    const skip = ['id', 'version', 'createdAt', 'updatedAt'];
    const restored = restoreModel(PersonaConfiguration, plain, skip);
    expect(restored.id).toBeUndefined();
    expect(restored.version).toBeUndefined();
    expect(restored.createdAt).toBeUndefined();
    expect(fieldsSet(restored).has('id')).toBe(false);
    expect(observed(restored)).toEqual(observed(restoreModelGeneric(PersonaConfiguration, plain, skip)));
    // The same class without `skip` takes them (a restorer per skip list), frozen lists included.
    expect(restoreModel(PersonaConfiguration, plain).version).toBe(7);
    const frozen = Object.freeze(['version']);
    expect(restoreModel(PersonaConfiguration, plain, frozen).version).toBeUndefined();
    expect(restoreModel(PersonaConfiguration, plain, frozen).id).toBe(plain.id);
    expect(restoreModel(PersonaConfiguration, plain, Object.freeze(['id'])).version).toBe(7);
    expect(restoreModel(PersonaConfiguration, plain).version).toBe(7);
  });

  it('applies a default that depends on what was set (memory: the summary threshold follows the limit)', () => {
    const restored = restoreModel(PersonaConfiguration, { name: 'M', slug: 'm', createdBy: 'u', memoryConfig: { maxContextTokens: 4000 } });
    expect(restored.memoryConfig.summarizeAtTokens).toBe(3000);
    expect([...fieldsSet(restored.memoryConfig)]).toEqual(['maxContextTokens']);
    // A default model made by a field initialiser has an empty fields set and its own defaults.
    expect([...fieldsSet(restored.responseStyle)]).toEqual([]);
    expect(restored.responseStyle.tone).toBe('neutral');
  });

  it('restores every model class, nested lists included, and ignores keys that are no field', () => {
    const template = PersonaTemplate.create({ name: 'T', slug: 't', createdBy: 'u', category: 'support', customizableFields: [{ path: 'responseStyle.tone', type: 'string', required: true }, { path: 'temperature', type: 'number', min: 0 }] } as never);
    const restored = restoreModel(PersonaTemplate, { ...snapshotOf(template), notAField: 1, toJSON: 'x' });
    expect(observed(restored)).toEqual(observed(template));
    expect(Object.keys(restored)).not.toContain('notAField');
    expect(typeof restored.toJSON).toBe('function');
    const domain = restoreModel(KnowledgeDomain, { name: 'd', expertiseLevel: 2, topics: ['a'] });
    expect(domain).toBeInstanceOf(KnowledgeDomain);
    expect([...fieldsSet(domain)]).toEqual(['name', 'expertiseLevel', 'topics']);
  });
});
