import fc from 'fast-check';
import { applyMergePatch, issueProperty, issuesToErrorSchema, mergePatch } from '../../console/src/forms/issues';
import { dereference, simplifySchema, withoutNulls } from '../../console/src/forms/simplify';
import { validator } from '../../console/src/forms/validator';
import { personaJsonSchema } from '../../src/interop/json-schema';

type Json = Record<string, unknown>;

// @rjsf/utils merges `allOf` schemas with @x0k/json-schema-merge, an ES module that Jest (CommonJS)
// cannot load. Our schema has no allOf, and these tests use no merging: stand-ins keep it unloaded.
jest.mock('@x0k/json-schema-merge', () => ({
  createComparator: () => ({ compareSchemaDefinitions: () => 0, compareSchemaValues: () => 0 }),
  createMerger: () => ({ mergeArrayOfSchemaDefinitions: () => ({}) }),
  createShallowAllOfMerge: () => () => ({}),
}));
jest.mock('@x0k/json-schema-merge/lib/array', () => ({ createDeduplicator: () => (values: unknown) => values, createIntersector: () => (values: unknown) => values }));

// JSON documents without nulls (the form's data never holds null: withoutNulls removes them).
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.array(tie('value'), { maxLength: 3 }), tie('object')),
  object: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }).filter((k) => k !== '__proto__'), tie('value'), { maxKeys: 4 }),
})).object as fc.Arbitrary<Json>;

describe('the console edit form (pure parts)', () => {
  it('sends a merge patch that turns the version read into the edited document', () => {
    fc.assert(
      fc.property(json, json, (before, after) => {
        expect(applyMergePatch(before, mergePatch(before, after))).toEqual(after);
      }),
    );
  });

  it('applies a merge patch as RFC 7396 does (its examples)', () => {
    const cases: [unknown, unknown, unknown][] = [
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
    ];
    for (const [target, patch, result] of cases) expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('puts my changes on top of theirs without losing their nested fields', () => {
    const theirs = { name: 'Ada', memoryConfig: { maxContextTokens: 8192, summarizeAtTokens: 6144 } };
    const mine = mergePatch({ name: 'Ada', memoryConfig: { maxContextTokens: 8192, summarizeAtTokens: 6144 } }, { name: 'Ada', memoryConfig: { maxContextTokens: 8192, summarizeAtTokens: 4000 } });
    expect(applyMergePatch({ ...theirs, name: 'Ada L.' }, mine)).toEqual({ name: 'Ada L.', memoryConfig: { maxContextTokens: 8192, summarizeAtTokens: 4000 } });
  });

  it('sends nothing when nothing changed, and null for a removed optional value', () => {
    expect(mergePatch({ a: 1, b: { c: [1] } }, { a: 1, b: { c: [1] } })).toEqual({});
    expect(mergePatch({ instructions: 'x', maxTokens: null }, {})).toEqual({ instructions: null });
  });

  it("reads the server's issue paths as the form's fields", () => {
    expect(issueProperty('traits[2].value')).toBe('.traits.2.value');
    expect(issueProperty('memoryConfig.summarizeAtTokens')).toBe('.memoryConfig.summarizeAtTokens');
    expect(issueProperty('traits["a.b"]')).toBe('.traits.a.b');
    expect(issuesToErrorSchema([{ path: 'traits[0].value', constraint: 'max', message: 'too high' }])).toEqual({ traits: { 0: { value: { __errors: ['too high'] } } } });
  });

  it('shows the persona schema without refs and optional fields as plain fields, accepting what the server sends', () => {
    const schema = simplifySchema(dereference(personaJsonSchema())) as Json;
    expect(JSON.stringify(schema)).not.toContain('$ref');
    const props = schema.properties as Record<string, Json>;
    expect(props.instructions).toMatchObject({ type: 'string', title: 'Instructions', maxLength: 100000 });
    expect((props.voiceConfig.anyOf as Json[]).map((o) => o.title)).toEqual(['Not set', 'Set']);
    const persona = withoutNulls({ name: 'Ada', slug: 'ada', createdBy: 'alice', instructions: null, traits: [{ name: 'patient', category: 'personality', value: 80 }] });
    expect(validator.validateFormData(persona, schema as never).errors).toEqual([]);
  });

  it('validates in the browser without code generation, with each error at its property', () => {
    const schema = simplifySchema(dereference(personaJsonSchema())) as Json;
    const result = validator.validateFormData({ name: 'Ada', slug: 'Not A Slug', createdBy: 'alice', temperature: 7 }, schema as never);
    expect(result.errors.map((e) => e.property).sort()).toEqual(['.slug', '.temperature']);
    expect(result.errorSchema).toMatchObject({ slug: { __errors: [expect.any(String)] }, temperature: { __errors: [expect.any(String)] } });
  });
});
