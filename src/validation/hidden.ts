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
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
    const own = (target as Record<symbol, T | undefined>)[this.key];
    return own !== undefined ? own : this.fallback.get(target);
  }

  has(target: object): boolean {
    return this.get(target) !== undefined;
  }

  set(target: object, value: T): void {
    if (Object.isExtensible(target)) {
      DESCRIPTOR.value = value;
      Object.defineProperty(target, this.key, DESCRIPTOR);
      DESCRIPTOR.value = undefined;
    } else if (Object.prototype.hasOwnProperty.call(target, this.key)) (target as Record<symbol, T>)[this.key] = value;
    else this.fallback.set(target, value);
  }
}

/** One descriptor for every slot write (the value is put in for the call and taken out after). */
const DESCRIPTOR: PropertyDescriptor = { value: undefined, writable: true, configurable: true, enumerable: false };
