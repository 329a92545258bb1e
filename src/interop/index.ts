import { createHash } from 'crypto';
import { transliterate } from 'transliteration';
import { PersonaError, PersonaValidationError, ValidationIssue } from '../errors';
import { INTEROP_MAX_BYTES, PersonaConfiguration } from '../models/persona-configuration.entity';
import { findJsonProblem, formatPath, JsonProblem, MAX_JSON_DEPTH, SLUG_PATTERN, UUID_PATTERN } from '../validation/constraints';
import { createModel, Model, ModelInput, toPlain } from '../validation/model';
import { CARD_CHUNK, CARD_FIELDS, cardSkeleton, completeCard, cardVersionOf, CardVersion, checkCard, convertCard, looksLikeV1Card, ROOT_COPIES, swapSpec, V1_CARD_FIELDS } from './card';
import { clone, digest, FieldMap, getPath, INTEROP_KEY, InteropRecord, Json, ReadContext, readDocument, recordIssues, same, throwIssues, unchangedSince, writeDocument } from './codec';
import { checkEliza, ELIZA_FIELDS, elizaSkeleton, looksLikeEliza } from './eliza';
import { storedRecordIssues } from './record';
import { LETTA_RECORDS_MAX_BYTES, lettaAgents, lettaRemainder, looksLikeLetta, readLettaAgent, SizeCache } from './letta';
import { isPng, readTextChunks, writeTextChunks } from './png';
import { FidelityEntry, FidelityReport } from './report';
import { droppedWarning, stripCredentials } from './secrets';

/**
 * Deepest nesting of an imported card or Eliza file (objects and lists below its root). Its
 * record in `interop` puts each part at most 4 levels lower (`interop.fields
 * ["data.character_book"].extra.entries[i].entry…` for `data.character_book.entries[i]…`), and a
 * template holding the persona 1 more, so 48 stays within the {@link MAX_JSON_DEPTH} of a
 * persona with room to spare. Real documents nest far less: the full V2/V3 cards and the Eliza
 * v0/v1 files of the tests, every specified field set, nest 6 levels (their records 9).
 */
export const MAX_DOCUMENT_DEPTH = 48;

/** The formats `importPersona` reads; `exportPersona` writes all but `letta-af` (read only). */
export type PersonaFormat = 'card-v1' | 'card-v2' | 'card-v3' | 'eliza' | 'letta-af' | 'native';

/** The formats `exportPersona` writes. */
export type ExportFormat = Exclude<PersonaFormat, 'letta-af'>;

/** Options of {@link importPersona} and {@link importPersonas}. */
export type ImportOptions = {
  /** Default `auto`: PNG bytes, `spec`, the V1 fields, Letta's `agents`, Eliza's marks, else our native JSON. */
  format?: PersonaFormat | 'auto';
  /** Repair the known malformations (each repair a warning) instead of refusing them. */
  lenient?: boolean;
  /** Slug of the new persona (default: from its name; several personas get `-2`, `-3`, … after it). */
  slug?: string;
  /** Owner of the new persona (default `import`; `PersonaStore.create` sets the actor anyway). */
  createdBy?: string;
};

/** Options of {@link exportPersona}. */
export type ExportOptions = {
  format: PersonaFormat;
  /** A base image: the card is written into it and PNG bytes are returned (card formats only). */
  png?: Buffer;
};

/** One persona read from a document: the persona (built, not stored), what was repaired or left out, and the fidelity report. */
export type ImportResult = { persona: PersonaConfiguration; warnings: string[]; report: FidelityReport };

/** A document written by {@link exportPersonaWithReport}, with its fidelity report. */
export type ExportResult = { document: object | Buffer; warnings: string[]; report: FidelityReport };

type DocFormat = Exclude<PersonaFormat, 'native' | 'letta-af'>;
const FIELDS: Record<DocFormat, FieldMap[]> = { 'card-v1': V1_CARD_FIELDS, 'card-v2': CARD_FIELDS, 'card-v3': CARD_FIELDS, eliza: ELIZA_FIELDS };
const FORMATS: PersonaFormat[] = ['card-v1', 'card-v2', 'card-v3', 'eliza', 'letta-af', 'native'];
const LABELS: Record<PersonaFormat, string> = {
  'card-v1': 'a V1 character card',
  'card-v2': 'a V2 character card',
  'card-v3': 'a V3 character card',
  eliza: 'an Eliza character',
  'letta-af': 'a Letta agent file',
  native: 'our native persona JSON',
};

