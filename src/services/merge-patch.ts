/**
 * JSON Merge Patch (RFC 7396): objects merge key by key, arrays and scalars replace, `null`
 * removes. Returns a new value; neither argument is changed.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const key of Object.keys(patch)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === null) delete base[key];
    else if (value !== undefined) {
      // defineProperty, not assignment: a "__proto__" key stays an own key and is refused later.
      Object.defineProperty(base, key, { value: applyMergePatch(base[key], value), enumerable: true, writable: true, configurable: true });
    }
  }
  return base;
}
