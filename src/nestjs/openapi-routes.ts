import { ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { PersonaStatus } from '../enums';
import { personaJsonSchema } from '../interop/json-schema';
import { MAX_MESSAGE_LENGTH, PERSONA_SORT_KEYS } from '../services/persona-store';
import { MAX_CONTEXT_LENGTH, MAX_TOKEN_BUDGET } from '../services/prompt-renderer';
import { TEMPLATE_SORT_KEYS } from '../services/template-service';
import { EXPORT_FORMATS, IMPORT_FORMATS, InteropController, MAX_IMPORT_BASE64 } from './interop.controller';
import { MeController } from './me.controller';
import { PersonasController } from './personas.controller';
import { ReleasesController } from './releases.controller';
import { TemplatesController } from './templates.controller';
import { MAX_VERSION_NUMBER } from '../validation/version-number';

/*
 * What the OpenAPI document says about each route beyond what @nestjs/swagger reads from the
 * controllers (paths, path parameters, methods, status of success): the summary, the query
 * parameters, the body, the success schema and every error. Kept here, applied with
 * @nestjs/swagger's own decorators when the document is first built, so that the controllers
 * (and the models: one class per model, no @ApiProperty) load without @nestjs/swagger, an
 * optional peer dependency. test/nestjs/openapi.test.ts fails for a route without an entry.
 */

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });
/** A page of a cursor-paged list of `item` (GET /personas, GET /templates). */
const pageOf = (item: string): Schema => ({
  type: 'object',
  required: ['items', 'total', 'nextCursor'],
  properties: {
    items: arrayOf(ref(item)),
    total: { type: ['integer', 'null'], minimum: 0, description: 'all matching items; null with withTotal=false' },
    nextCursor: { type: ['string', 'null'], description: 'pass as cursor for the next page; null on the last page' },
  },
});

/** An error answer: its status and when it happens. */
type ErrorCase = [status: number, description: string];
type Query = { name: string; description: string; schema: Schema; required?: boolean };

/** The description of one route. */
export type RouteDoc = {
  summary: string;
  description?: string;
  /** The request body's schema (JSON). */
  body?: Schema;
  bodyRequired?: boolean;
  query?: Query[];
  /** Status and schema of success (status omitted: Nest's default, 201 for POST, else 200). */
  ok: { status: number; description: string; schema?: Schema; content?: Record<string, { schema: Schema }> };
  /** The errors beyond 401 (every route) and 503 (every route that reads the database). */
  errors?: ErrorCase[];
  /** Writes that take If-Match. */
  ifMatch?: boolean;
  /** Routes that never touch the database (no 503). */
  noDatabase?: boolean;
};

const NOT_FOUND: ErrorCase = [404, 'no persona with that id or slug, or one the actor may not read (`PERSONA_NOT_FOUND`)'];
const INVALID: ErrorCase = [400, 'invalid input: `issues` names the path and rule of each problem (`VALIDATION_FAILED`)'];
const FORBIDDEN: ErrorCase = [403, 'the actor may read the persona but not change it (`ACCESS_DENIED`)'];
const STALE_BODY: ErrorCase = [409, '`expectedVersion` is not the current version (`VERSION_CONFLICT`, with `expectedVersion` and `actualVersion`), or an inheritance cycle or too deep a lineage'];
const STALE_HEADER: ErrorCase = [412, '`If-Match` names a version that is no longer current (`VERSION_CONFLICT`, with `expectedVersion` and `actualVersion`)'];

const idOrSlugQuery = (name: string, description: string, schema: Schema, required = false): Query => ({ name, description, schema, required });

