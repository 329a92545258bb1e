import { Body, Controller, Get, Inject, Param, Post, Query, Res, StreamableFile, UseFilters, UseGuards } from '@nestjs/common';
import type { Actor } from '../actor';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { exportPersona, importPersona, PersonaFormat } from '../interop';
import { personaJsonSchema } from '../interop/json-schema';
import { BLANK_PNG } from '../interop/png';
import { STORE_KEPT_FIELDS } from '../models/field-roles';
import { PersonaStore } from '../services/persona-store';
import { toPlain } from '../validation/model';
import { CurrentActor, PersonaActorGuard, PersonaExceptionFilter, Reply, tagged } from './http';

type Json = Record<string, unknown>;

/** The formats `GET /personas/:idOrSlug/export?format=` writes. */
export const EXPORT_FORMATS = ['native', 'card-v2', 'card-v3', 'eliza'] as const;
/** What `POST /personas/import` reads (`auto`: PNG bytes, a card's `spec`, Eliza's marks, else native). */
export const IMPORT_FORMATS = ['auto', ...EXPORT_FORMATS] as const;
/** Longest `base64` of an import, in characters (a 6 MB file). */
export const MAX_IMPORT_BASE64 = 8_000_000;

const IMPORT_FIELDS = ['document', 'base64', 'format', 'lenient', 'slug'];

function refuse(issues: ValidationIssue[]): never {
  throw new PersonaValidationError(issues, 'request');
}

/**
 * The body of `POST /personas/import`, checked: exactly one of `document` (the parsed JSON of a
 * card, an Eliza character or a native persona) and `base64` (the file's bytes: a card PNG or
 * JSON text), with `format` (default `auto`), `lenient` and `slug`.
 */
function importRequest(body: unknown): { input: Buffer | object; format: PersonaFormat | 'auto'; lenient: boolean; slug?: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) refuse([{ path: '', constraint: 'isObject', message: 'the body must be a JSON object { document | base64, format?, lenient?, slug? }' }]);
  const b = body as Json;
  const issues: ValidationIssue[] = Object.keys(b)
    .filter((k) => !IMPORT_FIELDS.includes(k))
    .map((k) => ({ path: k, constraint: 'whitelistValidation', message: `unknown field "${k}"` }));
  const hasDocument = b.document !== undefined;
  const hasBase64 = b.base64 !== undefined;
  if (hasDocument === hasBase64) issues.push({ path: 'document', constraint: 'exclusiveWith', message: 'give exactly one of document (the JSON) and base64 (the file bytes)' });
  if (hasDocument && (b.document === null || typeof b.document !== 'object' || Array.isArray(b.document))) {
    issues.push({ path: 'document', constraint: 'isObject', message: 'document must be a JSON object' });
  }
  if (hasBase64 && (typeof b.base64 !== 'string' || b.base64.length > MAX_IMPORT_BASE64 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b.base64))) {
    issues.push({ path: 'base64', constraint: 'isBase64', message: `base64 must be the file's bytes in base64, at most ${MAX_IMPORT_BASE64} characters` });
  }
  if (b.format !== undefined && !(IMPORT_FORMATS as readonly unknown[]).includes(b.format)) issues.push({ path: 'format', constraint: 'isIn', message: `format must be one of ${IMPORT_FORMATS.join(', ')}` });
  if (b.lenient !== undefined && typeof b.lenient !== 'boolean') issues.push({ path: 'lenient', constraint: 'isBoolean', message: 'lenient must be a boolean' });
  if (b.slug !== undefined && (typeof b.slug !== 'string' || b.slug.length > 64)) issues.push({ path: 'slug', constraint: 'isSlug', message: 'slug must be a slug of at most 64 characters' });
  if (issues.length) refuse(issues);
  return {
    input: hasBase64 ? Buffer.from(b.base64 as string, 'base64') : (b.document as object),
    format: (b.format as PersonaFormat | 'auto' | undefined) ?? 'auto',
    lenient: b.lenient === true,
    slug: b.slug as string | undefined,
  };
}

