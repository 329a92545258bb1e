import fc from 'fast-check';
import { exportPersona, importPersona, PersonaConfiguration, PersonaValidationError } from '../../src';
import { createModel } from '../../src/validation/model';
import { ROOT_COPIES } from '../../src/interop/card';
import { storedRecordIssues } from '../../src/interop/record';

const forged = (copies: unknown[]) => ({ format: 'card-v2', remainder: { spec: 'chara_card_v2', spec_version: '2.0', data: {} }, fields: {}, copies });

describe('interchange records as a persona stores them', () => {
  it('refuses at write time a record whose copies name no root copy of a card (__proto__ too), at interop.copies[i]', () => {
    let error: unknown;
    try {
      createModel(PersonaConfiguration, { name: 'forge', slug: 'fc1', createdBy: 'u1', interop: forged(['name', '__proto__', 7]) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PersonaValidationError);
    expect((error as PersonaValidationError).issues.map((i) => [i.path, i.constraint])).toEqual([
      ['interop.copies[1]', 'interopRecord'],
      ['interop.copies[2]', 'interopRecord'],
    ]);
  });

  it('takes the records an import writes, and leaves records of formats it does not know to their owner', async () => {
    const { persona } = await importPersona({ spec: 'chara_card_v2', spec_version: '2.0', name: 'Ann', description: 'd', data: { name: 'Ann', description: 'd', personality: '', scenario: '', first_mes: '', mes_example: '' } });
    expect(storedRecordIssues(persona.interop)).toEqual([]);
    expect(storedRecordIssues({ format: 'my-own', copies: ['__proto__'] })).toEqual([]);
  });

  it('property: an export with any copies in a record changed by hand gives a document or a typed error, never a TypeError', async () => {
    const persona = createModel(PersonaConfiguration, { name: 'forge', slug: 'fc1', createdBy: 'u1' });
    const keys = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ...Object.keys(ROOT_COPIES)), fc.string({ maxLength: 12 }));
    await fc.assert(
      fc.asyncProperty(fc.array(keys, { maxLength: 6 }), async (copies) => {
        // Changed after it was built: the export is the last line of defence.
        persona.interop = forged(copies);
        const outcome = await exportPersona(persona, { format: 'card-v2' }).then(
          () => 'written',
          (e: unknown) => (e instanceof PersonaValidationError ? 'refused' : e),
        );
        const valid = copies.every((k) => Object.prototype.hasOwnProperty.call(ROOT_COPIES, k));
        expect(outcome).toBe(valid ? 'written' : 'refused');
      }),
      { numRuns: 100 },
    );
  });
});
