import { IsInt, IsOptional } from 'class-validator';
import { fieldsSet, Model, PersonaTrait, setFieldPaths, toPlain } from '../../src';
import { createModel, restoreFieldPaths } from '../../src/validation/model';

/** A model of 40 optional integer fields `f0`…`f39`: more than a bit mask holds. */
class WideModel extends Model {}
const WIDE_FIELDS = Array.from({ length: 40 }, (_, i) => `f${i}`);
for (const field of WIDE_FIELDS) {
  IsInt()(WideModel.prototype, field);
  IsOptional()(WideModel.prototype, field);
}

const trait = () => PersonaTrait.create({ name: 'curious', category: 'personality' as never, value: 80 });

describe('fields set', () => {
  it('is kept where no key listing, JSON, spread or equality sees it', () => {
    const given = trait();
    const copy = Object.assign(new PersonaTrait(), given);
    expect([...fieldsSet(given)]).toEqual(['name', 'category', 'value']);
    expect([...fieldsSet(copy)]).toEqual([]);
    expect(copy).toEqual(given);
    expect(Object.getOwnPropertySymbols(given)).toEqual([]);
    expect(Object.keys({ ...given })).toEqual(Object.keys(given));
    expect(JSON.stringify(given)).toBe(JSON.stringify(toPlain(given)));
  });

  it('is kept for a model made without its constructor, and for a frozen one', () => {
    const bare = Object.assign(Object.create(PersonaTrait.prototype) as PersonaTrait, { name: 'calm', weight: 2 });
    restoreFieldPaths(bare, ['weight', 'name']);
    expect([...fieldsSet(bare)]).toEqual(['name', 'weight']);
    expect(setFieldPaths(bare)).toEqual(['name', 'weight']);
    expect(toPlain(bare, { excludeUnset: true })).toEqual({ name: 'calm', weight: 2 });

    const frozen = Object.freeze(trait());
    restoreFieldPaths(frozen, ['value']);
    expect([...fieldsSet(frozen)]).toEqual(['value']);
  });

  it('reports the same for a class of more fields than a mask holds: schema order, whatever the input order', () => {
    const wide = createModel(WideModel, { f39: 1, f0: 2, f31: 3, f7: null });
    expect([...fieldsSet(wide)]).toEqual(['f0', 'f31', 'f39']);
    expect(setFieldPaths(wide)).toEqual(['f0', 'f31', 'f39']);
    expect(toPlain(wide, { excludeUnset: true })).toEqual({ f0: 2, f31: 3, f39: 1 });

    const loaded = createModel(WideModel, {});
    restoreFieldPaths(loaded, ['f39', 'f31', 'retired', 'f0']);
    expect([...fieldsSet(loaded)]).toEqual(['f0', 'f31', 'f39']);
  });
});
