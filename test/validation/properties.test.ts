import fc from 'fast-check';
import { fromJSON, PersonaConfiguration, PersonaValidationError, setFieldPaths, toPlain, validateModel } from '../../src';
import { personaArb } from '../fixtures/arbitraries';

describe('validation properties', () => {
  it('any valid persona survives JSON -> fromJSON unchanged (full and excludeUnset forms)', () => {
    fc.assert(
      fc.property(personaArb, (plain) => {
        const persona = PersonaConfiguration.create(plain);
        const json = JSON.stringify(persona);
        const back = fromJSON(PersonaConfiguration, json);
        expect(JSON.stringify(back)).toBe(json);
        const sparse = fromJSON(PersonaConfiguration, JSON.stringify(toPlain(persona, { excludeUnset: true })));
        expect(toPlain(sparse)).toEqual(toPlain(persona));
        expect(setFieldPaths(sparse)).toEqual(setFieldPaths(persona));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary junk (10,000 inputs) is either a valid persona or a PersonaValidationError, never another exception', () => {
    const junk = fc.oneof(
      fc.anything({ maxDepth: 4, withBoxedValues: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withBigInt: true }),
      // Mostly-valid personas with one field replaced by junk reach the deeper rules.
      fc.tuple(personaArb, fc.constantFrom('name', 'traits', 'responseStyle', 'memoryConfig', 'voiceConfig', 'metadata', 'tags', 'createdAt', 'knowledgeDomains', 'behaviorRules', '__proto__', 'constructor'), fc.anything({ maxDepth: 3 }))
        .map(([p, key, value]) => {
          const out: Record<string, unknown> = { ...p };
          Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
          return out;
        }),
      fc.tuple(personaArb, fc.anything({ maxDepth: 2 })).map(([p, v]) => ({ ...p, traits: [v, ...((p.traits as unknown[]) ?? [])] })),
    );
    fc.assert(
      fc.property(junk, (input) => {
        try {
          PersonaConfiguration.create(input as never);
        } catch (error) {
          if (!(error instanceof PersonaValidationError)) throw error;
          expect(error.issues.length).toBeGreaterThan(0);
          for (const issue of error.issues) {
            expect(typeof issue.path).toBe('string');
            expect(typeof issue.constraint).toBe('string');
          }
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('validateModel never throws for junk', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateModel(PersonaConfiguration, value);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