const listQueries = (sortKeys: readonly string[], extra: Query[]): Query[] => [
  idOrSlugQuery('search', 'case-insensitive substring of the name or slug (at most 200 characters)', { type: 'string', maxLength: 200 }),
  idOrSlugQuery('tag', 'only items with this tag', { type: 'string', maxLength: 50 }),
  idOrSlugQuery('owner', 'only items created by this actor id', { type: 'string', maxLength: 255 }),
  idOrSlugQuery('isPublic', 'only public (true) or private (false) items', { type: 'boolean' }),
  idOrSlugQuery('limit', 'page size', { type: 'integer', minimum: 1, maximum: 500, default: 50 }),
  idOrSlugQuery('offset', 'items to skip', { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 }),
  idOrSlugQuery('orderBy', 'sort key, `-` in front for descending', { type: 'string', enum: sortKeys.flatMap((k) => [k, `-${k}`]), default: 'name' }),
  idOrSlugQuery('cursor', "the previous page's `nextCursor`: the page after it, by keyset (offset must be 0)", { type: 'string', maxLength: 1_000 }),
  idOrSlugQuery('withTotal', '`false`: count nothing (`total` is null), for large lists', { type: 'boolean', default: true }),
  ...extra,
];

/** Every route of the REST API, by `Controller.method`. */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'PersonasController.create': {
    summary: 'Create a persona',
    description: 'The actor becomes its owner; it is private unless `isPublic` is true. 201 with the persona and its ETag.',
    body: ref('PersonaConfiguration'),
    ok: { status: 201, description: 'the new persona (ETag: its version)', schema: ref('PersonaConfiguration') },
    errors: [INVALID, [409, 'the slug is taken, or the parent link would make a cycle (`VERSION_CONFLICT`/`INHERITANCE_CYCLE`)'], [404, 'the parent or template does not exist or is not readable']],
  },
  'PersonasController.list': {
    summary: 'List personas',
    description: 'The personas the actor may read: public ones, its own, and all for an admin. Server-side pages.',
    query: listQueries(PERSONA_SORT_KEYS, [idOrSlugQuery('status', 'only personas in this status', { type: 'string', enum: Object.values(PersonaStatus) })]),
    ok: { status: 200, description: 'one page and the total matching', schema: ref('PersonaPage') },
    errors: [INVALID],
  },
  'PersonasController.get': {
    summary: 'Read a persona',
    ok: { status: 200, description: 'the persona (ETag: its version)', schema: ref('PersonaConfiguration') },
    errors: [NOT_FOUND],
  },
  'PersonasController.update': {
    summary: 'Change a persona',
    description: 'A partial persona. The version it is based on is `If-Match: "<version>"` (412 when stale) or `expectedVersion` in the body (409 when stale); `message` (at most 500 characters) is kept on the revision.',
    body: ref('PersonaPatch'),
    ifMatch: true,
    ok: { status: 200, description: 'the persona as saved (ETag: its new version)', schema: ref('PersonaConfiguration') },
    errors: [INVALID, FORBIDDEN, NOT_FOUND, STALE_BODY, STALE_HEADER],
  },
  'PersonasController.remove': {
    summary: 'Delete a persona',
    ok: { status: 204, description: 'deleted' },
    errors: [FORBIDDEN, NOT_FOUND, [409, 'other personas inherit from it (`PERSONA_IN_USE`, with the `children` the actor may see)']],
  },
  'PersonasController.resolved': {
    summary: 'The resolved persona, with where each value came from',
    description: 'The persona after inheritance: `lineage` from the root ancestor to the persona, `provenance` maps each field path to the id of the persona that gave it.',
    ok: { status: 200, description: 'persona, lineage and provenance', schema: ref('ResolvedPersona') },
    errors: [NOT_FOUND, [409, 'the lineage is too deep (`INHERITANCE_TOO_DEEP`)']],
  },
  'PersonasController.render': {
    summary: 'Render the system prompt',
    description: 'The prompt of the version a label serves (default `latest`), for a conversation `context`, within a `tokenBudget`: the text, tokens per section, what was dropped and why, which domains became active.',
    body: ref('RenderRequest'),
    bodyRequired: false,
    ok: { status: 200, description: 'the rendered prompt', schema: ref('RenderedPrompt') },
    errors: [INVALID, NOT_FOUND, [422, 'identity and mandatory rules alone exceed the budget (`BUDGET_EXCEEDED`, with `requiredTokens`)'], [404, 'no such label (`LABEL_NOT_FOUND`)']],
  },
  'PersonasController.history': {
    summary: 'Versions of a persona',
    description: 'The newest `limit` versions the actor may see (below `before` when given), oldest first, with who changed it, when, the change message, the labels on it and the snapshot. For the page before, pass the first version of this one as `before`.',
    query: [
      idOrSlugQuery('limit', 'versions per page', { type: 'integer', minimum: 1, maximum: 200, default: 50 }),
      idOrSlugQuery('before', 'only versions below this one', { type: 'integer', minimum: 1 }),
    ],
    ok: { status: 200, description: 'the revisions', schema: arrayOf(ref('Revision')) },
    errors: [INVALID, NOT_FOUND],
  },
  'PersonasController.revert': {
    summary: 'Revert to an earlier version',
    description: 'Saves the content of `toVersion` as a new version (history is never rewritten).',
    body: ref('RevertRequest'),
    ifMatch: true,
    ok: { status: 200, description: 'the persona as saved (ETag: its new version)', schema: ref('PersonaConfiguration') },
    errors: [INVALID, FORBIDDEN, NOT_FOUND, [404, 'no such version, or one the actor may not see (`REVISION_NOT_FOUND`)'], STALE_BODY, STALE_HEADER],
  },
  'PersonasController.record': {
    summary: 'Record one interaction',
    description: 'Needs the owner, an admin, or the role `metrics:write`, on a persona the actor can read.',
    body: ref('InteractionEvent'),
    ok: { status: 204, description: 'recorded' },
    errors: [INVALID, FORBIDDEN, NOT_FOUND],
  },
  'PersonasController.metricsByVersion': {
    summary: 'Metrics per version',
    ok: { status: 200, description: 'the metrics of each version with events', schema: arrayOf(ref('VersionMetrics')) },
    errors: [NOT_FOUND],
  },
  'PersonasController.metricsSeries': {
    summary: 'Metrics over time',
    query: [
      idOrSlugQuery('bucket', 'bucket size', { type: 'string', enum: ['hour', 'day'] }, true),
      idOrSlugQuery('from', 'start, ISO 8601 with a zone (default 30 days before `to`)', { type: 'string', format: 'date-time' }),
      idOrSlugQuery('to', 'end, ISO 8601 with a zone (default now)', { type: 'string', format: 'date-time' }),
      idOrSlugQuery('version', 'only events of this version', { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER }),
    ],
    ok: { status: 200, description: 'one point per bucket (at most 1,000)', schema: arrayOf(ref('MetricsPoint')) },
    errors: [INVALID, NOT_FOUND],
  },
  'PersonasController.getMetrics': {
    summary: 'Metrics of a persona',
    ok: { status: 200, description: 'the aggregate metrics', schema: ref('PersonaMetrics') },
    errors: [NOT_FOUND],
  },
  'ReleasesController.diff': {
    summary: 'Changes between two versions',
    query: [
      idOrSlugQuery('from', 'a version', { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER }, true),
      idOrSlugQuery('to', 'another version', { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER }, true),
    ],
    ok: { status: 200, description: 'the changes, by field path', schema: ref('PersonaDiff') },
    errors: [INVALID, NOT_FOUND, [404, 'no such version, or one the actor may not see (`REVISION_NOT_FOUND`)']],
  },
  'ReleasesController.labels': {
    summary: 'Labels of a persona',
    ok: { status: 200, description: 'each label and what it serves', schema: arrayOf(ref('Label')) },
    errors: [NOT_FOUND],
  },
  'ReleasesController.label': {
    summary: 'One label',
    ok: { status: 200, description: 'the label', schema: ref('Label') },
    errors: [NOT_FOUND, [404, 'the persona has no label of that name (`LABEL_NOT_FOUND`)']],
  },
  'ReleasesController.labelHistory': {
    summary: 'Moves of the labels',
    ok: { status: 200, description: 'every move the actor may see, oldest first', schema: arrayOf(ref('LabelMove')) },
    errors: [NOT_FOUND],
  },
  'ReleasesController.setLabel': {
    summary: 'Move (promote) a label',
    description: "Points the label at a version or a weighted split, through the label's policy: its roles and its render checks (the gate).",
    body: ref('LabelTarget'),
    ok: { status: 200, description: 'the label as moved', schema: ref('Label') },
    errors: [INVALID, FORBIDDEN, NOT_FOUND, [409, "the gate refused the promotion (`PROMOTION_BLOCKED`, with each check's `failures`)"]],
  },
  'ReleasesController.removeLabel': {
    summary: 'Remove a label',
    ok: { status: 204, description: 'removed' },
    errors: [FORBIDDEN, NOT_FOUND, [404, 'no such label (`LABEL_NOT_FOUND`)']],
  },
  'ReleasesController.policy': {
    summary: "A label's policy",
    ok: { status: 200, description: 'the roles that may move it and the checks a promotion must pass', schema: ref('LabelPolicy') },
    errors: [NOT_FOUND],
  },
  'ReleasesController.setPolicy': {
    summary: "Replace a label's policy",
    body: ref('LabelPolicy'),
    ok: { status: 204, description: 'saved' },
    errors: [INVALID, FORBIDDEN, NOT_FOUND],
  },
  'ReleasesController.removePolicy': {
    summary: "Remove a label's policy",
    ok: { status: 204, description: 'removed' },
    errors: [FORBIDDEN, NOT_FOUND],
  },
  'TemplatesController.list': {
    summary: 'List templates',
    query: listQueries(TEMPLATE_SORT_KEYS, [idOrSlugQuery('category', 'only templates of this category', { type: 'string', maxLength: 50 })]),
    ok: { status: 200, description: 'one page and the total matching', schema: ref('TemplatePage') },
    errors: [INVALID],
  },
  'TemplatesController.create': {
    summary: 'Create a template',
    body: ref('PersonaTemplate'),
    ok: { status: 201, description: 'the new template (ETag: its version)', schema: ref('PersonaTemplate') },
    errors: [INVALID, [409, 'the slug is taken']],
  },
  'TemplatesController.get': {
    summary: 'Read a template',
    ok: { status: 200, description: 'the template (ETag: its version)', schema: ref('PersonaTemplate') },
    errors: [[404, 'no template with that id or slug, or one the actor may not read']],
  },
  'TemplatesController.instantiate': {
    summary: 'Make a persona from a template',
    description: 'Customizations may set only the fields the template declares customizable; the new persona is private unless `isPublic` is true.',
    body: ref('InstantiateRequest'),
    ok: { status: 201, description: 'the new persona (ETag: its version)', schema: ref('PersonaConfiguration') },
    errors: [INVALID, [404, 'no template with that id or slug, or one the actor may not read'], [409, 'the slug is taken']],
  },
  'InteropController.import': {
    summary: 'Import a card, an Eliza character or a native persona',
    description: `A character card (V2/V3, JSON or PNG), an Eliza character or our JSON becomes a new persona of the actor. Send the parsed JSON as \`document\`, or the file's bytes as \`base64\` (at most ${MAX_IMPORT_BASE64.toLocaleString('en-US')} characters). Credentials in the file are never stored; the warnings name what was dropped or repaired.`,
    body: ref('ImportRequest'),
    ok: { status: 201, description: 'the new persona and the warnings', schema: ref('ImportResult') },
    errors: [INVALID, [409, 'the slug is taken'], [413, 'the body is larger than the server accepts']],
  },
  'InteropController.export': {
    summary: 'Export a persona',
    query: [
      idOrSlugQuery('format', 'the document to write', { type: 'string', enum: [...EXPORT_FORMATS], default: 'native' }),
      idOrSlugQuery('png', 'write the card into a PNG image (card formats only)', { type: 'boolean', default: false }),
    ],
    ok: { status: 200, description: 'the document (a download), or a PNG carrying the card', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } }, 'image/png': { schema: { type: 'string', format: 'binary' } } } },
    errors: [INVALID, NOT_FOUND],
  },
  'InteropController.schema': {
    summary: 'The JSON Schema of a persona',
    description: 'Draft-07, with `definitions`; what the console generates its edit form from.',
    ok: { status: 200, description: 'the schema', schema: { type: 'object', additionalProperties: true } },
    noDatabase: true,
  },
  'MeController.me': {
    summary: 'Who the request acts as',
    ok: { status: 200, description: 'the actor of the credentials', schema: ref('Actor') },
    noDatabase: true,
  },
};

