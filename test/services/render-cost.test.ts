import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import {
  BudgetExceededError,
  isDomainActive,
  KnowledgeDomain,
  MAX_CONTEXT_LENGTH,
  MAX_TOKEN_BUDGET,
  mentions,
  o200kTokenCounter,
  PersonaConfiguration,
  PersonaValidationError,
  renderSystemPrompt,
  TOKEN_SEGMENT_LENGTH,
} from '../../src';
import { activeDomains, foldCodePoint, PhraseMatcher } from '../../src/services/keyword-matcher';
import { clearTokenCountMemo, tokenSegments } from '../../src/services/token-counter';
import { fixture } from '../fixtures';
import { worstContext, worstPersona, worstText, WorstTexture } from '../fixtures/worst-persona';

/** CPU milliseconds of one call (not wall time: the suite shares two cores with other work). */
function cpuMs<T>(fn: () => T): { ms: number; result: T } {
  const start = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, result };
}

const figures: string[] = [];
afterAll(() => {
  if (figures.length) console.log(`render cost (CPU ms): ${figures.join('; ')}`);
});

/** A whole-text o200k count, the way gpt-tokenizer counts without segments. */
const wholeCount = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

/** Asserts a render option is refused with this path and rule. */
function refused(fn: () => unknown, path: string, constraint: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PersonaValidationError);
  expect((error as PersonaValidationError).issues).toEqual([expect.objectContaining({ path, constraint })]);
}

