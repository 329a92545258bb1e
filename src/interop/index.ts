import { PersonaError, PersonaValidationError, ValidationIssue } from '../errors';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { findJsonProblem, formatPath, JsonProblem, MAX_JSON_DEPTH, SLUG_PATTERN, UUID_PATTERN } from '../validation/constraints';
import { createModel, Model, ModelInput, toPlain } from '../validation/model';
import { CARD_FIELDS, cardSkeleton, cardVersionOf, CardVersion, checkCard, looksLikeV1Card } from './card';
import { clone, FieldMap, INTEROP_KEY, InteropRecord, Json, ReadContext, readDocument, recordIssues, throwIssues, writeDocument } from './codec';
import { checkEliza, ELIZA_FIELDS, elizaSkeleton, looksLikeEliza } from './eliza';
import { isPng, readTextChunks, writeTextChunks } from './png';
import { droppedWarning, stripCredentials } from './secrets';

/**
 * Deepest nesting of an imported card or Eliza file (objects and lists below its root). Its
 * record in `metadata.interop` puts each part at most 4 levels lower (`metadata.interop.fields
 * ["data.character_book"].extra.entries[i].entry…` for `data.character_book.entries[i]…`), and a
 * template holding the persona 1 more, so 48 stays within the {@link MAX_JSON_DEPTH} of a
 * persona with room to spare. Real documents nest far less: the full V2/V3 cards and the Eliza
 * v0/v1 files of the tests, every specified field set, nest 6 levels (their records 10).
 */
export const MAX_DOCUMENT_DEPTH = 48;

/** The formats `importPersona` reads and `exportPersona` writes. */
export type PersonaFormat = 'card-v2' | 'card-v3' | 'eliza' | 'native';

/** Options of {@link importPersona}. */
export type ImportOptions = {
  /** Default `auto`: PNG bytes, `spec`, Eliza's marks, else our native JSON. */
  format?: PersonaFormat | 'auto';
  /** Repair the known malformations (each repair a warning) instead of refusing them. */
  lenient?: boolean;
  /** Slug of the new persona (default: from its name). */
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

const FIELDS: Record<Exclude<PersonaFormat, 'native'>, FieldMap[]> = { 'card-v2': CARD_FIELDS, 'card-v3': CARD_FIELDS, eliza: ELIZA_FIELDS };

/** A slug from a name: lowercase ASCII words joined by hyphens. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug && SLUG_PATTERN.test(slug) && !UUID_PATTERN.test(slug) ? slug : 'persona';
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

/** The document in `input`: parsed from bytes or text, or the caller's object itself (`own`: not copied yet). */
function parseBytes(input: Buffer | string | object): { doc: unknown; own?: boolean } {
  if (Buffer.isBuffer(input)) {
    if (isPng(input)) {
      let texts: Map<string, string>;
      try {
        texts = readTextChunks(input);
      } catch (error) {
        throw new PersonaValidationError([{ path: '', constraint: 'isPng', message: `not a readable PNG: ${(error as Error).message}` }], 'document');
      }
      const keyword = texts.has('ccv3') ? 'ccv3' : texts.has('chara') ? 'chara' : undefined;
      if (!keyword) throw new PersonaValidationError([{ path: '', constraint: 'hasCard', message: 'the PNG carries no character card (no chara or ccv3 text chunk)' }], 'document');
      return { doc: parseJson(Buffer.from(texts.get(keyword) as string, 'base64').toString('utf8'), `PNG chunk ${keyword}`) };
    }
    return { doc: parseJson(input.toString('utf8'), 'document') };
  }
  if (typeof input === 'string') return { doc: parseJson(input, 'document') };
  return { doc: input, own: true };
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

function detect(doc: unknown): PersonaFormat {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return 'native';
  const d = doc as Json;
  const card = cardVersionOf(d);
  if (card) return card;
  if (looksLikeV1Card(d)) return 'card-v2';
  if (looksLikeEliza(d)) return 'eliza';
  return 'native';
}

/**
 * Reads a persona from a character card (V2, V3, JSON or PNG), an Eliza character or our native
 * JSON. Strict by default: a malformed document is a PersonaValidationError whose paths are those
 * of the source document; with `lenient` the known malformations are repaired and reported in
 * `warnings`. Secrets are never imported. What our model has no place for is kept in
 * `metadata.interop`, so that `exportPersona` in the same format gives the document back.
 */
export async function importPersona(input: Buffer | string | object, options: ImportOptions = {}): Promise<{ persona: PersonaConfiguration; warnings: string[] }> {
  options ??= {};
  if (input instanceof Model) input = toPlain(input);
  const parsed = parseBytes(input);
  const format = options.format && options.format !== 'auto' ? options.format : detect(parsed.doc);
  // Before anything walks it recursively (a copy, a check, a digest): a JSON tree, nested at most
  // as deep as a persona (native) or as an imported document may be, else refused with the path.
  assertJsonTree(parsed.doc, format === 'native' ? MAX_JSON_DEPTH : MAX_DOCUMENT_DEPTH, 'document', '', { childKeys: plainObjectKeys });
  // The caller's object is never changed: credentials are taken out of a copy.
  const doc = parsed.own ? clone(parsed.doc) : parsed.doc;
  const warnings: string[] = [];
  // Credentials never go further than this: not into the persona, its record, its digests or a warning.
  const strip = () => warnings.push(...stripCredentials(doc).map(droppedWarning));
  if (format === 'native') {
    strip();
    const persona = createModel(PersonaConfiguration, doc);
    return { persona, warnings };
  }
  const ctx: ReadContext = { warnings, lenient: !!options.lenient, issues: [] };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: 'the document must be a JSON object' }], 'document');
  }
  const source = doc as Json;
  strip();
  if (format === 'eliza') checkEliza(source, ctx);
  else checkCard(source, format, ctx);
  throwIssues(ctx, format);
  // A lenient repair can make a credential of parts (a string split into a list): look again.
  if (ctx.lenient) strip();

  const { persona: plain, record } = readDocument(format, source, FIELDS[format], ctx, (fragment) => {
    const name = String(fragment.name ?? 'persona');
    const input = { ...fragment, slug: options.slug ?? slugify(name), createdBy: options.createdBy ?? 'import' };
    return toPlain(createModel(PersonaConfiguration, input));
  });
  plain.metadata = { ...(plain.metadata as Json | undefined), [INTEROP_KEY]: record };
  const persona = createModel(PersonaConfiguration, plain as ModelInput<PersonaConfiguration>);
  return { persona, warnings };
}

