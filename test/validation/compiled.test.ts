import fc from 'fast-check';
import { PersonaConfiguration, PersonaMetrics, PersonaTemplate, validateModel } from '../../src';
import { validateWithClassValidator } from '../../src/validation/model';
import { domainArb, personaArb, ruleArb, traitArb } from '../fixtures/arbitraries';

type Cls = typeof PersonaConfiguration | typeof PersonaTemplate | typeof PersonaMetrics;

/**
 * Keys naming a method of the model or of Object.prototype (`toJSON`, `valueOf`, `applyDefaults`):
 * class-transformer drops them silently, so class-validator never sees them; the compiled plans
 * refuse them as unknown fields in a model and keep them in free JSON. That is the one intended
 * difference, pinned by its own test below.
 */
const METHOD_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'toJSON', 'applyDefaults', 'extraIssues', 'normaliseAfterLoad', 'check']);
function methodKeyPaths(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  const join = (k: string | number) => (typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k);
  if (Array.isArray(value)) return value.flatMap((v, i) => methodKeyPaths(v, join(i)));
  return Object.keys(value).flatMap((k) => (METHOD_KEYS.has(k) ? [join(k)] : methodKeyPaths((value as Record<string, unknown>)[k], join(k))));
}

/** What the compiled plans say, and what class-validator says, as comparable lists. */
function both(cls: Cls, input: unknown) {
  const fast = validateModel(cls as typeof PersonaConfiguration, input);
  const oracle = validateWithClassValidator(cls as typeof PersonaConfiguration, input);
  const key = (issues: { path: string; constraint: string }[]) => issues.map((i) => `${i.path} ${i.constraint}`).sort();
  return { fast: fast.ok ? [] : key(fast.issues), oracle: key(oracle.issues), fastOk: fast.ok, oracleOk: oracle.issues.length === 0, fastValue: fast.ok ? fast.value : undefined, oracleValue: oracle.instance };
}

const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, '', 0, -1, 101, 1.5, true, [], {}, [{}], [1], [[1]], 'x'.repeat(300), { name: 1 }),
);

const field = fc.constantFrom(
  'name', 'slug', 'description', 'instructions', 'status', 'interactionMode', 'traits', 'responseStyle', 'knowledgeDomains', 'behaviorRules',
  'memoryConfig', 'voiceConfig', 'temperature', 'maxTokens', 'modelPreferences', 'templateId', 'parentId', 'isPublic', 'createdBy', 'version',
  'tags', 'metadata', 'createdAt', 'updatedAt', 'unknownField',
);

/** Valid personas, and valid personas with one field (top level or nested) replaced by junk. */
const inputs = fc.oneof(
  { weight: 2, arbitrary: personaArb },
  { weight: 4, arbitrary: fc.tuple(personaArb, field, junk).map(([p, k, v]) => ({ ...p, [k]: v })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(personaArb, fc.constantFrom('traits', 'knowledgeDomains', 'behaviorRules'), fc.oneof(traitArb, domainArb, ruleArb), fc.string({ maxLength: 12 }), junk)
      .map(([p, list, entry, key, value]) => ({ ...p, [list]: [{ ...entry, [key || 'name']: value }] })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(personaArb, fc.constantFrom('responseStyle', 'memoryConfig', 'voiceConfig'), fc.string({ maxLength: 20 }), junk)
      .map(([p, obj, key, value]) => ({ ...p, [obj]: { ...((p as unknown as Record<string, object>)[obj] ?? {}), [key || 'tone']: value } })),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

describe('compiled validation plans against class-validator (the oracle)', () => {
  it('accept exactly the same personas and report the same paths and rules (10,000 generated inputs)', () => {
    let valid = 0;
    fc.assert(
      fc.property(inputs, (input) => {
        const r = both(PersonaConfiguration, input);
        // Where class-transformer drops such keys unseen (in a model: refused here; in free JSON
        // such as metadata: kept here), the two cannot agree by construction.
        if (methodKeyPaths(input).length) return;
        expect(r.fast).toEqual(r.oracle);
        expect(r.fastOk).toBe(r.oracleOk);
        if (r.fastOk) {
          valid++;
          expect(JSON.stringify(r.fastValue)).toBe(JSON.stringify(r.oracleValue));
        }
      }),
      { numRuns: 10_000 },
    );
    expect(valid).toBeGreaterThan(1000); // both halves of the space were exercised
  });

  it('refuse a method name given as a field (class-transformer would drop it unseen) and keep it in free JSON', () => {
    for (const key of ['toJSON', 'valueOf', 'applyDefaults', 'hasOwnProperty']) {
      const result = validateModel(PersonaConfiguration, { name: 'n', slug: 's', createdBy: 'u', [key]: 1 });
      expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: key, constraint: 'whitelistValidation' })]);
    }
    const kept = validateModel(PersonaConfiguration, { name: 'n', slug: 's', createdBy: 'u', metadata: { valueOf: 'kept', toString: 1 } });
    expect(kept.ok && kept.value.metadata).toEqual({ valueOf: 'kept', toString: 1 });
  });

  it('agree on templates and metrics too', () => {
    const template = fc.record({
      name: fc.oneof(fc.string({ minLength: 1, maxLength: 100 }), junk),
      slug: fc.oneof(fc.constant('t'), junk),
      createdBy: fc.constant('u'),
      baseConfiguration: fc.oneof(fc.constant({ temperature: 0.5 }), junk),
      customizableFields: fc.oneof(fc.constant([{ path: 'temperature', type: 'number', max: 1 }]), fc.array(fc.record({ path: fc.oneof(fc.constant('temperature'), junk), type: fc.oneof(fc.constant('number'), junk) })), junk),
    });
    const metrics = fc.record({
      personaId: fc.oneof(fc.uuid(), junk),
      totalInteractions: fc.oneof(fc.nat(10), junk),
      successfulInteractions: fc.oneof(fc.nat(10), junk),
      lastInteractionAt: fc.oneof(fc.constant('2026-01-01T00:00:00Z'), junk),
    });
    fc.assert(
      fc.property(template, (input) => {
        const r = both(PersonaTemplate, input);
        if (methodKeyPaths(input).length) return;
        expect(r.fast).toEqual(r.oracle);
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(metrics, (input) => {
        const r = both(PersonaMetrics, input);
        if (methodKeyPaths(input).length) return;
        expect(r.fast).toEqual(r.oracle);
      }),
      { numRuns: 1500 },
    );
  });
});