describe('render cost (DESIGN: bounded work per request)', () => {
  describe('the inputs of issue #13, item 2', () => {
    it('renders a persona with a 99,000-character run of one letter in well under a second (was 6.3 s)', () => {
      clearTokenCountMemo();
      const persona = PersonaConfiguration.create({ ...fixture('personas/minimal'), instructions: 'y'.repeat(99_000) });
      const { ms, result } = cpuMs(() => renderSystemPrompt(persona));
      figures.push(`99,000-letter run cold ${ms.toFixed(0)}`);
      expect(ms).toBeLessThan(1000);
      expect(result.tokens).toBe(o200kTokenCounter(result.text));
    });

    it('matches 50 domains × 100 long phrases against the longest context in one pass (was 2.6 s)', () => {
      const persona = PersonaConfiguration.create(worstPersona('runs'));
      const context = worstContext('runs', MAX_CONTEXT_LENGTH);
      const { ms, result } = cpuMs(() => activeDomains(persona.knowledgeDomains, context));
      const again = cpuMs(() => activeDomains(persona.knowledgeDomains, worstContext('runs', MAX_CONTEXT_LENGTH, { variant: 3 })));
      figures.push(`5,000-phrase matcher compile + match ${ms.toFixed(0)}, match ${again.ms.toFixed(1)}`);
      // Measured 700–1,078 ms (the upper figure with another process on the other core): half
      // the 2.6 s it was, with room for that spread.
      expect(ms).toBeLessThan(2000);
      expect(again.ms).toBeLessThan(1000); // measured 8.5 ms; generous so a busy CI machine does not flake
      expect(result.size).toBe(0); // near misses only
    });
  });

  describe('personas at every maximum, with the longest context', () => {
    // 'prose' and 'random-unicode' personas at every maximum are measured by the bench (group
    // "worst"): their first render has to tokenize 3.9 million characters nobody has seen.
    const textures: WorstTexture[] = ['runs', 'unicode'];
    const personas = new Map<WorstTexture, PersonaConfiguration>();
    const persona = (texture: WorstTexture) => {
      let p = personas.get(texture);
      if (!p) personas.set(texture, (p = PersonaConfiguration.create(worstPersona(texture))));
      return p;
    };

    // Under Jest the tokenizer's non-ASCII path runs several times slower than in plain Node
    // (100,000 characters of random Unicode: about 1,100 ms against 130–180 ms), so the first
    // render of the 'unicode' persona, 0.44 s in Node (bench group "worst"), gets a wider bound here.
    // The cold renders measured 344–1,144 ms for 'runs' across the CI runs of one day (the same
    // code; CPU time moves with the heap and the JIT), and 3,072 ms on a day this machine ran
    // everything 2–3× slower with another suite on the other core. A quadratic step on these
    // 3.9 million characters would take hours: the bounds catch that, not the spread.
    const coldBound: Record<WorstTexture, number> = { runs: 6000, unicode: 8000, prose: 6000, 'random-unicode': 6000 };

    it.each(textures)('renders the maximal %s persona from cold, then again with a new longest context each time in well under a second', (texture) => {
      const p = persona(texture);
      clearTokenCountMemo();
      const cold = cpuMs(() => renderSystemPrompt(p, { context: worstContext(texture, MAX_CONTEXT_LENGTH, { activate: true }) }));
      expect(cold.result.activeDomains).toHaveLength(50);
      expect(cold.result.text.length).toBeGreaterThan(3_800_000);
      const times = [cold.ms];
      for (let variant = 1; variant <= 3; variant++) {
        const context = worstContext(texture, MAX_CONTEXT_LENGTH, { activate: true, variant });
        expect(context.length).toBe(MAX_CONTEXT_LENGTH);
        const { ms, result } = cpuMs(() => renderSystemPrompt(p, { context }));
        times.push(ms);
        expect(result.activeDomains).toHaveLength(50);
      }
      const nearMisses = cpuMs(() => renderSystemPrompt(p, { context: worstContext(texture, MAX_CONTEXT_LENGTH, { variant: 7 }) }));
      expect(nearMisses.result.activeDomains).toEqual([]);
      times.push(nearMisses.ms);
      figures.push(`maximal ${texture} persona (${cold.result.text.length.toLocaleString('en-US')} chars) cold ${times[0].toFixed(0)}, again ${times.slice(1).map((t) => t.toFixed(0)).join('/')}`);
      expect(times[0]).toBeLessThan(coldBound[texture]);
      for (const t of times.slice(1)) expect(t).toBeLessThan(1000);
    });

    it('keeps the budget on the maximal persona, counted by the same counter as its text', () => {
      const p = persona('runs');
      const { ms, result } = cpuMs(() => renderSystemPrompt(p, { context: worstContext('runs', MAX_CONTEXT_LENGTH, { activate: true }), tokenBudget: 1_000_000 }));
      figures.push(`maximal runs persona fitted to 1,000,000 tokens ${ms.toFixed(0)}`);
      // 1,159–1,444 ms on a day this machine ran everything 2–3× slower (hundreds of ms otherwise):
      // the bound catches a blow-up, not that spread.
      expect(ms).toBeLessThan(6000);
      expect(result.tokens).toBeLessThanOrEqual(1_000_000);
      expect(result.tokens).toBe(o200kTokenCounter(result.text));
      expect(result.dropped.some((d) => d.reason.startsWith('budget'))).toBe(true);
      expect(() => renderSystemPrompt(p, { tokenBudget: 10_000 })).toThrow(BudgetExceededError);
    });

    it('counts never-seen text in time linear in its length, whatever the script', () => {
      // Cold counting costs what the tokenizer costs (about 1–3 µs a character of random
      // Unicode outside Jest, several times that inside): four times the text must cost about
      // four times as much, never sixteen.
      for (const texture of ['random-unicode', 'prose'] as WorstTexture[]) {
        clearTokenCountMemo();
        const small = worstText(texture, 10_000, 901);
        const large = worstText(texture, 40_000, 902);
        o200kTokenCounter(worstText(texture, 2_000, 903)); // warm-up
        const a = cpuMs(() => o200kTokenCounter(small));
        const b = cpuMs(() => o200kTokenCounter(large));
        figures.push(`cold count ${texture} 10k ${a.ms.toFixed(0)} / 40k ${b.ms.toFixed(0)}`);
        expect(b.ms).toBeLessThan(Math.max(a.ms, 5) * 8);
        expect(b.ms).toBeLessThan(3000); // 931 ms for 40,000 random characters on a slow day; the ratio above is the real check
      }
    });
  });

  describe('limits of the render options', () => {
    const persona = PersonaConfiguration.create(fixture('personas/technical-assistant'));

    it(`accepts a context of ${MAX_CONTEXT_LENGTH.toLocaleString('en-US')} characters and refuses a longer one at "context"`, () => {
      expect(MAX_CONTEXT_LENGTH).toBe(32_000);
      expect(() => renderSystemPrompt(persona, { context: 'k'.repeat(MAX_CONTEXT_LENGTH) })).not.toThrow();
      refused(() => renderSystemPrompt(persona, { context: 'k'.repeat(MAX_CONTEXT_LENGTH + 1) }), 'context', 'maxLength');
      refused(() => renderSystemPrompt(persona, { context: 42 as unknown as string }), 'context', 'isString');
    });

    it(`accepts a token budget of 1–${MAX_TOKEN_BUDGET.toLocaleString('en-US')} and refuses anything else at "tokenBudget"`, () => {
      expect(renderSystemPrompt(persona, { tokenBudget: MAX_TOKEN_BUDGET }).tokens).toBeGreaterThan(0);
      refused(() => renderSystemPrompt(persona, { tokenBudget: 0 }), 'tokenBudget', 'min');
      refused(() => renderSystemPrompt(persona, { tokenBudget: -5 }), 'tokenBudget', 'min');
      refused(() => renderSystemPrompt(persona, { tokenBudget: MAX_TOKEN_BUDGET + 1 }), 'tokenBudget', 'max');
      for (const bad of [1.5, Number.NaN, Infinity, 2 ** 60, '300' as unknown as number]) refused(() => renderSystemPrompt(persona, { tokenBudget: bad }), 'tokenBudget', 'isInt');
    });
  });

  describe('token counting in segments', () => {
    const separators = [' ', '  ', '\n', '\n\n', ' \n', '\t', '.\n', '/\n', '\n/', ': ', ', ', '\r\n', '\u3000'];
    const wordArb = fc.oneof(
      fc.stringMatching(/^[A-Za-z]{1,12}$/),
      fc.stringMatching(/^[0-9]{1,6}$/),
      fc.constantFrom("it's", "don't", 'C++', 'node.js', '<|endoftext|>', 'naïve', 'Привет', '東京都', '🙂🙂', 'e\u0301', '---', '...', '//'),
    );
    const textArb = fc.array(fc.tuple(wordArb, fc.constantFrom(...separators)), { minLength: 100, maxLength: 400 }).map((parts) => parts.map(([w, s]) => w + s).join(''));

    it('gives exactly the whole-text count when no run is long enough to be cut (property)', () => {
      fc.assert(
        fc.property(textArb, (text) => {
          expect(o200kTokenCounter(text)).toBe(wholeCount(text));
        }),
        { numRuns: 150 },
      );
    });

    /** The cut rule, one character at a time: what forEachTokenSegment finds with indexOf. */
    function referenceSegments(text: string): string[] {
      const isSpace = (c: number) => /\s/.test(String.fromCharCode(c));
      if (text.length <= TOKEN_SEGMENT_LENGTH) return text ? [text] : [];
      const out: string[] = [];
      let start = 0;
      for (let i = 1; i < text.length; i++) {
        const c = text.charCodeAt(i);
        const prev = text.charCodeAt(i - 1);
        if ((prev === 10 && c !== 47 && !isSpace(c)) || (i - start >= TOKEN_SEGMENT_LENGTH / 2 && c === 32 && !isSpace(prev))) {
          out.push(text.slice(start, i));
          start = i;
        } else if (i - start >= TOKEN_SEGMENT_LENGTH) {
          const cut = c >= 0xdc00 && c <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff ? i - 1 : i;
          out.push(text.slice(start, cut));
          start = cut;
        }
      }
      out.push(text.slice(start));
      return out;
    }

    it(`cuts where the rule says: at line starts, at a space past ${TOKEN_SEGMENT_LENGTH / 2} characters, else at ${TOKEN_SEGMENT_LENGTH} (property)`, () => {
      const pieces = fc.constantFrom('\n', '\n\n', ' ', '  ', '\t', '/', 'a', 'bcd', '.', '😀', '\ud83d', '中', '\u3000', ' \n');
      fc.assert(
        fc.property(fc.array(fc.tuple(pieces, fc.nat(TOKEN_SEGMENT_LENGTH + 50)), { maxLength: 60 }), (parts) => {
          const text = parts.map(([p, n]) => (n > TOKEN_SEGMENT_LENGTH / 2 ? p.repeat(n - TOKEN_SEGMENT_LENGTH / 2) : p)).join('');
          expect(tokenSegments(text)).toEqual(referenceSegments(text));
        }),
        { numRuns: 500 },
      );
    });

    it('cuts into segments of at most TOKEN_SEGMENT_LENGTH that put the text back together, never inside a surrogate pair', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', minLength: 0, maxLength: 3000 }), fc.string({ unit: 'grapheme', minLength: 0, maxLength: 3000 }), (a, b) => {
          for (const text of [a, b, a + b, '😀'.repeat(700), `${'x'.repeat(511)}😀${'y'.repeat(600)}`]) {
            const segments = tokenSegments(text);
            expect(segments.join('')).toBe(text);
            let end = 0;
            for (const s of segments) {
              expect(s.length).toBeLessThanOrEqual(TOKEN_SEGMENT_LENGTH);
              expect(s.length).toBeGreaterThan(0);
              end += s.length;
              const last = text.charCodeAt(end - 1);
              const next = text.charCodeAt(end);
              if (last >= 0xd800 && last <= 0xdbff) expect(next >= 0xdc00 && next <= 0xdfff).toBe(false);
            }
          }
        }),
        { numRuns: 60 },
      );
    });

    it('counts a long run of one character within a token per cut of the whole-text count, and never below it by more', () => {
      for (const ch of ['a', 'é', '中', '!', ' ', '😀']) {
        const text = ch.repeat(Math.floor(4000 / ch.length));
        const whole = wholeCount(text);
        const cuts = tokenSegments(text).length - 1;
        expect(Math.abs(o200kTokenCounter(text) - whole)).toBeLessThanOrEqual(cuts);
      }
    });

    it('still lets an injected counter count whole texts', () => {
      const seen: number[] = [];
      const r = renderSystemPrompt(PersonaConfiguration.create({ ...fixture('personas/minimal'), instructions: 'z'.repeat(5000) }), {
        counter: (t) => (seen.push(t.length), t.length),
        tokenBudget: 6000,
      });
      expect(r.tokens).toBe(r.text.length);
      expect(Math.max(...seen)).toBeGreaterThanOrEqual(5000);
    });
  });

  describe('one-pass keyword matching', () => {
    // Letters whose case-insensitive equality is unusual (Kelvin sign, long s, final sigma, dotless
    // and dotted i, sharp s, Cherokee, Deseret), combining marks, word and non-word punctuation,
    // and whitespace of several kinds.
    const alphabet = [
      ...'aAbBkKsSiI_09+.#-/',
      '\u212a', '\u017f', '\u03c3', '\u03c2', '\u03a3', '\u0131', '\u0130', '\u00df', '\u1e9e', '\u0345', '\u0399', '\u03b9', '\u1fbe', '\u0301',
      '\u13a0', '\uab70', '\u{10400}', '\u{10428}', '\u{1f600}', '\u0390', '\u1fd3', '\ufb05', '\ufb06', 'é', 'É', 'ж', 'Ж',
      ' ', ' ', '\t', '\n', '\u00a0', '\u3000', '\u2028',
    ];
    const chunk = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 5 }).map((cs) => cs.join(''));
    const phraseArb = fc.oneof({ weight: 4, arbitrary: chunk }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) });
    const variant = (p: string, how: number) => (how === 0 ? p : how === 1 ? p.toUpperCase() : how === 2 ? p.toLowerCase() : p.replace(/\s+/g, '  \t'));
    const setsArb = fc.array(fc.array(phraseArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 });
    const contextFor = (sets: string[][]) =>
      fc
        .array(fc.oneof(chunk, fc.tuple(fc.nat(), fc.nat(3)).map(([i, how]) => variant(sets.flat()[i % sets.flat().length], how))), { maxLength: 12 })
        .chain((parts) => fc.array(fc.constantFrom('', ' ', 'x', '.', '\n', '_'), { minLength: parts.length, maxLength: parts.length }).map((seps) => parts.map((p, i) => seps[i] + p).join('')));

    it('finds exactly what one whole-word regex per phrase finds (property)', () => {
      fc.assert(
        fc.property(
          setsArb.chain((sets) => fc.tuple(fc.constant(sets), contextFor(sets))),
          ([sets, context]) => {
            const found = new PhraseMatcher(sets).match(context);
            sets.forEach((phrases, i) => {
              const expected = phrases.some((p) => mentions(context, p));
              expect({ set: i, phrases, context, active: found.has(i) }).toEqual({ set: i, phrases, context, active: expected });
              if (found.has(i)) expect(mentions(context, found.get(i)!)).toBe(true);
            });
          },
        ),
        { numRuns: 1500 },
      );
    });

    it('gives the same domains as the reference through the renderer, naming what activated each', () => {
      fc.assert(
        fc.property(
          setsArb.chain((sets) => fc.tuple(fc.constant(sets), contextFor(sets), fc.array(fc.boolean(), { minLength: sets.length, maxLength: sets.length }))),
          ([sets, context, keyed]) => {
            const domains = sets.map((phrases, i) =>
              KnowledgeDomain.create({ name: `d${i}`, expertiseLevel: 5, topics: [phrases[0]], activationKeywords: keyed[i] ? phrases.slice(1).concat(phrases[0]) : [] }),
            );
            const active = activeDomains(domains, context);
            for (const d of domains) {
              const reference = !d.activationKeywords.length || (context !== '' && [...d.activationKeywords, ...d.topics].some((k) => mentions(context, k)));
              expect(active.has(d)).toBe(reference);
              expect(isDomainActive(d, context)).toBe(reference);
              const why = active.get(d);
              if (why) expect(mentions(context, why)).toBe(true);
              else if (active.has(d)) expect(d.activationKeywords).toEqual([]);
            }
          },
        ),
        { numRuns: 500 },
      );
    });

    it('folds case exactly as the regex engine compares case-insensitively, on every code point with a case', () => {
      const cased: number[] = [];
      for (let c = 0; c <= 0x10ffff; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        const ch = String.fromCodePoint(c);
        if (ch.toUpperCase() !== ch || ch.toLowerCase() !== ch) cased.push(c);
      }
      const all = cased.map((c) => String.fromCodePoint(c)).join('');
      const wrong: string[] = [];
      for (const c of cased) {
        const same = new RegExp(`[\\u{${c.toString(16)}}]`, 'giu');
        for (const m of all.matchAll(same)) {
          const x = m[0].codePointAt(0)!;
          if (foldCodePoint(x) !== foldCodePoint(c)) wrong.push(`${c.toString(16)}~${x.toString(16)}`);
        }
        if (!new RegExp(`^\\u{${c.toString(16)}}$`, 'iu').test(String.fromCodePoint(foldCodePoint(c)))) wrong.push(`${c.toString(16)}→${foldCodePoint(c).toString(16)}`);
      }
      expect(wrong).toEqual([]);
      // No code point without a case compares equal to one with a case.
      const withCase = new Set(cased);
      const anyCased = new RegExp(`[${cased.map((c) => `\\u{${c.toString(16)}}`).join('')}]`, 'giu');
      let everything = '';
      for (let c = 0; c <= 0x10ffff; c++) if (c < 0xd800 || c > 0xdfff) everything += String.fromCodePoint(c);
      const strays = [...everything.matchAll(anyCased)].map((m) => m[0].codePointAt(0)!).filter((c) => !withCase.has(c));
      expect(strays).toEqual([]);
    });

    it('reads every kind of whitespace the way \\s does', () => {
      const matcher = new PhraseMatcher([['a b']]);
      const wrong: number[] = [];
      for (let c = 0; c < 0x10000; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        const ch = String.fromCharCode(c);
        if (matcher.match(`a${ch}b`).has(0) !== /\s/.test(ch)) wrong.push(c);
      }
      expect(wrong).toEqual([]);
    });

    it('compiles a persona’s matcher once and again only when its phrases change in place', () => {
      const domains = [KnowledgeDomain.create({ name: 'k8s', expertiseLevel: 8, topics: ['deployments'], activationKeywords: ['helm'] })];
      expect([...activeDomains(domains, 'a helm chart').values()]).toEqual(['helm']);
      domains[0].activationKeywords.push('kubectl');
      expect([...activeDomains(domains, 'run kubectl apply').values()]).toEqual(['kubectl']);
      domains[0].topics[0] = 'pods';
      expect(activeDomains(domains, 'blue-green deployments').size).toBe(0);
      expect([...activeDomains(domains, 'my PODS').values()]).toEqual(['pods']);
    });
  });
});
