import fc from 'fast-check';
import { fieldsSet, Model, PersonaConfiguration, setFieldPaths, toPlain } from '../../src';
import { restoreFieldPaths } from '../../src/validation/model';
import { fixture } from '../fixtures';
import { personaArb } from '../fixtures/arbitraries';

/** Every model in a tree with the fields set of each, by path. */
function setsByPath(model: Model): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const visit = (m: unknown, path: string) => {
    if (!(m instanceof Model)) return;
    out[path] = [...fieldsSet(m)];
    for (const [key, value] of Object.entries(m)) {
      if (value instanceof Model) visit(value, `${path}.${key}`);
      else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}.${key}[${i}]`));
    }
  };
  visit(model, '');
  return out;
}

/** The same persona with every field given: what a load from the database produces before its paths are restored. */
const loadedCopy = (persona: PersonaConfiguration) => PersonaConfiguration.create(toPlain(persona) as never);

describe('restoreFieldPaths (what a load does with the stored setFieldPaths)', () => {
  it('gives back every model its own fields set, at any depth (property)', () => {
    fc.assert(
      fc.property(personaArb, (plain) => {
        const persona = PersonaConfiguration.create(plain);
        const copy = loadedCopy(persona);
        restoreFieldPaths(copy, setFieldPaths(persona));
        expect(setsByPath(copy)).toEqual(setsByPath(persona));
        expect(setFieldPaths(copy)).toEqual(setFieldPaths(persona));
      }),
      { numRuns: 200 },
    );
  });

  it('with `fresh`, names only the models the paths reach; the others report nothing set', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));
    const copy = loadedCopy(persona);
    restoreFieldPaths(copy, ['name', 'traits', 'traits[1].weight'], { fresh: true });
    expect([...fieldsSet(copy)]).toEqual(['name', 'traits']);
    expect([...fieldsSet(copy.traits[1])]).toEqual(['weight']);
  });

  it('without `fresh`, clears what a model had set before', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));
    restoreFieldPaths(persona, ['name']);
    expect([...fieldsSet(persona)]).toEqual(['name']);
    expect([...fieldsSet(persona.traits[0])]).toEqual([]);
    expect([...fieldsSet(persona.responseStyle)]).toEqual([]);
  });

  it('leaves out keys that are no field (an older schema) and paths it cannot read, without throwing', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));
    const copy = loadedCopy(persona);
    restoreFieldPaths(copy, ['name', 'retiredField', 'traits[0].retired', '', '.x', 'traits[x].name', 'traits[99].name', 'name.deeper', 42 as never, 'responseStyle.tone'], { fresh: true });
    expect([...fieldsSet(copy)]).toEqual(['name', 'traits', 'responseStyle']);
    expect([...fieldsSet(copy.traits[0])]).toEqual([]);
    expect([...fieldsSet(copy.responseStyle)]).toEqual(['tone']);
  });
});
