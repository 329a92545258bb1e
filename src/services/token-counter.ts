import o200kRanks from 'gpt-tokenizer/cjs/bpeRanks/o200k_base';
import { GptEncoding } from 'gpt-tokenizer/cjs/GptEncoding';
import { BoundedCache } from './bounded-cache';

/** Counts the tokens of a text. The default is gpt-tokenizer's o200k_base (GPT-4o family), counted in segments. */
export type TokenCounter = (text: string) => number;

/**
 * Longest segment the tokenizer is given, in UTF-16 code units; texts up to this length are
 * encoded whole. gpt-tokenizer's byte-pair merge is quadratic in the length of one pre-token
 * piece (a run of one letter, CJK text without spaces, a run of punctuation): 99,000 × "a" took
 * 6.3 s as one piece, and one piece of 100,000 CJK characters overflowed the stack (RangeError).
 * Runs of one CJK character cost 2.6 µs a character in pieces of 512, 1.9 in pieces of 256.
 */
export const TOKEN_SEGMENT_LENGTH = 256;

/** A long line is cut at the first word boundary (a space after a non-space) past this length. */
const SOFT_SEGMENT_LENGTH = TOKEN_SEGMENT_LENGTH / 2;

/** o200k_base, with special-token text (`<|endoftext|>`) counted as ordinary text, never refused. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Our own o200k encoder, without gpt-tokenizer's merge cache: once that cache is full (100,000
 * pieces), its eviction (deleting the first key of a Map full of deleted entries) makes every
 * encode 3–9× slower: 2 million characters of mixed Unicode took 17.6 s with it and 3.4 s
 * without. Repeated text is remembered here, per segment, instead. The module-wide encoder of
 * `gpt-tokenizer/cjs/encoding/o200k_base` is left alone for whoever else uses it.
 */
const encoder = GptEncoding.getEncodingApi('o200k_base', () => o200kRanks);
encoder.setMergeCacheSize(0);

/** `\s` of a JavaScript regex (WhiteSpace and LineTerminator), for one UTF-16 code unit or code point. */
export const isRegExpSpace = (c: number): boolean =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
const isSpace = isRegExpSpace;

/**
 * Calls `each(start, end)` for consecutive segments of `text`, each at most
 * {@link TOKEN_SEGMENT_LENGTH} long, in linear time. Segments end:
 * - at a line start (after `\n`, before a character that is neither whitespace nor `/`), and
 * - in a long line, before the first space that follows a non-space once the segment has
 *   {@link SOFT_SEGMENT_LENGTH} characters;
 * o200k's pre-tokenizer never joins text across either boundary, so there the sum of the
 * segments' counts is exactly the count of the whole. A run of {@link TOKEN_SEGMENT_LENGTH}
 * characters with neither is cut where it reaches that length (never inside a surrogate pair);
 * only there may the sum differ from a whole-text encode, by a token or so per cut.
 * Boundaries depend on the text since the last line start only, so a paragraph is cut the
 * same way alone and inside a prompt (which is what lets its counts be remembered).
 */
export function forEachTokenSegment(text: string, each: (start: number, end: number) => void): void {
  const n = text.length;
  if (n <= TOKEN_SEGMENT_LENGTH) {
    if (n) each(0, n);
    return;
  }
  // Each cut is the nearest of the three kinds. The searches use indexOf (13 ms → under 1 ms for
  // a 3.9-million-character prompt, against a loop over every character) and keep what they
  // found beyond the current segment for the next ones.
  let newline = -1;
  let space = -1;
  let start = 0;
  while (start < n) {
    const window = start + TOKEN_SEGMENT_LENGTH;
    let cut = n;
    if (window < n) {
      cut = window;
      const c = text.charCodeAt(window);
      if (c >= 0xdc00 && c <= 0xdfff && isHighSurrogate(text.charCodeAt(window - 1))) cut = window - 1;
    }
    // A line start: after `\n`, before a character that is neither whitespace nor `/`.
    if (newline < start) newline = indexOrEnd(text, '\n', start);
    while (newline + 1 < cut) {
      const c = text.charCodeAt(newline + 1);
      if (c !== 47 && !isSpace(c)) {
        cut = newline + 1;
        break;
      }
      newline = indexOrEnd(text, '\n', newline + 1);
    }
    // In a long line, a space after a non-space.
    const soft = start + SOFT_SEGMENT_LENGTH;
    if (soft < cut) {
      if (space < soft) space = indexOrEnd(text, ' ', soft);
      while (space < cut) {
        if (!isSpace(text.charCodeAt(space - 1))) {
          cut = space;
          break;
        }
        space = indexOrEnd(text, ' ', space + 1);
      }
    }
    each(start, cut);
    start = cut;
  }
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;

function indexOrEnd(text: string, search: string, from: number): number {
  const i = text.indexOf(search, from);
  return i === -1 ? text.length : i;
}

/** The segments of {@link forEachTokenSegment}, as strings. */
export function tokenSegments(text: string): string[] {
  const out: string[] = [];
  forEachTokenSegment(text, (start, end) => out.push(text.slice(start, end)));
  return out;
}

/**
 * Remembered counts of segments, and of whole texts up to {@link WHOLE_TEXT_MEMO_LENGTH}: at most
 * 16 million characters of keys (32 MiB) and a million entries. A persona renders on every
 * request with a new context, and its texts are counted again each time.
 */
// Pays (npm run bench, medians): the worst persona again 18–26 ms with it, 2.6–8.2 s without; render + fit 0.029 → 0.185 ms.
const counts = new BoundedCache<string, number>({ maxEntries: 1_000_000, maxWeight: 16_000_000, weigh: (key) => key.length });

function countSegment(segment: string): number {
  let n = counts.get(segment);
  if (n === undefined) {
    n = encoder.countTokens(segment, AS_TEXT);
    remember(segment, n);
  }
  return n;
}

function remember(text: string, n: number): void {
  // A slice keeps the whole text it was cut from alive: a key holds a copy of its own characters
  // (short strings are never slices).
  counts.set(text.length > 12 ? (text + ' ').slice(0, -1) : text, n);
}

/**
 * o200k_base token count, counted segment by segment ({@link forEachTokenSegment}) so that the
 * cost is linear in the length of the text, whatever it holds; each segment's count is
 * remembered. Equal to a whole-text encode except where a run of more than
 * {@link TOKEN_SEGMENT_LENGTH} characters without a space or a line break had to be cut.
 */
export const o200kTokenCounter: TokenCounter = (text) => {
  if (text.length <= TOKEN_SEGMENT_LENGTH) return text.length ? countSegment(text) : 0;
  // A persona's long texts (instructions, knowledge) are counted again on every render: their
  // total is remembered too, and a string caches its own hash, so that costs no rescan.
  // Pays (npm run bench, medians): the worst persona again, runs 16.7 → 18.4 ms and unicode 15.5 → 17.8 ms without it.
  const whole = text.length <= WHOLE_TEXT_MEMO_LENGTH;
  if (whole) {
    const n = counts.get(text);
    if (n !== undefined) return n;
  }
  let total = 0;
  forEachTokenSegment(text, (start, end) => {
    total += countSegment(text.slice(start, end));
  });
  if (whole) remember(text, total);
  return total;
};

/** Longest text whose whole count is remembered besides its segments' (a persona's instructions fit). */
const WHOLE_TEXT_MEMO_LENGTH = 131_072;

/** Forgets every remembered segment count (for benchmarks of a cold render). */
export function clearTokenCountMemo(): void {
  counts.clear();
}
