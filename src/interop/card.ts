import { checkName, checkObject, checkString, checkStringList, checkType, isObject } from './checks';
import { clone, FieldMap, Json, ReadContext } from './codec';

/**
 * Character Card V1 (TavernAI's six fields at the root, no `spec`), V2 (`chara_card_v2`) and V3
 * (`chara_card_v3`), as SillyTavern and others write them.
 */

export type CardVersion = 'card-v1' | 'card-v2' | 'card-v3';

const SPEC: Record<Exclude<CardVersion, 'card-v1'>, { spec: string; version: string }> = {
  'card-v2': { spec: 'chara_card_v2', version: '2.0' },
  'card-v3': { spec: 'chara_card_v3', version: '3.0' },
};

const STRINGS = ['description', 'personality', 'scenario', 'first_mes', 'mes_example', 'creator_notes', 'system_prompt', 'post_history_instructions', 'creator', 'character_version', 'nickname'];
/** The six fields of a V1 card, all strings (the V1 spec requires them all; we require `name`). */
export const V1_FIELDS = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'];
const MAX_DOMAINS = 50;

function fit(text: string, max: number, ctx: ReadContext, what: string): string {
  if (text.length <= max) return text;
  ctx.warnings.push(`${what} is ${text.length} characters; the persona keeps the first ${max} (the export restores the whole text while it is unchanged)`);
  return text.slice(0, max);
}

/** The version a document declares, or undefined. */
export function cardVersionOf(doc: Json): CardVersion | undefined {
  if (doc.spec === 'chara_card_v3') return 'card-v3';
  if (doc.spec === 'chara_card_v2') return 'card-v2';
  return undefined;
}

/** True for a V1 card: the V1 fields at the root and no `spec`. */
export function looksLikeV1Card(doc: Json): boolean {
  return doc.spec === undefined && typeof doc.name === 'string' && ('first_mes' in doc || 'mes_example' in doc || 'personality' in doc || 'scenario' in doc);
}

/** Checks (strict) or repairs (lenient) the shape of a card; paths are those of the document. */
export function checkCard(doc: Json, version: CardVersion, ctx: ReadContext): void {
  if (version === 'card-v1') return checkV1Card(doc, ctx);
  if (doc.spec === undefined && ctx.lenient && looksLikeV1Card(doc)) {
    doc.spec = SPEC[version].spec;
    doc.spec_version = SPEC[version].version;
    doc.data = Object.fromEntries(V1_FIELDS.filter((k) => k in doc).map((k) => [k, doc[k]]));
    ctx.warnings.push('repaired: a V1 card (no spec), read as the data of a V2 card; the V1 fields stay at the root');
  }
  if (doc.spec !== SPEC[version].spec) ctx.issues.push({ path: 'spec', constraint: 'equals', message: `spec must be "${SPEC[version].spec}"` });
  checkObject(ctx, doc, 'data', 'data', true);
  const data = doc.data;
  if (!isObject(data)) return;
  checkName(ctx, data, 'name', 'data.name');
  for (const key of STRINGS) checkString(ctx, data, key, `data.${key}`);
  checkStringList(ctx, data, 'alternate_greetings', 'data.alternate_greetings');
  checkStringList(ctx, data, 'group_only_greetings', 'data.group_only_greetings');
  checkStringList(ctx, data, 'tags', 'data.tags', true);
  checkStringList(ctx, data, 'source', 'data.source');
  checkObject(ctx, data, 'extensions', 'data.extensions', ctx.lenient);
  if ('character_book' in data) {
    if (data.character_book === null && ctx.lenient) {
      delete data.character_book;
      ctx.warnings.push('repaired data.character_book: null, removed');
    } else checkObject(ctx, data, 'character_book', 'data.character_book');
  }
  const book = data.character_book;
  if (!isObject(book)) return;
  if (!Array.isArray(book.entries)) {
    if (ctx.lenient && (book.entries === null || book.entries === undefined)) {
      book.entries = [];
      ctx.warnings.push('repaired data.character_book.entries: missing, made []');
    } else ctx.issues.push({ path: 'data.character_book.entries', constraint: 'isArray', message: 'data.character_book.entries must be a list' });
  }
  (Array.isArray(book.entries) ? book.entries : []).forEach((entry: unknown, i: number) => {
    const at = `data.character_book.entries[${i}]`;
    if (!isObject(entry)) return void ctx.issues.push({ path: at, constraint: 'isObject', message: `${at} must be an object` });
    checkStringList(ctx, entry, 'keys', `${at}.keys`, true);
    checkStringList(ctx, entry, 'secondary_keys', `${at}.secondary_keys`, true);
    checkString(ctx, entry, 'content', `${at}.content`);
    checkString(ctx, entry, 'name', `${at}.name`);
    checkString(ctx, entry, 'comment', `${at}.comment`);
    checkType(ctx, entry, 'enabled', `${at}.enabled`, 'boolean');
    checkType(ctx, entry, 'constant', `${at}.constant`, 'boolean');
    checkType(ctx, entry, 'insertion_order', `${at}.insertion_order`, 'number');
  });
}