/**
 * A slug from a name in any script: transliterated to Latin (`爱` → `ai`, `Ёжик` → `yozhik`,
 * `Kōhai Unit-7` → `kohai-unit-7`) by the `transliteration` library, lowercase ASCII words joined
 * by hyphens, at most 64 characters. A name with nothing to transliterate (emoji only, say) gets
 * `persona-` and a short stable hash of the name; an empty one `persona`. The store adds `-2`, `-3`,
 * … when asked to (`renameTakenSlugs`) and the slug is taken.
 */
export function slugify(name: string): string {
  const text = String(name ?? '').slice(0, 1000);
  const slug = transliterate(text.normalize('NFKC'))
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  if (slug && SLUG_PATTERN.test(slug) && !UUID_PATTERN.test(slug)) return slug;
  if (!text.trim()) return 'persona';
  return `persona-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

const PROBLEM_MESSAGES: Record<JsonProblem['constraint'], (max: number) => string> = {
  maxDepth: (max) => `is nested deeper than ${max} levels`,
  noCycle: () => 'refers back to itself',
  isJsonValue: () => 'must be a JSON value',
  isPlainObject: () => 'must be a plain object or a list',
};

/** Refuses what is not a JSON tree of at most `max` levels, with its path, before anything walks it recursively. */
function assertJsonTree(value: unknown, max: number, what: string, prefix = '', options?: Parameters<typeof findJsonProblem>[2]): void {
  const problem = findJsonProblem(value, max, options);
  if (!problem) return;
  const path = formatPath(problem.path, prefix);
  throw new PersonaValidationError([{ path, constraint: problem.constraint, message: `${path || what} ${PROBLEM_MESSAGES[problem.constraint](max)}` }], what);
}

/** A document read from bytes, text or an object; for a PNG, the card chunk read and the other one. */
type Parsed = { doc: unknown; own?: boolean; png?: { keyword: 'chara' | 'ccv3'; other?: { keyword: 'chara' | 'ccv3'; text: string } } };

/**
 * The document in `input`: parsed from bytes or text, or the caller's object itself (`own`: not
 * copied yet). A PNG gives its `ccv3` chunk, else `chara` (as the V3 spec and SillyTavern read
 * them); `chara` first when a V1 or V2 card is asked for.
 */
function parseBytes(input: Buffer | string | object, format: PersonaFormat | 'auto'): Parsed {
  if (Buffer.isBuffer(input)) {
    if (isPng(input)) {
      let texts: Map<string, string>;
      try {
        texts = readTextChunks(input);
      } catch (error) {
        throw new PersonaValidationError([{ path: '', constraint: 'isPng', message: `not a readable PNG: ${(error as Error).message}` }], 'document');
      }
      const order: ('chara' | 'ccv3')[] = format === 'card-v1' || format === 'card-v2' ? ['chara', 'ccv3'] : ['ccv3', 'chara'];
      const [keyword, otherKeyword] = texts.has(order[0]) ? order : [order[1], order[0]];
      if (!texts.has(keyword)) throw new PersonaValidationError([{ path: '', constraint: 'hasCard', message: 'the PNG carries no character card (no chara or ccv3 text chunk)' }], 'document');
      const doc = parseJson(Buffer.from(texts.get(keyword) as string, 'base64').toString('utf8'), `PNG chunk ${keyword}`);
      const other = texts.get(otherKeyword);
      return { doc, png: { keyword, other: other === undefined ? undefined : { keyword: otherKeyword, text: other } } };
    }
    return { doc: unwrap(parseJson(input.toString('utf8'), 'document')) };
  }
  if (typeof input === 'string') return { doc: unwrap(parseJson(input, 'document')) };
  return { doc: input, own: true };
}

/** JSON inside a JSON string (as some Letta agent files are written): read the inner document, up to 2 levels. */
function unwrap(doc: unknown): unknown {
  for (let level = 0; level < 2 && typeof doc === 'string' && /^\s*[[{]/.test(doc); level++) doc = parseJson(doc, 'the JSON inside the document string');
  return doc;
}

/** The keys of a plain object (of any realm, or none); undefined for any other object. */
function plainObjectKeys(node: object): string[] | undefined {
  const proto = Object.getPrototypeOf(node);
  return proto === null || Object.getPrototypeOf(proto) === null ? Object.keys(node) : undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new PersonaValidationError([{ path: '', constraint: 'isJson', message: `${what} is not valid JSON: ${(error as Error).message}` }], 'document');
  }
}

/** The format a document looks like (`native` when it has no foreign marks). */
function detect(doc: unknown): PersonaFormat {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'native';
  const d = doc as Json;
  const card = cardVersionOf(d);
  if (card) return card;
  if (looksLikeLetta(d)) return 'letta-af';
  if (looksLikeV1Card(d)) return 'card-v1';
  if (looksLikeEliza(d)) return 'eliza';
  return 'native';
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function prefixIssues(issues: ValidationIssue[], prefix: string): ValidationIssue[] {
  if (!prefix) return issues;
  return issues.map((i) => ({ ...i, path: i.path ? `${prefix}.${i.path}` : prefix, message: i.message }));
}

/** Issues that say what the document looks like when it was read as another format, and what to do. */
function formatHint(asked: PersonaFormat, doc: unknown): ValidationIssue[] {
  const seen = detect(doc);
  if (seen !== asked && seen !== 'native') {
    return [{ path: '', constraint: 'format', message: `the document looks like ${LABELS[seen]}, not ${LABELS[asked]}: import it with format ${seen} (or auto)` }];
  }
  if (asked === 'native' && isObject(doc) && !('slug' in doc) && !('createdBy' in doc)) {
    const keys = Object.keys(doc).slice(0, 5).join(', ');
    return [
      {
        path: '',
        constraint: 'format',
        message: `the document (keys ${keys || 'none'}) is none of the formats we read: not a character card (no spec, no V1 fields), an Eliza character (no bio, lore, adjectives, …), a Letta agent file (no agents or core_memory) or our native JSON (no slug): give --format, or check the file`,
      },
    ];
  }
  return [];
}

/** The size of a record in bytes of JSON. */
function sizeOf(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value));
  } catch (error) {
    // Longer than a string can be: over every limit, never a raw RangeError.
    if (error instanceof RangeError) return Number.POSITIVE_INFINITY;
    throw error;
  }
}

function checkRecordSize(record: InteropRecord, what: string): void {
  const size = sizeOf(record);
  if (size <= INTEROP_MAX_BYTES) return;
  throw new PersonaValidationError(
    [{ path: 'interop', constraint: 'maxBytes', message: `${what}: what the persona has no place for (greetings, examples, extensions, kept lorebook entries, …) is ${size} bytes of JSON, over the ${INTEROP_MAX_BYTES} bytes (1 MiB) an interchange record holds` }],
    'document',
  );
}

/** Builds the persona from a fragment (name, slug, owner added), with issues at the source's paths. */
function buildPersona(fragment: Json, slug: string, options: ImportOptions): Json {
  const input = { ...fragment, slug, createdBy: options.createdBy ?? 'import' };
  return toPlain(createModel(PersonaConfiguration, input));
}

/**
 * Reads every persona a document holds: a character card (V1, V2 or V3; JSON or PNG), an Eliza
 * character or a list of them, a Letta agent file (each agent a persona), or our native JSON (an
 * object or a list). Strict by default: a malformed document is a PersonaValidationError whose
 * paths are those of the source document (`[2].bio`, `agents[0].name`); with `lenient` the known
 * malformations are repaired and reported in `warnings`. Secrets are never imported. What our
 * model has no place for is kept in the persona's `interop` record, so that `exportPersona` in the
 * same format gives the document back. Each result carries a fidelity `report`.
 */
export async function importPersonas(input: Buffer | string | object, options: ImportOptions = {}): Promise<ImportResult[]> {
  return readPersonas(input, options ?? {}, false);
}

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** What importPersona refuses: a document with several personas. */
function onePersona(count: number): PersonaValidationError {
  return new PersonaValidationError([{ path: '', constraint: 'onePersona', message: `the document holds ${count} personas: read it with importPersonas (the CLI import takes such files)` }], 'document');
}

/** Import options inside this module: `single` refuses a document of several personas before any is built. */
type ReadOptions = ImportOptions & { single?: boolean };

async function readPersonas(input: Buffer | string | object, options: ImportOptions, single: boolean): Promise<ImportResult[]> {
  options = { ...options, single } as ReadOptions;
  if (input instanceof Model) input = toPlain(input);
  const asked = options.format && options.format !== 'auto' ? options.format : undefined;
  if (asked && !FORMATS.includes(asked)) {
    throw new PersonaValidationError([{ path: 'format', constraint: 'isIn', message: `format must be auto or one of ${FORMATS.join(', ')}` }], 'options');
  }
  const parsed = parseBytes(input, options.format ?? 'auto');
  let docs: { doc: unknown; at: string }[];
  if (Array.isArray(parsed.doc) && !parsed.png) {
    if (!parsed.doc.length) throw new PersonaValidationError([{ path: '', constraint: 'arrayNotEmpty', message: 'the document is an empty list: it holds no persona' }], 'document');
    if (single && parsed.doc.length > 1) throw onePersona(parsed.doc.length);
    docs = parsed.doc.map((doc, i) => ({ doc, at: `[${i}]` }));
  } else docs = [{ doc: parsed.doc, at: '' }];
  const results: ImportResult[] = [];
  const slugs = new Map<string, number>();
  // Several personas from one file: each slug once (the store suffixes clashes with stored ones).
  const slugFor = (name: string) => {
    const base = options.slug ?? slugify(name);
    const n = (slugs.get(base) ?? 0) + 1;
    slugs.set(base, n);
    return n === 1 ? base : `${base.slice(0, 60).replace(/-+$/, '')}-${n}`;
  };
  for (const { doc, at } of docs) {
    try {
      results.push(...importDocument(doc, asked ?? detect(doc), { ...parsed, doc, png: at ? undefined : parsed.png }, options, slugFor));
    } catch (error) {
      if (error instanceof PersonaValidationError && at) throw new PersonaValidationError(prefixIssues(error.issues, at), `document ${at}`);
      throw error;
    }
  }
  return results;
}

/**
 * Reads a persona from a character card (V1, V2 or V3; JSON or PNG), an Eliza character, a Letta
 * agent file with one agent, or our native JSON: {@link importPersonas} for a document that holds
 * exactly one persona (one that holds several is refused with constraint `onePersona`).
 */
export async function importPersona(input: Buffer | string | object, options: ImportOptions = {}): Promise<ImportResult> {
  const results = await readPersonas(input, options ?? {}, true);
  if (results.length !== 1) throw onePersona(results.length);
  return results[0];
}

/** Reads the personas of one document of a known format. */
function importDocument(doc: unknown, format: PersonaFormat, parsed: Parsed, options: ReadOptions, slugFor: (name: string) => string): ImportResult[] {
  // Before anything walks it recursively (a copy, a check, a digest): a JSON tree, nested at most
  // as deep as a persona (native) or as an imported document may be, else refused with the path.
  assertJsonTree(doc, format === 'native' ? MAX_JSON_DEPTH : MAX_DOCUMENT_DEPTH, 'document', '', { childKeys: plainObjectKeys });
  // The caller's object is never changed: credentials are taken out of a copy.
  if (parsed.own) doc = clone(doc);
  const warnings: string[] = [];
  const report: FidelityReport = [];
  // Credentials never go further than this: not into the persona, its record, its digests or a warning.
  const strip = (target: unknown = doc, root = '') => {
    for (const dropped of stripCredentials(target, root)) {
      warnings.push(droppedWarning(dropped));
      report.push({ field: dropped.path, status: 'dropped', note: 'a credential: secrets are never imported' });
    }
  };
  if (format === 'native') {
    strip();
    try {
      const persona = createModel(PersonaConfiguration, doc as ModelInput<PersonaConfiguration>);
      return [{ persona, warnings, report: [...report, { field: '', status: 'mapped', persona: '', note: 'our native JSON' }] }];
    } catch (error) {
      if (error instanceof PersonaValidationError) throw new PersonaValidationError([...formatHint('native', doc), ...error.issues], 'document');
      throw error;
    }
  }
  const ctx: ReadContext = { warnings, lenient: !!options.lenient, issues: [] };
  if (!isObject(doc)) {
    throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: `the document must be a JSON object (${LABELS[format]})` }], 'document');
  }
  const source = doc;
  strip();
  if (format === 'letta-af') return importLetta(source, ctx, report, options, slugFor);
  if (format === 'eliza') checkEliza(source, ctx);
  else checkCard(source, format, ctx);
  if (ctx.issues.length) ctx.issues.unshift(...formatHint(format, source));
  throwIssues(ctx, format);
  // A lenient repair can make a credential of parts (a string split into a list): look again.
  if (ctx.lenient) strip();

  const { persona: plain, record } = readDocument(format, source, FIELDS[format], ctx, (fragment) => buildPersona(fragment, slugFor(String(fragment.name ?? 'persona')), options));
  if (format === 'card-v2' || format === 'card-v3') storeCopiesOnce(source, record);
  if (parsed.png?.other) keepOtherChunk(parsed.png.other, source, format, record, warnings, report);
  checkRecordSize(record, LABELS[format]);
  plain.interop = record;
  const persona = createModel(PersonaConfiguration, plain as ModelInput<PersonaConfiguration>);
  return [{ persona, warnings, report: [...importReport(format, source, record), ...report] }];
}

/** SillyTavern's V1 copy at the root of a V2/V3 card: each root key equal to its `data` field is stored once. */
function storeCopiesOnce(source: Json, record: InteropRecord): void {
  const data = isObject(source.data) ? source.data : {};
  const copies = Object.entries(ROOT_COPIES)
    .filter(([key, path]) => Object.prototype.hasOwnProperty.call(record.remainder, key) && getPath(data, path).present && same(record.remainder[key], getPath(data, path).value))
    .map(([key]) => key);
  for (const key of copies) delete record.remainder[key];
  if (copies.length) record.copies = copies;
}

/** The other card chunk of a PNG, stored as little as it takes to write it back as it was. */
function keepOtherChunk(other: { keyword: 'chara' | 'ccv3'; text: string }, source: Json, format: DocFormat, record: InteropRecord, warnings: string[], report: FidelityReport): void {
  const field = `PNG chunk ${other.keyword}`;
  let doc: unknown;
  try {
    doc = unwrap(JSON.parse(Buffer.from(other.text, 'base64').toString('utf8').replace(/^\uFEFF/, '')));
  } catch {
    warnings.push(`${field} is not readable JSON: left out (an export writes it anew from the persona)`);
    report.push({ field, status: 'dropped', note: 'not readable JSON' });
    return;
  }
  if (!isObject(doc) || findJsonProblem(doc, MAX_DOCUMENT_DEPTH)) {
    warnings.push(`${field} is not a card: left out (an export writes it anew from the persona)`);
    report.push({ field, status: 'dropped', note: 'not a card' });
    return;
  }
  for (const dropped of stripCredentials(doc, field)) warnings.push(droppedWarning(dropped));
  const version: CardVersion = other.keyword === 'ccv3' ? 'card-v3' : cardVersionOf(doc) === 'card-v2' ? 'card-v2' : 'card-v1';
  let kept: unknown = doc;
  if (version !== 'card-v1' && format !== 'card-v1' && same(doc, swapSpec(source, version))) kept = 'swap';
  else if (same(doc, convertCard(source, format as CardVersion, version))) kept = 'converted';
  record.chunks = { [other.keyword]: kept };
  report.push({ field, status: 'kept', note: typeof kept === 'string' ? `the same card (${kept}), stored once` : 'a different card, kept whole' });
}

/** The report of a card or Eliza import: mapped and approximated fields, and what the record keeps. */
function importReport(format: DocFormat, source: Json, record: InteropRecord): FidelityReport {
  const report: FidelityReport = [];
  for (const field of FIELDS[format]) {
    const info = record.fields[field.key];
    if (!getPath(source, field.key).present) continue;
    const persona = field.personaPaths.join(', ');
    if (info && 'original' in info) report.push({ field: field.key, status: 'approximated', persona, note: 'the original is kept for the round trip' });
    else report.push({ field: field.key, status: 'mapped', persona });
  }
  const keptKeys = (obj: Json, prefix: string) => {
    for (const key of Object.keys(obj)) {
      if (!prefix && (key === 'spec' || key === 'spec_version')) continue;
      if (!prefix && key === 'data' && isObject(obj.data) && format !== 'eliza') keptKeys(obj.data, 'data.');
      else report.push({ field: `${prefix}${key}`, status: 'kept', note: 'kept for the round trip' });
    }
  };
  keptKeys(record.remainder, '');
  for (const key of record.copies ?? []) if (hasOwn(ROOT_COPIES, key)) report.push({ field: key, status: 'kept', note: `the copy of data.${ROOT_COPIES[key]}, stored once` });
  return report;
}

/** Each agent of a Letta file as a persona, with the parts of the file it used kept in its record. */
function importLetta(source: Json, ctx: ReadContext, report: FidelityReport, options: ReadOptions, slugFor: (name: string) => string): ImportResult[] {
  const agents = lettaAgents(source, ctx);
  if (ctx.issues.length) ctx.issues.unshift(...formatHint('letta-af', source));
  throwIssues(ctx, 'letta-af');
  // What the file-wide steps said about one agent (`agents[2]…`) goes to that agent only.
  const about = (text: string, at: string) => {
    const agent = /\bagents\[\d+\]/.exec(text)?.[0];
    return agent === undefined || agent === at;
  };
  if (options.single && agents.length > 1) throw onePersona(agents.length);
  // The records of all the agents share one budget (shared blocks are measured once).
  const sizes: SizeCache = new WeakMap();
  let budget = LETTA_RECORDS_MAX_BYTES;
  return agents.map((item) => {
    const agentCtx: ReadContext = { warnings: ctx.warnings.filter((w) => about(w, item.at)), lenient: ctx.lenient, issues: [] };
    const { fragment, report: agentReport } = readLettaAgent(item, agentCtx);
    const plain = buildPersona(fragment, slugFor(String(fragment.name)), options);
    // `{"format":"letta-af","remainder":…,"fields":{}}` around the remainder.
    const remainder = lettaRemainder(item, Math.min(INTEROP_MAX_BYTES, budget) - 64, agentCtx, sizes);
    if (remainder) {
      plain.interop = { format: 'letta-af', remainder, fields: {} };
      budget -= sizeOf(plain.interop);
    }
    const persona = createModel(PersonaConfiguration, plain as ModelInput<PersonaConfiguration>);
    return { persona, warnings: agentCtx.warnings, report: [...agentReport, ...report.filter((e) => about(e.field, item.at))] };
  });
}

/**
 * Writes a persona as a character card (V1, V2 or V3; PNG bytes when `png` is given), an Eliza
 * character or our native JSON. A persona imported from the same format comes back as the
 * document it came from, with the fields changed since then written anew.
 */
export async function exportPersona(persona: PersonaConfiguration, options: ExportOptions): Promise<object | Buffer> {
  return (await exportPersonaWithReport(persona, options)).document;
}

/** The record an export in `format` starts from: the persona's own `interop`, or one stored by earlier versions in `metadata.interop`. */
function recordFor(plain: Json, format: PersonaFormat): InteropRecord | undefined {
  const metadata = isObject(plain.metadata) ? plain.metadata : {};
  for (const stored of [plain.interop, metadata[INTEROP_KEY]]) {
    // Only a record of this very format is used; anything else in `metadata.interop` is the owner's own data.
    if (isObject(stored) && stored.format === format) {
      const issues = storedRecordIssues(stored, stored === plain.interop ? 'interop' : `metadata.${INTEROP_KEY}`);
      if (issues.length) throw new PersonaValidationError(issues, 'interop record');
      return stored as InteropRecord;
    }
  }
  return undefined;
}

/**
 * {@link exportPersona} with the fidelity report of what was written: each field of the document
 * mapped from the persona, kept from the record (as imported), or approximated; and each persona
 * field the format has no place for, dropped.
 */
export async function exportPersonaWithReport(persona: PersonaConfiguration, options: ExportOptions): Promise<ExportResult> {
  const format = options?.format;
  if (format === 'letta-af') {
    throw new PersonaValidationError([{ path: 'format', constraint: 'readOnly', message: 'letta-af is read only: export as card-v3, eliza or native' }], 'options');
  }
  if (!FORMATS.includes(format)) {
    throw new PersonaValidationError([{ path: 'format', constraint: 'isIn', message: 'format must be card-v1, card-v2, card-v3, eliza or native' }], 'options');
  }
  if (options.png != null && !format.startsWith('card-')) {
    throw new PersonaValidationError([{ path: 'png', constraint: 'cardOnly', message: 'only character cards can be written into a PNG' }], 'options');
  }
  if (options.png != null && !(Buffer.isBuffer(options.png) && isPng(options.png))) {
    throw new PersonaValidationError([{ path: 'png', constraint: 'isPng', message: 'png must be the bytes of a PNG image' }], 'options');
  }
  if (!(persona instanceof PersonaConfiguration)) {
    throw new PersonaValidationError([{ path: '', constraint: 'isPersona', message: 'only a PersonaConfiguration can be exported' }], 'persona');
  }
  // A persona may have been changed by hand since it was built: toPlain refuses runaway nesting,
  // this refuses what JSON cannot carry, both with the path, before anything else walks it.
  const plain = toPlain(persona);
  assertJsonTree(plain, MAX_JSON_DEPTH, 'PersonaConfiguration');
  if (format === 'native') return { document: plain, warnings: [], report: [{ field: '', status: 'mapped', persona: '', note: 'our native JSON' }] };
  const docFormat = format as DocFormat;
  const record = recordFor(plain, format);
  const metadata = isObject(plain.metadata) ? plain.metadata : {};
  const { [INTEROP_KEY]: _interop, ...ownMetadata } = metadata;
  const { interop: _record, ...rest } = plain;
  const source: Json = { ...rest, metadata: ownMetadata };
  const skeleton = format === 'eliza' ? elizaSkeleton() : cardSkeleton(format as CardVersion);
  let doc: Json;
  try {
    doc = writeDocument(source, FIELDS[docFormat], record, skeleton);
  } catch (error) {
    // Every shape the writers read is checked above; should a record still trip one, the caller
    // gets a typed error naming the record, not the TypeError.
    if (error instanceof PersonaError) throw error;
    throw new PersonaValidationError([{ path: 'interop', constraint: 'interopRecord', message: `the interop record cannot be written as ${format}` }], 'interop record');
  }
  if (record?.copies && isObject(doc.data)) {
    for (const key of record.copies) {
      const path = hasOwn(ROOT_COPIES, key) ? ROOT_COPIES[key] : undefined;
      const copy = path ? getPath(doc.data, path) : { present: false, value: undefined };
      if (copy.present) doc[key] = clone(copy.value);
    }
  }
  const changed = !record || !unchangedSince(source, FIELDS[docFormat], record);
  if (changed && format !== 'eliza') completeCard(doc, format as CardVersion);
  const report = exportReport(docFormat, source, record, doc);
  if (!record) report.push(...carryAcross(docFormat, source, doc));
  report.push(...droppedFields(docFormat, source, !record));
  // What a record kept is written as it was: never a credential, and never an invalid document.
  stripCredentials(doc);
  const issues = documentIssues(docFormat, doc);
  if (issues.length) throw new PersonaValidationError(issues, `exported ${format} document`);
  if (options.png == null) return { document: doc, warnings: [], report };
  return { document: writeCardChunks(options.png, doc, format as CardVersion, source, record, report), warnings: [], report };
}

/**
 * Writes the card into every card chunk of the image: its own (`chara` for V1/V2, `ccv3` for
 * V3), `chara` beside `ccv3` for V3 as SillyTavern does, and any other card chunk the image
 * already holds, each converted to its version; no stale card survives. While the persona is
 * unchanged since the import, the other chunk of the source PNG is written back as it was.
 */
function writeCardChunks(png: Buffer, doc: Json, format: CardVersion, persona: Json, record: InteropRecord | undefined, report: FidelityReport): Buffer {
  let present: Map<string, string>;
  try {
    present = readTextChunks(png);
  } catch (error) {
    throw new PersonaValidationError([{ path: 'png', constraint: 'isPng', message: `png is not a readable PNG: ${(error as Error).message}` }], 'options');
  }
  const own = CARD_CHUNK[format];
  const docs: Record<string, Json> = { [own]: doc };
  const wanted = new Set<'chara' | 'ccv3'>((['chara', 'ccv3'] as const).filter((k) => present.has(k)));
  if (format === 'card-v3') wanted.add('chara');
  wanted.delete(own);
  const unchanged = record ? unchangedSince(persona, FIELDS[format], record) : false;
  for (const keyword of wanted) {
    const kept = unchanged ? record?.chunks?.[keyword] : undefined;
    const version: CardVersion = keyword === 'ccv3' ? 'card-v3' : isObject(kept) && !cardVersionOf(kept) ? 'card-v1' : 'card-v2';
    let other: Json;
    if (kept === 'swap' && version !== 'card-v1' && format !== 'card-v1') other = swapSpec(doc, version);
    else if (isObject(kept)) other = clone(kept);
    else {
      other = convertCard(doc, format, version);
      if (kept === undefined) completeCard(other, version);
    }
    stripCredentials(other);
    docs[keyword] = other;
    report.push({ field: `PNG chunk ${keyword}`, status: kept !== undefined ? 'kept' : 'mapped', note: kept !== undefined ? 'as it was in the source image' : `the same card as ${LABELS[version].replace(/^an? /, '')}` });
  }
  const texts = Object.fromEntries(Object.entries(docs).map(([k, d]) => [k, Buffer.from(JSON.stringify(d), 'utf8').toString('base64')]));
  return writeTextChunks(png, texts);
}

/** Per mapped field of an export: from the persona (`mapped`), or as imported (`kept`); the record's remainder `kept`. */
function exportReport(format: DocFormat, persona: Json, record: InteropRecord | undefined, doc: Json): FidelityReport {
  const report: FidelityReport = [];
  for (const field of FIELDS[format]) {
    if (!getPath(doc, field.key).present) continue;
    const info = record && Object.prototype.hasOwnProperty.call(record.fields, field.key) ? record.fields[field.key] : undefined;
    const unchanged = info && digest(persona, field.personaPaths) === info.derived;
    const entry: FidelityEntry = { field: field.key, status: 'mapped', persona: field.personaPaths.join(', ') };
    if (unchanged && 'original' in info) Object.assign(entry, { status: 'kept', note: 'as imported (the persona holds an approximation)' });
    report.push(entry);
  }
  if (record) for (const key of Object.keys(record.remainder)) if (key !== 'spec' && key !== 'spec_version') report.push({ field: key, status: 'kept', note: 'from the interchange record' });
  return report;
}

const DEFAULTS = (() => {
  let cached: Json | undefined;
  return () => (cached ??= toPlain(PersonaConfiguration.create({ name: 'x', slug: 'x', createdBy: 'x' })));
})();

/** What each format carries of a persona, by top-level field (beyond the mapped fields: the cross-format approximations). */
const CARRIED: Record<DocFormat, string[]> = {
  'card-v1': ['name', 'description', 'traits'],
  'card-v2': ['name', 'description', 'instructions', 'traits', 'tags', 'knowledgeDomains', 'behaviorRules'],
  'card-v3': ['name', 'description', 'instructions', 'traits', 'tags', 'knowledgeDomains', 'behaviorRules'],
  eliza: ['name', 'description', 'instructions', 'traits', 'knowledgeDomains', 'behaviorRules', 'voiceConfig', 'modelPreferences'],
};

/** The persona fields an export has no place for (set, and not at their defaults): `dropped`. */
function droppedFields(format: DocFormat, persona: Json, cross: boolean): FidelityReport {
  const defaults = DEFAULTS();
  const candidates = ['description', 'instructions', 'traits', 'responseStyle', 'knowledgeDomains', 'behaviorRules', 'memoryConfig', 'voiceConfig', 'temperature', 'maxTokens', 'modelPreferences', 'tags', 'interactionMode'];
  const carried = new Set(CARRIED[format]);
  if (!cross) carried.delete('behaviorRules');
  return candidates
    .filter((key) => !carried.has(key) && persona[key] !== undefined && !same(persona[key], defaults[key]) && !(Array.isArray(persona[key]) && !(persona[key] as unknown[]).length))
    .map((key) => ({ field: '', status: 'dropped' as const, persona: key, note: `${LABELS[format]} has no place for it` }));
}

/**
 * Cross-format approximations, for an export with no record of its format: what the target can
 * hold of fields it does not map one to one. A card gets the persona's boolean traits (Eliza
 * adjectives) as its `personality` when it has no personality text, and its behavior rules (Eliza
 * style) as lines of its `system_prompt`; an Eliza character gets a card's personality text as
 * `adjectives` (a comma list) when it has no boolean traits.
 */
function carryAcross(format: DocFormat, persona: Json, doc: Json): FidelityReport {
  const traits = Array.isArray(persona.traits) ? (persona.traits as Json[]) : [];
  const flags = traits.filter((t) => t.value === true).map((t) => String(t.name));
  const personality = traits.find((t) => t.name === 'personality' && typeof t.value === 'string')?.value as string | undefined;
  const rules = Array.isArray(persona.behaviorRules) ? (persona.behaviorRules as Json[]) : [];
  const report: FidelityReport = [];
  if (format === 'eliza') {
    const adjectives = doc.adjectives as string[];
    if (!adjectives.length && personality) {
      const parts = personality.split(/\s*[,;]\s*/).map((p) => p.trim()).filter(Boolean);
      if (parts.length && parts.every((p) => p.length <= 50)) {
        doc.adjectives = [...new Set(parts)];
        report.push({ field: 'adjectives', status: 'approximated', persona: 'traits#personality', note: 'the personality text, split on commas' });
      } else {
        doc.bio = [...(Array.isArray(doc.bio) ? (doc.bio as string[]) : typeof doc.bio === 'string' && doc.bio ? [doc.bio] : []), `Personality: ${personality}`];
        report.push({ field: 'bio', status: 'approximated', persona: 'traits#personality', note: 'the personality text, as a last line of the bio' });
      }
    }
    return report;
  }
  const data = (format === 'card-v1' ? doc : doc.data) as Json;
  if (!personality && flags.length && !data.personality) {
    data.personality = flags.join(', ');
    report.push({ field: format === 'card-v1' ? 'personality' : 'data.personality', status: 'approximated', persona: 'traits', note: 'the boolean traits (Eliza adjectives), joined by commas' });
  }
  if (format !== 'card-v1' && rules.length) {
    const lines = rules.map((r) => (r.condition === 'always' ? `- ${r.action}` : `- When ${r.condition}: ${r.action}`));
    const prompt = typeof data.system_prompt === 'string' ? data.system_prompt : '';
    data.system_prompt = `${prompt}${prompt ? '\n\n' : ''}Rules:\n${lines.join('\n')}`;
    report.push({ field: 'data.system_prompt', status: 'approximated', persona: 'instructions, behaviorRules', note: 'the behavior rules (Eliza style) as lines after the instructions' });
  }
  return report;
}

/** What the strict import checks find wrong with a document of `format` (none for what `exportPersona` writes). */
export function documentIssues(format: DocFormat | 'card-v2' | 'card-v3', doc: Json): ValidationIssue[] {
  const ctx: ReadContext = { warnings: [], lenient: false, issues: [] };
  if (format === 'eliza') checkEliza(doc, ctx);
  else checkCard(doc, format, ctx);
  return ctx.issues;
}

export type { FidelityEntry, FidelityReport, FidelityStatus } from './report';
export { formatReport, summarizeReport } from './report';