/** The controllers whose routes ROUTE_DOCS describes, by name. */
export const DESCRIBED_CONTROLLERS = { PersonasController, ReleasesController, TemplatesController, InteropController, MeController };

let described = false;

/** Puts ROUTE_DOCS on the controllers' methods with @nestjs/swagger's decorators (once per process). */
export function describeRoutes(): void {
  if (described) return;
  described = true;
  for (const [name, controller] of Object.entries(DESCRIBED_CONTROLLERS)) {
    ApiTags(name.replace(/Controller$/, ''))(controller);
    const proto = controller.prototype as unknown as Record<string, unknown>;
    for (const method of Object.getOwnPropertyNames(proto)) {
      if (method === 'constructor' || typeof proto[method] !== 'function') continue;
      const doc = ROUTE_DOCS[`${name}.${method}`];
      if (!doc) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, method) as PropertyDescriptor;
      const apply = (decorator: MethodDecorator) => decorator(proto, method, descriptor);
      apply(ApiOperation({ summary: doc.summary, description: doc.description }));
      if (doc.body) apply(ApiBody({ schema: doc.body, required: doc.bodyRequired ?? true }));
      for (const q of doc.query ?? []) apply(ApiQuery({ name: q.name, description: q.description, required: q.required ?? false, schema: q.schema as never }));
      if (doc.ifMatch) apply(ApiHeader({ name: 'If-Match', required: false, description: 'the ETag of the version the change is based on, e.g. "3" (or send expectedVersion in the body)' }));
      apply(ApiResponse({ status: doc.ok.status, description: doc.ok.description, ...(doc.ok.schema ? { schema: doc.ok.schema as never } : {}), ...(doc.ok.content ? { content: doc.ok.content as never } : {}) }));
      const errors = new Map<number, string[]>();
      for (const [status, text] of [...(doc.errors ?? []), [401, 'no valid credentials (`UNAUTHENTICATED`)'] as ErrorCase, ...(doc.noDatabase ? [] : [[503, 'the database is unavailable (`STORAGE_FAILED`)'] as ErrorCase])]) {
        errors.set(status, [...(errors.get(status) ?? []), text]);
      }
      for (const [status, texts] of errors) {
        apply(ApiResponse({ status, description: texts.join('; or '), schema: ref(status === 400 ? 'ValidationError' : status === 409 || status === 412 ? 'ConflictError' : 'Error') as never }));
      }
    }
  }
}