/**
 * A V1 card: no `spec` (a V1 card is what has none), a non-empty `name`, and the other V1
 * fields strings where present. Other keys at the root (`create_date`, `avatar`, …) are kept.
 */
function checkV1Card(doc: Json, ctx: ReadContext): void {
  if (doc.spec !== undefined) {
    const seen = typeof doc.spec === 'string' ? `"${doc.spec.slice(0, 40)}"` : typeof doc.spec;
    ctx.issues.push({ path: 'spec', constraint: 'isAbsent', message: `a V1 card has no spec (this one says ${seen}): import it as card-v2 or card-v3, or with format auto` });
  }
  checkName(ctx, doc, 'name', 'name');
  for (const key of V1_FIELDS.slice(1)) checkString(ctx, doc, key, key);
}

type EntryExtra = { index: number; domain?: string; entry: Json };
type BookExtra = { book: Json; entries: EntryExtra[] };

/**
 * Lorebook entries become knowledge domains: the entry's name (or comment, or first key) names
 * the domain, its keys are the activation keywords, its content the domain's knowledge. What has
 * no place in a domain (insertion order, priority, position, extensions, …) is kept per entry.
 * Disabled entries, and entries past the 50 domains a persona holds, are kept whole.
 */
const characterBook: FieldMap = {
  key: 'data.character_book',
  personaPaths: ['knowledgeDomains'],
  isExtra: (x) =>
    isObject(x) &&
    isObject(x.book) &&
    Array.isArray(x.entries) &&
    x.entries.every((e) => isObject(e) && Number.isFinite(e.index) && (e.domain === undefined || typeof e.domain === 'string') && isObject(e.entry)),
  read(value, present, ctx) {
    if (!present || !isObject(value)) return {};
    const { entries = [], ...book } = value as Json & { entries?: unknown[] };
    const domains: Json[] = [];
    const extras: EntryExtra[] = [];
    const names = new Set<string>();
    (entries as Json[]).forEach((entry, index) => {
      if (entry.enabled === false || domains.length >= MAX_DOMAINS) {
        if (entry.enabled !== false) ctx.warnings.push(`lorebook entry ${index} is past the ${MAX_DOMAINS} knowledge domains of a persona; kept in metadata, not active`);
        extras.push({ index, entry: clone(entry) });
        return;
      }
      const keys = Array.isArray(entry.keys) ? (entry.keys as string[]) : [];
      const base = String(entry.name || entry.comment || keys[0] || `entry ${index + 1}`).trim().slice(0, 90) || `entry ${index + 1}`;
      let name = base;
      for (let n = 2; names.has(name); n++) name = `${base} (${n})`;
      names.add(name);
      const content = typeof entry.content === 'string' ? entry.content : '';
      const keywords = entry.constant === true ? [] : [...new Set(keys.filter((k) => k.trim().length >= 1 && k.length <= 100))].slice(0, 50);
      domains.push({ name, expertiseLevel: 5, topics: [name.slice(0, 100)], activationKeywords: keywords, description: fit(content, 10_000, ctx, `lorebook entry ${index} content`) });
      const { keys: _k, content: _c, ...rest } = entry;
      const keep: Json = { ...rest };
      if (entry.constant === true || keywords.length !== keys.length || keywords.some((k, i) => k !== keys[i])) keep.keys = keys;
      if (content.length > 10_000) keep.content = content;
      extras.push({ index, domain: name, entry: keep });
    });
    return { persona: { knowledgeDomains: domains }, extra: { book, entries: extras } satisfies BookExtra };
  },
  write(persona, extra) {
    const x = extra as BookExtra | undefined;
    const domains = (persona.knowledgeDomains as Json[] | undefined) ?? [];
    if (!domains.length && !x) return undefined;
    const placed: { index: number; entry: Json }[] = [];
    for (const kept of x?.entries ?? []) if (kept.domain === undefined) placed.push({ index: kept.index, entry: clone(kept.entry) });
    let next = (x?.entries.length ?? 0) + 1000;
    domains.forEach((d, i) => {
      const kept = x?.entries.find((e) => e.domain === d.name);
      const entry: Json = kept
        ? clone(kept.entry)
        : { extensions: {}, enabled: true, insertion_order: i, case_sensitive: false, name: d.name, priority: 10, id: i, comment: '', selective: false, secondary_keys: [], constant: !(d.activationKeywords as string[]).length, position: 'before_char', use_regex: false };
      const description = typeof d.description === 'string' ? d.description : '';
      if (!('keys' in entry) || !kept) entry.keys = clone(d.activationKeywords ?? []);
      if (!kept || typeof entry.content !== 'string' || (entry.content as string).slice(0, 10_000) !== description) entry.content = description;
      placed.push({ index: kept ? kept.index : next++, entry });
    });
    placed.sort((a, b) => a.index - b.index);
    return { ...clone(x?.book ?? { extensions: {} }), entries: placed.map((p) => p.entry) };
  },
};

