/** A UTF-16 surrogate without its partner. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text both engines store as given: no U+0000 (PostgreSQL refuses it in text) and no lone UTF-16
 * surrogate (each engine rewrites one to U+FFFD differently, so it would not round-trip or move
 * between engines).
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}