/** Rewrites `$ref`s to components and replaces one to a class without a schema (a plain `object` field) by `{ type: 'object' }`. */
function fixRefs(node: unknown, known: Set<string>, from: string): unknown {
  if (Array.isArray(node)) return node.map((n) => fixRefs(n, known, from));
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const name = value.slice(from.length);
      if (!known.has(name)) return { type: 'object' };
      out.$ref = `#/components/schemas/${name}`;
    } else out[key] = fixRefs(value, known, from);
  }
  return out;
}

const ERROR_PROPERTIES: Schema = {
  statusCode: { type: 'integer' },
  code: { type: 'string', description: 'stable error code, e.g. PERSONA_NOT_FOUND' },
  message: { type: 'string' },
};

/**
 * The component schemas: the persona models from their class-validator decorators (through
 * class-validator-jsonschema, as `personaJsonSchema` builds them), and the request and answer
 * shapes of the routes.
 */
export function openApiComponents(): Record<string, Schema> {
  const persona = personaJsonSchema() as { definitions: Record<string, Schema> };
  const others = validationMetadatasToSchemas({
    classValidatorMetadataStorage: getMetadataStorage(),
    classTransformerMetadataStorage: defaultMetadataStorage as never,
    refPointerPrefix: '#/definitions/',
  }) as Record<string, Schema>;
  const models: Record<string, Schema> = { ...persona.definitions };
  for (const name of ['CustomizableField', 'PersonaTemplate', 'PersonaMetrics']) if (others[name] && !models[name]) models[name] = others[name];
  const known = new Set(Object.keys(models));
  const schemas: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(models)) schemas[name] = fixRefs(schema, known, '#/definitions/') as Schema;
  const personaProperties = (schemas.PersonaConfiguration.properties ?? {}) as Record<string, Schema>;
  if (schemas.PersonaMetrics) {
    // The derived figures are getters (no decorators): toPlain sends them after the counters.
    const nullable = (description: string): Schema => ({ type: ['number', 'null'], description });
    const metrics = schemas.PersonaMetrics as { properties?: Record<string, Schema>; required?: string[] };
    metrics.properties = {
      ...metrics.properties,
      successRate: nullable('successful / total, 0–1; null without interactions'),
      averageResponseTimeMs: nullable('mean latency in ms'),
      averageTokensPerInteraction: nullable('mean input + output tokens'),
      averageRating: nullable('mean rating 1–5 over rated interactions'),
      p95ResponseTimeMs: nullable('95th percentile latency in ms'),
    };
    metrics.required = [...new Set([...(metrics.required ?? []), 'successRate', 'averageResponseTimeMs', 'averageTokensPerInteraction', 'averageRating', 'p95ResponseTimeMs'])];
  }
  return openObjects({
    ...schemas,
    PersonaPatch: {
      type: 'object',
      description: 'Any of the fields of a persona, with the version the change is based on and a change message.',
      properties: {
        ...personaProperties,
        expectedVersion: { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER, description: 'instead of If-Match: a stale one is 409' },
        message: { type: 'string', maxLength: MAX_MESSAGE_LENGTH, description: 'kept on the revision' },
      },
      additionalProperties: false,
    },
    PersonaPage: pageOf('PersonaConfiguration'),
    TemplatePage: pageOf('PersonaTemplate'),
    ResolvedPersona: {
      type: 'object',
      required: ['persona', 'lineage', 'provenance'],
      properties: {
        persona: ref('PersonaConfiguration'),
        lineage: { type: 'array', items: { type: 'string' }, description: 'ids from the persona itself up to its root ancestor (nearest first)' },
        provenance: { type: 'object', additionalProperties: { type: 'string' }, description: 'field path or entry → id of the persona that gave the value, or "default"' },
      },
    },
    RenderRequest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        context: { type: 'string', maxLength: MAX_CONTEXT_LENGTH, description: 'the conversation so far: activates knowledge domains by keyword' },
        tokenBudget: { type: 'integer', minimum: 1, maximum: MAX_TOKEN_BUDGET },
        label: { type: 'string', description: 'the label whose version to render (default latest)' },
        subject: { type: 'string', description: 'who is served: picks a version of a split label stably' },
        // The provider request preview of the runtime release (issue #16, docs/runtime.md).
        provider: { type: 'string', enum: ['openai-chat', 'openai-responses', 'anthropic', 'gemini'], description: 'also build the request body for this provider (answer field `request`)' },
        messages: {
          type: 'array',
          maxItems: 1_000,
          description: 'the conversation after the system prompt, oldest first (with `provider`)',
          items: { type: 'object', required: ['role', 'content'], additionalProperties: false, properties: { role: { type: 'string', enum: ['user', 'assistant'] }, content: { type: 'string', maxLength: 1_000_000 } } },
        },
        model: { type: 'string', minLength: 1, maxLength: 200, description: "the provider's model (default: the persona's first preference of that provider)" },
        maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'response limit of the provider request' },
      },
    },
    RenderedPrompt: {
      type: 'object',
      required: ['text', 'tokens', 'sections', 'dropped', 'activeDomains'],
      properties: {
        text: { type: 'string' },
        tokens: { type: 'integer' },
        sections: arrayOf({ type: 'object', properties: { name: { type: 'string' }, tokens: { type: 'integer' } } }),
        dropped: arrayOf({ type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, reason: { type: 'string' } } }),
        activeDomains: arrayOf({ type: 'string' }),
        model: { type: ['string', 'null'] },
        temperature: { type: 'number' },
        maxTokens: { type: ['integer', 'null'] },
        version: { type: 'integer' },
        label: { type: ['string', 'null'] },
        personaId: { type: ['string', 'null'] },
        activations: arrayOf({ type: 'object', required: ['name', 'matched'], properties: { name: { type: 'string' }, matched: { type: ['string', 'null'], description: 'the keyword or topic that activated the domain; null for an always-active one' } } }),
        stablePrefixLength: { type: 'integer', minimum: 0, description: 'text.slice(0, stablePrefixLength) is the same for every context (cacheable)' },
        request: {
          type: 'object',
          description: 'with `provider`: the provider request body built from the prompt',
          required: ['provider', 'model', 'body', 'warnings'],
          properties: { provider: { type: 'string' }, model: { type: 'string' }, body: { type: 'object', additionalProperties: true }, warnings: arrayOf({ type: 'string' }) },
        },
      },
    },
    Revision: {
      type: 'object',
      required: ['version', 'changedBy', 'changedAt', 'message', 'labels', 'snapshot'],
      properties: {
        version: { type: 'integer' },
        changedBy: { type: 'string' },
        changedAt: { type: 'string', format: 'date-time' },
        message: { type: ['string', 'null'] },
        labels: arrayOf({ type: 'string' }),
        snapshot: { type: 'object' },
      },
    },
    RevertRequest: {
      type: 'object',
      required: ['toVersion'],
      properties: { toVersion: { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER }, expectedVersion: { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER }, message: { type: 'string', maxLength: MAX_MESSAGE_LENGTH } },
    },
    InteractionEvent: {
      type: 'object',
      required: ['success', 'latencyMs'],
      properties: {
        success: { type: 'boolean' },
        latencyMs: { type: 'number', minimum: 0, maximum: 86_400_000 },
        inputTokens: { type: 'integer', minimum: 0, maximum: 10_000_000 },
        outputTokens: { type: 'integer', minimum: 0, maximum: 10_000_000 },
        rating: { type: ['integer', 'null'], minimum: 1, maximum: 5 },
        at: { type: 'string', format: 'date-time', description: 'with a zone; from 2000 to five minutes from now' },
        version: { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER },
      },
    },
    VersionMetrics: { type: 'object', required: ['version', 'metrics'], properties: { version: { type: 'integer' }, metrics: ref('PersonaMetrics') } },
    MetricsPoint: {
      type: 'object',
      required: ['at', 'interactions', 'successRate', 'averageResponseTimeMs', 'p95ResponseTimeMs', 'averageRating'],
      properties: {
        at: { type: 'string', format: 'date-time' },
        interactions: { type: 'integer' },
        successRate: { type: ['number', 'null'] },
        averageResponseTimeMs: { type: ['number', 'null'] },
        p95ResponseTimeMs: { type: ['number', 'null'] },
        averageRating: { type: ['number', 'null'] },
      },
    },
    PersonaDiff: {
      type: 'object',
      required: ['from', 'to', 'changes'],
      properties: {
        from: { type: 'integer' },
        to: { type: 'integer' },
        changes: arrayOf({ type: 'object', required: ['path', 'kind'], properties: { path: { type: 'string' }, kind: { type: 'string', enum: ['added', 'removed', 'changed'] }, before: {}, after: {} } }),
      },
    },
    SplitMember: { type: 'object', required: ['version', 'weight'], properties: { version: { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER }, weight: { type: 'number', exclusiveMinimum: 0 } } },
    LabelTarget: {
      oneOf: [
        { type: 'object', required: ['version'], properties: { version: { type: 'integer', minimum: 1, maximum: MAX_VERSION_NUMBER } }, additionalProperties: false },
        { type: 'object', required: ['split'], properties: { split: arrayOf(ref('SplitMember')) }, additionalProperties: false },
      ],
    },
    Label: {
      type: 'object',
      required: ['label', 'version', 'split', 'movedBy', 'movedAt'],
      properties: { label: { type: 'string' }, version: { type: ['integer', 'null'] }, split: { oneOf: [arrayOf(ref('SplitMember')), { type: 'null' }] }, movedBy: { type: 'string' }, movedAt: { type: 'string', format: 'date-time' } },
    },
    LabelMove: {
      type: 'object',
      required: ['label', 'from', 'to', 'movedBy', 'movedAt'],
      properties: { label: { type: 'string' }, from: { oneOf: [ref('LabelTarget'), { type: 'null' }] }, to: { oneOf: [ref('LabelTarget'), { type: 'null' }] }, movedBy: { type: 'string' }, movedAt: { type: 'string', format: 'date-time' } },
    },
    LabelPolicy: {
      type: 'object',
      properties: {
        roles: { type: 'array', items: { type: 'string' }, description: 'roles that may move the label (owner and admins always may)' },
        checks: arrayOf({
          type: 'object',
          properties: {
            context: { type: 'string' },
            tokenBudget: { type: 'integer' },
            maxPromptTokens: { type: 'integer' },
            mustInclude: arrayOf({ type: 'string' }),
            mustActivate: arrayOf({ type: 'string' }),
          },
        }),
      },
    },
    InstantiateRequest: {
      type: 'object',
      required: ['name', 'slug'],
      properties: {
        name: personaProperties.name ?? { type: 'string' },
        slug: personaProperties.slug ?? { type: 'string' },
        customizations: { type: 'object', description: 'declared customizable path (dot notation) → value' },
        description: { type: 'string' },
        isPublic: { type: 'boolean', default: false },
        status: { type: 'string' },
        tags: arrayOf({ type: 'string' }),
      },
    },
    ImportRequest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        document: { type: 'object', description: 'the parsed JSON of the file' },
        base64: { type: 'string', maxLength: MAX_IMPORT_BASE64, description: "the file's bytes (PNG card or JSON text)" },
        format: { type: 'string', enum: [...IMPORT_FORMATS], default: 'auto' },
        lenient: { type: 'boolean', default: false, description: 'repair the known malformations, each a warning' },
        slug: { type: 'string', maxLength: 64 },
      },
      oneOf: [{ required: ['document'] }, { required: ['base64'] }],
    },
    ImportResult: { type: 'object', required: ['persona', 'warnings'], properties: { persona: ref('PersonaConfiguration'), warnings: arrayOf({ type: 'string' }) } },
    Actor: { type: 'object', required: ['id', 'roles'], properties: { id: { type: 'string' }, roles: arrayOf({ type: 'string' }) } },
    Error: { type: 'object', required: ['statusCode', 'code', 'message'], properties: ERROR_PROPERTIES },
    ValidationIssue: { type: 'object', required: ['path', 'constraint', 'message'], properties: { path: { type: 'string', description: 'e.g. traits[2].value; "" for the whole body' }, constraint: { type: 'string' }, message: { type: 'string' } } },
    ValidationError: { type: 'object', required: ['statusCode', 'code', 'message', 'issues'], properties: { ...ERROR_PROPERTIES, issues: arrayOf(ref('ValidationIssue')) } },
    ConflictError: {
      type: 'object',
      required: ['statusCode', 'code', 'message'],
      properties: {
        ...ERROR_PROPERTIES,
        expectedVersion: { type: 'integer' },
        actualVersion: { type: 'integer' },
        cycle: arrayOf({ type: 'string' }),
        children: arrayOf({ type: 'string' }),
        failures: { type: 'array', items: {} },
      },
    },
  }) as Record<string, Schema>;
}

/** Says that a free-form object (`metadata`, `baseConfiguration`, a snapshot) may hold any keys: `additionalProperties: true` where nothing else is said. */
function openObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openObjects);
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) out[key] = key === 'enum' || key === 'required' ? value : openObjects(value);
  if (out.type === 'object' && out.properties === undefined && out.additionalProperties === undefined && out.oneOf === undefined && out.$ref === undefined) out.additionalProperties = true;
  return out;
}
