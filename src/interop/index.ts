import { PersonaValidationError } from '../errors';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { SLUG_PATTERN, UUID_PATTERN } from '../validation/constraints';
import { createModel, ModelInput, toPlain } from '../validation/model';
import { CARD_FIELDS, cardSkeleton, cardVersionOf, CardVersion, checkCard, looksLikeV1Card } from './card';
import { clone, FieldMap, INTEROP_KEY, InteropRecord, Json, ReadContext, readDocument, throwIssues, writeDocument } from './codec';
import { checkEliza, ELIZA_FIELDS, elizaSkeleton, looksLikeEliza } from './eliza';
import { isPng, readTextChunks, writeTextChunks } from './png';

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

function parseBytes(input: Buffer | string | object): { doc: unknown; fromPng?: 'chara' | 'ccv3' } {
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
      return { doc: parseJson(Buffer.from(texts.get(keyword) as string, 'base64').toString('utf8'), `PNG chunk ${keyword}`), fromPng: keyword };
    }
    return { doc: parseJson(input.toString('utf8'), 'document') };
  }
  if (typeof input === 'string') return { doc: parseJson(input, 'document') };
  return { doc: clone(input) };
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
  const { doc } = parseBytes(input);
  const format = options.format && options.format !== 'auto' ? options.format : detect(doc);
  const warnings: string[] = [];
  if (format === 'native') {
    const persona = createModel(PersonaConfiguration, doc);
    return { persona, warnings };
  }
  const ctx: ReadContext = { warnings, lenient: !!options.lenient, issues: [] };
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: 'the document must be a JSON object' }], 'document');
  }
  const source = doc as Json;
  if (format === 'eliza') checkEliza(source, ctx);
  else checkCard(source, format, ctx);
  throwIssues(ctx, format);

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
  if (options.png && !format.startsWith('card-')) {
    throw new PersonaValidationError([{ path: 'png', constraint: 'cardOnly', message: 'only character cards can be written into a PNG' }], 'options');
  }
  const plain = toPlain(persona);
  if (format === 'native') return plain;
  const metadata = (plain.metadata as Json | undefined) ?? {};
  const stored = metadata[INTEROP_KEY] as InteropRecord | undefined;
  const record = stored && stored.format === format ? stored : undefined;
  const { [INTEROP_KEY]: _interop, ...ownMetadata } = metadata;
  const source = { ...plain, metadata: ownMetadata };
  const skeleton = format === 'eliza' ? elizaSkeleton() : cardSkeleton(format as CardVersion);
  const doc = writeDocument(source, FIELDS[format], record, skeleton);
  if (!options.png) return doc;
  const base64 = Buffer.from(JSON.stringify(doc), 'utf8').toString('base64');
  return writeTextChunks(options.png, format === 'card-v3' ? { ccv3: base64 } : { chara: base64 });
}