/**
 * Writes a persona as a character card (V2 or V3; PNG bytes when `png` is given), an Eliza
 * character or our native JSON. A persona imported from the same format comes back as the
 * document it came from, with the fields changed since then written anew.
 */
export async function exportPersona(persona: PersonaConfiguration, options: ExportOptions): Promise<object | Buffer> {
  const format = options?.format;
  if (!['card-v2', 'card-v3', 'eliza', 'native'].includes(format)) {
    throw new PersonaValidationError([{ path: 'format', constraint: 'isIn', message: 'format must be card-v2, card-v3, eliza or native' }], 'options');
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
  if (format === 'native') return plain;
  const metadata = isObject(plain.metadata) ? plain.metadata : {};
  const stored = metadata[INTEROP_KEY];
  // Only a record of this very format is used; anything else in `metadata.interop` is the owner's own data.
  const record = isObject(stored) && stored.format === format ? stored : undefined;
  if (record) {
    const issues = recordIssues(record, FIELDS[format]);
    if (issues.length) throw new PersonaValidationError(issues, 'interop record');
  }
  const { [INTEROP_KEY]: _interop, ...ownMetadata } = metadata;
  const source = { ...plain, metadata: ownMetadata };
  const skeleton = format === 'eliza' ? elizaSkeleton() : cardSkeleton(format as CardVersion);
  let doc: Json;
  try {
    doc = writeDocument(source, FIELDS[format], record as InteropRecord | undefined, skeleton);
  } catch (error) {
    // Every shape the writers read is checked above; should a record still trip one, the caller
    // gets a typed error naming the record, not the TypeError.
    if (error instanceof PersonaError) throw error;
    throw new PersonaValidationError([{ path: `metadata.${INTEROP_KEY}`, constraint: 'interopRecord', message: `metadata.${INTEROP_KEY} cannot be written as ${format}` }], 'interop record');
  }
  // What a record kept is written as it was: never a credential, and never an invalid document.
  stripCredentials(doc);
  const issues = documentIssues(format, doc);
  if (issues.length) throw new PersonaValidationError(issues, `exported ${format} document`);
  if (options.png == null) return doc;
  const base64 = Buffer.from(JSON.stringify(doc), 'utf8').toString('base64');
  try {
    return writeTextChunks(options.png, format === 'card-v3' ? { ccv3: base64 } : { chara: base64 });
  } catch (error) {
    throw new PersonaValidationError([{ path: 'png', constraint: 'isPng', message: `png is not a readable PNG: ${(error as Error).message}` }], 'options');
  }
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What the strict import checks find wrong with a document of `format` (none for what `exportPersona` writes). */
export function documentIssues(format: Exclude<PersonaFormat, 'native'>, doc: Json): ValidationIssue[] {
  const ctx: ReadContext = { warnings: [], lenient: false, issues: [] };
  if (format === 'eliza') checkEliza(doc, ctx);
  else checkCard(doc, format, ctx);
  return ctx.issues;
}
