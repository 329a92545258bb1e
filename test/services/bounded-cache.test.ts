import { BoundedCache } from '../../src/services/bounded-cache';

describe('BoundedCache', () => {
  it('evicts the least recently used entry first, a read counting as a use', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 3 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // b is now the least recent
    cache.set('d', 4);
    expect(cache.keys()).toEqual(['c', 'a', 'd']);
    expect(cache.get('b')).toBeUndefined();
    cache.set('c', 30); // setting again makes it the most recent too
    cache.set('e', 5);
    expect(cache.keys()).toEqual(['d', 'c', 'e']);
    expect(cache.get('c')).toBe(30);
  });

  it('keeps the total weight within its bound, evicting as many of the least recent as it takes', () => {
    const cache = new BoundedCache<string, string>({ maxEntries: 100, maxWeight: 10, weigh: (key, value) => key.length + value.length });
    cache.set('a', 'xxx'); // 4
    cache.set('b', 'xxx'); // 8
    expect(cache.weight).toBe(8);
    cache.set('c', 'xxxxxxx'); // 16 > 10: a and b go
    expect(cache.keys()).toEqual(['c']);
    expect(cache.weight).toBe(8);
    cache.set('c', 'x'); // replacing an entry replaces its weight
    expect(cache.weight).toBe(2);
  });

  it('never keeps an entry heavier than the whole bound, and forgets the old value under its key', () => {
    const cache = new BoundedCache<string, string>({ maxEntries: 100, maxWeight: 5, weigh: (_, value) => value.length });
    cache.set('small', 'ab');
    cache.set('kept', 'abc');
    cache.set('small', 'abcdef');
    expect(cache.get('small')).toBeUndefined();
    expect(cache.keys()).toEqual(['kept']); // nothing else was evicted for it
    expect(cache.weight).toBe(3);
  });

  it('keeps nothing with a bound of zero entries', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 0 });
    cache.set('a', 1);
    expect(cache.size).toBe(0);
    expect(cache.get('a')).toBeUndefined();
  });

  it('forgets one key or everything', () => {
    const cache = new BoundedCache<object, number>({ maxEntries: 10, weigh: () => 1, maxWeight: 10 });
    const k1 = {};
    const k2 = {};
    cache.set(k1, 1);
    cache.set(k2, 2);
    cache.delete(k1);
    expect([cache.size, cache.weight, cache.get(k2)]).toEqual([1, 1, 2]);
    cache.clear();
    expect([cache.size, cache.weight, cache.get(k2)]).toEqual([0, 0, undefined]);
  });

  it('forgets the entries a predicate picks, keeping the order and weight of the rest', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 10, weigh: (_, v) => v, maxWeight: 100 });
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) cache.set(k, v);
    cache.deleteWhere((key, value) => key === 'a' || value === 3);
    expect([cache.keys(), cache.weight]).toEqual([['b', 'd'], 6]);
  });
});
