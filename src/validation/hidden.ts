/**
 * Bookkeeping kept on an object under a private symbol, as a non-enumerable property: not in
 * `Object.keys`, JSON, spreads or Jest's equality, never validated nor persisted.
 *
 * Why not a WeakMap: a bulk save holds some 300,000 model instances at once, and every WeakMap
 * entry is an ephemeron the garbage collector must revisit on each young-generation pass. A
 * property costs it nothing. Objects that cannot take a property (frozen, sealed) fall back
 * to a WeakMap.
 */
export class HiddenSlot<T> {
  private readonly key: symbol;
  private readonly fallback = new WeakMap<object, T>();

  constructor(description: string) {
    this.key = Symbol(description);
  }

  get(target: object): T | undefined {
    const own = (target as Record<symbol, T | undefined>)[this.key];
    return own !== undefined ? own : this.fallback.get(target);
  }

  has(target: object): boolean {
    return this.get(target) !== undefined;
  }

  set(target: object, value: T): void {
    if (Object.prototype.hasOwnProperty.call(target, this.key)) (target as Record<symbol, T>)[this.key] = value;
    else if (Object.isExtensible(target)) Object.defineProperty(target, this.key, { value, writable: true, configurable: true, enumerable: false });
    else this.fallback.set(target, value);
  }
}
