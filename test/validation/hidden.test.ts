import { fieldsSet, PersonaTrait } from '../../src';
import { HiddenSlot } from '../../src/validation/hidden';

describe('HiddenSlot', () => {
  it('keeps a value on the object where no key listing, JSON, spread or equality sees it', () => {
    const slot = new HiddenSlot<number>('mask');
    const target = { a: 1 };
    slot.set(target, 5);
    expect(slot.get(target)).toBe(5);
    expect(slot.has(target)).toBe(true);
    expect(Object.keys(target)).toEqual(['a']);
    expect(JSON.stringify(target)).toBe('{"a":1}');
    expect({ ...target }).toEqual({ a: 1 });
    expect(slot.get({ ...target })).toBeUndefined();
    expect(target).toEqual({ a: 1 });
  });

  it('overwrites its own value and keeps slots of the same description apart', () => {
    const one = new HiddenSlot<string>('same');
    const two = new HiddenSlot<string>('same');
    const target = {};
    one.set(target, 'first');
    one.set(target, 'second');
    two.set(target, 'other');
    expect(one.get(target)).toBe('second');
    expect(two.get(target)).toBe('other');
  });

  it('falls back to a WeakMap for objects that cannot take a property', () => {
    const slot = new HiddenSlot<string[]>('paths');
    const frozen = Object.freeze({ a: 1 });
    const sealed = Object.seal({ b: 2 });
    slot.set(frozen, ['a']);
    slot.set(sealed, ['b']);
    expect(slot.get(frozen)).toEqual(['a']);
    expect(slot.get(sealed)).toEqual(['b']);
    expect(Object.getOwnPropertySymbols(frozen)).toEqual([]);
  });

  it('reads nothing from values that are no objects (fieldsSet of a non-model is empty)', () => {
    const slot = new HiddenSlot<number>('mask');
    for (const value of [null, undefined, 3, 'text', true]) expect(slot.get(value as never)).toBeUndefined();
    expect([...fieldsSet(null as never)]).toEqual([]);
    expect([...fieldsSet({ name: 'plain' })]).toEqual([]);
  });

  it('holds the fields set of a model without making it a field', () => {
    const trait = PersonaTrait.create({ name: 'warmth', category: 'personality', value: 70 });
    expect([...fieldsSet(trait)]).toEqual(['name', 'category', 'value']);
    expect(Object.keys(trait)).not.toContain('fieldsSet');
    expect(Object.keys({ ...trait }).sort()).toEqual(Object.keys(trait).sort());
    expect(JSON.parse(JSON.stringify(trait))).toEqual({ name: 'warmth', category: 'personality', value: 70, weight: 1 });
  });
});
