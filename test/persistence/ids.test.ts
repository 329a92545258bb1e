import { newId } from '../../src/persistence/ids';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  it('makes RFC 9562 version 7 UUIDs: lowercase, version nibble 7, variant 10xx', () => {
    for (let i = 0; i < 2_000; i++) expect(newId()).toMatch(V7);
  });

  it('carries the current Unix milliseconds in its first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    // A burst of more than 4,096 ids in one millisecond borrows the next one; none happened here.
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
  });

  it('never repeats and sorts in the order made, across many refills of its random pool', () => {
    const ids = Array.from({ length: 100_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('spends its random bits: ids made in the same millisecond differ beyond the counter', () => {
    const ids = Array.from({ length: 1_000 }, () => newId());
    const tails = new Set(ids.map((id) => id.slice(19)));
    expect(tails.size).toBe(ids.length);
  });
});