/** The fields of a card that become persona fields; everything else is kept as it is. */
export const CARD_FIELDS: FieldMap[] = [
  {
    key: 'data.name',
    personaPaths: ['name'],
    read: (v, _p, ctx) => ({ persona: { name: fit(String(v ?? ''), 100, ctx, 'data.name') } }),
    write: (p) => p.name,
  },
  {
    key: 'data.description',
    personaPaths: ['description'],
    read: (v, present, ctx) => (present && typeof v === 'string' ? { persona: { description: fit(v, 10_000, ctx, 'data.description') } } : {}),
    write: (p) => p.description ?? '',
  },
  {
    key: 'data.system_prompt',
    personaPaths: ['instructions'],
    read: (v, present) => (present && typeof v === 'string' && v ? { persona: { instructions: v.slice(0, 100_000) } } : {}),
    write: (p) => p.instructions ?? '',
  },
  {
    key: 'data.personality',
    personaPaths: ['traits#personality'],
    read: (v) => (typeof v === 'string' && v.length >= 1 && v.length <= 200 ? { persona: { traits: [{ name: 'personality', category: 'personality', value: v, weight: 5 }] } } : {}),
    write: (p) => {
      const trait = ((p.traits as Json[] | undefined) ?? []).find((t) => t.name === 'personality' && typeof t.value === 'string');
      return trait ? trait.value : '';
    },
  },
  {
    key: 'data.tags',
    personaPaths: ['tags'],
    read: (v) => (Array.isArray(v) ? { persona: { tags: [...new Set((v as string[]).filter((t) => t.length >= 1 && t.length <= 50))].slice(0, 20) } } : {}),
    write: (p) => clone(p.tags ?? []),
  },
  characterBook,
];

/** The fields of a V1 card that become persona fields (the same mapping as V2/V3, at the root). */
export const V1_CARD_FIELDS: FieldMap[] = CARD_FIELDS.filter((f) => ['data.name', 'data.description', 'data.personality'].includes(f.key)).map((f) => ({ ...f, key: f.key.slice('data.'.length) }));

/**
 * The root keys SillyTavern repeats from `data` in V2/V3 cards (its legacy V1 copy), each with
 * the `data` path it copies. An import stores such a copy once: when it equals its `data` value,
 * the record notes the key and the export writes the copy from the `data` it writes.
 */
export const ROOT_COPIES: Record<string, string> = {
  name: 'name',
  description: 'description',
  personality: 'personality',
  scenario: 'scenario',
  first_mes: 'first_mes',
  mes_example: 'mes_example',
  tags: 'tags',
  creatorcomment: 'creator_notes',
  talkativeness: 'extensions.talkativeness',
  fav: 'extensions.fav',
};

