import fc from 'fast-check';
import { applyMergePatch, fromJSON, PersonaConfiguration, PersonaError, PersonaTemplate, PersonaValidationError, toPlain, validateModel } from '../../src';
import { MAX_INPUT_DEPTH } from '../../src/validation/model';
import { findJsonProblem, isJsonValue } from '../../src/validation/constraints';

const HOSTILE = 20_000;
const base = { name: 'Deep', slug: 'deep', createdBy: 'tester' };

/** `levels` objects (or lists) nested in one another, built without recursion. */
function nested(levels: number, kind: 'object' | 'array', leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

function nestedText(levels: number, kind: 'object' | 'array'): string {
  return kind === 'object' ? `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}` : `${'['.repeat(levels)}1${']'.repeat(levels)}`;
}

/** The issues of a PersonaValidationError thrown by `fn` (fails when anything else is thrown, or nothing). */
function issuesOf(fn: () => unknown): { path: string; constraint: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof PersonaValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a PersonaValidationError');
}

const depthIssue = (prefix: string) => expect.objectContaining({ constraint: 'maxDepth', path: expect.stringMatching(new RegExp(`^${prefix.replace(/[.[\]]/g, '\\$&')}`)) });

describe('deeply nested input is refused with a path, never with a stack overflow', () => {
  describe.each(['object', 'array'] as const)('%s nesting, 20,000 levels', (kind) => {
    const deep = nested(HOSTILE, kind);
    const step = kind === 'object' ? '.a' : '[0]';

    it('PersonaConfiguration.create refuses it in metadata, naming the first level too deep', () => {
      const issues = issuesOf(() => PersonaConfiguration.create({ ...base, metadata: { x: deep } } as never));
      expect(issues).toEqual([depthIssue('metadata.x')]);
      // metadata is level 1, x level 2: the first object refused is the one 65 levels below the root.
      expect(issues[0].path).toBe(`metadata.x${step.repeat(MAX_INPUT_DEPTH + 1 - 2)}`);
      expect(issues[0].message).toMatch(/nested deeper than 64 levels/);
    });

    it('validateModel reports it without throwing', () => {
      const result = validateModel(PersonaConfiguration, { ...base, metadata: { x: deep } });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.issues).toEqual([depthIssue('metadata.x')]);
    });

    it('fromJSON refuses it from text', () => {
      const text = `{"name":"Deep","slug":"deep","createdBy":"t","metadata":{"x":${nestedText(HOSTILE, kind)}}}`;
      expect(issuesOf(() => fromJSON(PersonaConfiguration, text))).toEqual([depthIssue('metadata.x')]);
    });

    it('refuses it in every free JSON field: providerOptions, formattingPreferences, baseConfiguration', () => {
      expect(issuesOf(() => PersonaConfiguration.create({ ...base, voiceConfig: { provider: 'p', voiceId: 'v', providerOptions: { x: deep } } } as never))).toEqual([
        depthIssue('voiceConfig.providerOptions.x'),
      ]);
      // (a flat record holds no objects at all: that rule is broken too)
      expect(issuesOf(() => PersonaConfiguration.create({ ...base, responseStyle: { formattingPreferences: { x: deep } } } as never))).toEqual(
        expect.arrayContaining([depthIssue('responseStyle.formattingPreferences.x')]),
      );
      expect(issuesOf(() => PersonaTemplate.create({ name: 'T', slug: 't', createdBy: 'tester', baseConfiguration: { metadata: { x: deep } } } as never))).toEqual([
        depthIssue('baseConfiguration.metadata.x'),
      ]);
    });

    it('applyMergePatch refuses a patch that deep, and stays iterative for a deep target', () => {
      if (kind === 'object') {
        expect(issuesOf(() => applyMergePatch({}, { metadata: deep }))).toEqual([depthIssue('metadata.a')]);
      } else {
        // Lists replace whole: nothing to merge, the value is handed on for validation to refuse.
        expect((applyMergePatch({}, { metadata: deep }) as { metadata: unknown }).metadata).toBe(deep);
      }
      expect(applyMergePatch({ metadata: deep }, { name: 'x' })).toEqual({ metadata: deep, name: 'x' });
    });

    it('toPlain and create refuse an instance changed by hand to nest that deep', () => {
      const persona = PersonaConfiguration.create({ ...base, metadata: {} });
      persona.metadata = { x: deep } as never;
      expect(issuesOf(() => toPlain(persona))).toEqual([depthIssue('metadata.x')]);
      expect(issuesOf(() => JSON.stringify(persona))).toEqual([depthIssue('metadata.x')]);
      expect(issuesOf(() => PersonaConfiguration.create(persona))).toEqual([depthIssue('metadata.x')]);
    });
  });

  it('accepts 64 levels below the root and refuses 65, the same in every path', () => {
    // metadata is the first of 63 nested objects, {leaf} the 64th below the root: accepted; one more: refused.
    const ok = { ...base, metadata: nested(63, 'object', { leaf: 1 }) as Record<string, unknown> };
    expect(PersonaConfiguration.create(ok).metadata).toEqual(ok.metadata);
    const tooDeep = { ...base, metadata: nested(64, 'object', { leaf: 1 }) as Record<string, unknown> };
    expect(issuesOf(() => PersonaConfiguration.create(tooDeep))).toEqual([depthIssue('metadata')]);
    expect(applyMergePatch({}, ok)).toEqual(ok);
    expect(issuesOf(() => applyMergePatch({}, tooDeep))).toEqual([depthIssue('metadata')]);
    expect(findJsonProblem(ok, MAX_INPUT_DEPTH)).toBeUndefined();
    expect(findJsonProblem(tooDeep, MAX_INPUT_DEPTH)).toMatchObject({ constraint: 'maxDepth' });
  });

  it('refuses cycles in an instance and in a patch with a typed error', () => {
    const persona = PersonaConfiguration.create({ ...base, metadata: {} });
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    persona.metadata = loop;
    expect(() => toPlain(persona)).toThrow(PersonaValidationError);
    expect(() => PersonaConfiguration.create(persona)).toThrow(PersonaValidationError);
    expect(() => applyMergePatch({}, { metadata: loop })).toThrow(PersonaValidationError);
    expect(findJsonProblem({ metadata: loop }, 64)).toEqual({ path: ['metadata', 'self'], constraint: 'noCycle' });
  });

  it('isJsonValue (IsJsonObject) says false past the limit instead of overflowing', () => {
    expect(isJsonValue(nested(HOSTILE, 'object'))).toBe(false);
    expect(isJsonValue(nested(HOSTILE, 'array'))).toBe(false);
    expect(isJsonValue(nested(10, 'object'))).toBe(true);
  });

  it('never lets a RangeError or TypeError out for any nesting of objects and lists (property)', () => {
    const shape = fc.array(fc.constantFrom<'o' | 'a'>('o', 'a'), { minLength: 1, maxLength: 400 });
    fc.assert(
      fc.property(shape, fc.nat(5_000), (kinds, extra) => {
        let value: unknown = 'leaf';
        for (let i = 0; i < kinds.length + extra; i++) value = kinds[i % kinds.length] === 'o' ? { k: value } : [value];
        for (const run of [
          () => PersonaConfiguration.create({ ...base, metadata: { v: value } } as never),
          () => applyMergePatch({}, { metadata: { v: value } }),
        ]) {
          try {
            run();
          } catch (error) {
            expect(error).toBeInstanceOf(PersonaError);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('applyMergePatch keeps RFC 7396', () => {
  // The examples of RFC 7396, appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j patched with %j is %j', (target, patch, result) => {
    const before = JSON.stringify(target);
    expect(applyMergePatch(target, patch)).toEqual(result);
    expect(JSON.stringify(target)).toBe(before);
  });

  it('keeps "__proto__" an own key, for validation to refuse', () => {
    const merged = applyMergePatch({ a: { b: 1 } }, JSON.parse('{"a":{"__proto__":{"polluted":true}}}')) as Record<string, Record<string, unknown>>;
    expect(Object.prototype.hasOwnProperty.call(merged.a, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(merged.a.b).toBe(1);
  });
});