/** Import, export and the JSON Schema, mounted by `PersonaModule.forRoot({ http: true })`; see docs/nestjs.md and docs/interop.md. */
@Controller()
@UseGuards(PersonaActorGuard)
@UseFilters(PersonaExceptionFilter)
export class InteropController {
  constructor(@Inject(PersonaStore) private readonly store: PersonaStore) {}

  /**
   * `POST /personas/import`: a character card (V2/V3, JSON or PNG), an Eliza character or our
   * native JSON becomes a new persona of the actor (private unless the document says public);
   * 201 with `{ persona, warnings }` (what was repaired or dropped, credentials by path only).
   * Unless `slug` is given, a taken slug becomes the first free `slug-N` (a warning says so).
   */
  @Post('personas/import')
  async import(@Body() body: unknown, @CurrentActor() actor: Actor, @Res({ passthrough: true }) res: Reply): Promise<Json> {
    const request = importRequest(body);
    const { persona, warnings } = await importPersona(request.input, { format: request.format, lenient: request.lenient, slug: request.slug, createdBy: actor.id });
    const input = toPlain(persona);
    // The store assigns identity and bookkeeping; the actor owns what it imports.
    for (const key of [...STORE_KEPT_FIELDS, 'createdBy']) delete input[key];
    if (request.slug !== undefined) input.slug = request.slug;
    // A slug the request did not ask for (made from the name, or the document's own) gets -2, -3, …
    // when taken, as the CLI import does: a clash must not tell whether another user's private
    // persona has that slug. A slug asked for explicitly is refused when taken, as on POST /personas.
    const created = await this.store.create(input as never, actor, { renameTakenSlugs: request.slug === undefined });
    if (created.slug !== input.slug) warnings.push(`slug "${String(input.slug)}" is taken: the persona is stored as "${created.slug}"`);
    return { persona: tagged(res, created), warnings };
  }

  /**
   * `GET /personas/:idOrSlug/export?format=native|card-v2|card-v3|eliza` (default native): the
   * persona as that document, sent as a download named after its slug; with `png=true` (card
   * formats) a PNG image carrying the card.
   */
  @Get('personas/:idOrSlug/export')
  async export(
    @Param('idOrSlug') idOrSlug: string,
    @Query('format') format: string | undefined,
    @Query('png') png: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Reply,
  ): Promise<unknown> {
    const chosen = format ?? 'native';
    const issues: ValidationIssue[] = [];
    if (!(EXPORT_FORMATS as readonly string[]).includes(chosen)) issues.push({ path: 'format', constraint: 'isIn', message: `format must be one of ${EXPORT_FORMATS.join(', ')}` });
    if (png !== undefined && png !== 'true' && png !== 'false') issues.push({ path: 'png', constraint: 'isBoolean', message: 'png must be true or false' });
    else if (png === 'true' && !chosen.startsWith('card-')) issues.push({ path: 'png', constraint: 'cardOnly', message: 'only character cards (card-v2, card-v3) can be written into a PNG' });
    if (issues.length) throw new PersonaValidationError(issues, 'query');
    const persona = await this.store.get(idOrSlug, actor);
    const asPng = png === 'true';
    const doc = await exportPersona(persona, { format: chosen as PersonaFormat, png: asPng ? BLANK_PNG : undefined });
    res.setHeader('Content-Disposition', `attachment; filename="${persona.slug}.${chosen}.${asPng ? 'png' : 'json'}"`);
    return Buffer.isBuffer(doc) ? new StreamableFile(doc, { type: 'image/png' }) : doc;
  }

  /** `GET /schemas/persona`: the JSON Schema of a persona (what the console's edit form is generated from). */
  @Get('schemas/persona')
  schema(): object {
    return personaJsonSchema();
  }
}