/** A minimal valid card, the base of an export that has no imported card to start from. */
export function cardSkeleton(version: CardVersion): Json {
  if (version === 'card-v1') return Object.fromEntries(V1_FIELDS.map((k) => [k, '']));
  const data: Json = {
    name: '',
    description: '',
    personality: '',
    scenario: '',
    first_mes: '',
    mes_example: '',
    creator_notes: '',
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: [],
    tags: [],
    creator: '',
    character_version: '',
    extensions: {},
  };
  if (version === 'card-v3') data.group_only_greetings = [];
  return { spec: SPEC[version].spec, spec_version: SPEC[version].version, data };
}

/** The PNG text chunk that holds a card of each version (V1 and V2 share `chara`). */
export const CARD_CHUNK: Record<CardVersion, 'chara' | 'ccv3'> = { 'card-v1': 'chara', 'card-v2': 'chara', 'card-v3': 'ccv3' };

/**
 * The same card with its `spec` and `spec_version` swapped for those of `version`, nothing else
 * changed: what SillyTavern writes into `ccv3` beside `chara` (and the reverse).
 */
export function swapSpec(doc: Json, version: Exclude<CardVersion, 'card-v1'>): Json {
  return { ...clone(doc), spec: SPEC[version].spec, spec_version: SPEC[version].version };
}

/**
 * The card of `version` that says what `doc` (a card of another version) says, complete as the
 * target spec requires: V1 from the six fields of `data`; V2 and V3 from a V1 card over the
 * skeleton; V3 from V2 with `group_only_greetings` and each lorebook entry's `use_regex` added
 * when missing; V2 from V3 by the spec swap (V2 readers ignore the V3-only fields).
 */
export function convertCard(doc: Json, from: CardVersion, to: CardVersion): Json {
  if (from === to) return clone(doc);
  if (to === 'card-v1') {
    const data = from === 'card-v1' ? doc : isObject(doc.data) ? doc.data : {};
    return Object.fromEntries(V1_FIELDS.map((k) => [k, typeof data[k] === 'string' ? data[k] : '']));
  }
  let card: Json;
  if (from === 'card-v1') {
    card = cardSkeleton(to);
    Object.assign(card.data as Json, Object.fromEntries(V1_FIELDS.filter((k) => typeof doc[k] === 'string').map((k) => [k, doc[k]])));
  } else card = swapSpec(doc, to);
  const data = card.data as Json;
  if (to === 'card-v3') {
    if (!Array.isArray(data.group_only_greetings)) data.group_only_greetings = [];
    const book = data.character_book;
    if (isObject(book) && Array.isArray(book.entries)) for (const e of book.entries) if (isObject(e) && typeof e.use_regex !== 'boolean') e.use_regex = false;
  }
  return card;
}

/**
 * Adds what the target spec requires and `doc` lacks, changing nothing it has: the fields of
 * `data` (V3: `group_only_greetings`), `spec_version`, the lorebook's `extensions`, and each
 * entry's `keys`, `content`, `extensions`, `enabled`, `insertion_order` (V3: `use_regex`). An
 * export runs it when the persona changed since the import (or was not imported from this
 * format): what we write then passes the spec authors' validators even when the source did not
 * (SillyTavern writes lorebooks without `extensions`). An unchanged round trip is left as it was.
 */
export function completeCard(doc: Json, version: CardVersion): void {
  if (version === 'card-v1') {
    for (const key of V1_FIELDS) if (typeof doc[key] !== 'string') doc[key] = '';
    return;
  }
  if (typeof doc.spec_version !== 'string') doc.spec_version = SPEC[version].version;
  if (!isObject(doc.data)) return;
  const data = doc.data;
  for (const [key, value] of Object.entries(cardSkeleton(version).data as Json)) if (!(key in data)) data[key] = clone(value);
  const book = data.character_book;
  if (!isObject(book)) return;
  if (!isObject(book.extensions)) book.extensions = {};
  if (!Array.isArray(book.entries)) return;
  book.entries.forEach((entry: unknown, i: number) => {
    if (!isObject(entry)) return;
    if (!Array.isArray(entry.keys)) entry.keys = [];
    if (typeof entry.content !== 'string') entry.content = '';
    if (!isObject(entry.extensions)) entry.extensions = {};
    if (typeof entry.enabled !== 'boolean') entry.enabled = true;
    if (typeof entry.insertion_order !== 'number') entry.insertion_order = i;
    if (version === 'card-v3' && typeof entry.use_regex !== 'boolean') entry.use_regex = false;
  });
}
