import createClient, { type Client } from 'openapi-fetch';
import { clearToken, readToken } from '../auth/token';
import { config } from './config';
import type { paths } from './openapi';
import type {
  CustomizableField, Diff, ErrorBody, HistoryEntry, ImportResult, Json, LabelMove, LabelPolicy, LabelTarget, Me, Metrics, Page,
  Persona, PersonaLabel, RenderedPrompt, Resolved, SeriesPoint, Template, VersionMetrics,
} from './types';

/**
 * The console's only way to the API: an `openapi-fetch` client typed by `openapi.d.ts`, which
 * `npm run console:api-types` generates from the OpenAPI document of `persona serve` (so a
 * route, parameter or body the server does not have is a type error here). Every request carries
 * the bearer token kept in sessionStorage (unless the host authenticates: `auth: "none"`); an
 * error answer becomes an {@link ApiError} with the server's `{ code, message, issues }`.
 *
 * Responses are read through `types.ts`, which names the document's schemas and refines them
 * where the server promises more (a stored persona has its id and version).
 */

/** An error answer of the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly body: ErrorBody) {
    super(body.message || `HTTP ${status}`);
  }
  get code(): string {
    return this.body.code;
  }
}

/** Listeners told when the server refuses the token (401), so the app can ask for a new one. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

let client: Client<paths> | undefined;
function http(): Client<paths> {
  client ??= createClient<paths>({ baseUrl: config().apiBase.replace(/\/$/, ''), headers: { Accept: 'application/json' } });
  return client;
}

/** The Authorization header: the given token (checking one at sign-in), else the tab's. */
function auth(token?: string): Record<string, string> {
  if (config().auth !== 'bearer') return {};
  const value = token ?? readToken();
  return value ? { Authorization: `Bearer ${value}` } : {};
}

type Answer = { data?: unknown; error?: unknown; response: Response };

/** The body of a successful answer; an error answer (or no answer) thrown as {@link ApiError}. */
async function unwrap<T>(call: Promise<Answer>, checkingToken = false): Promise<T> {
  let answer: Answer;
  try {
    answer = await call;
  } catch (error) {
    throw new ApiError(0, { statusCode: 0, code: 'NETWORK', message: `The server could not be reached (${(error as Error).message}).` });
  }
  const { response } = answer;
  if (!response.ok) {
    const status = response.status;
    const body = (answer.error && typeof answer.error === 'object' ? answer.error : { code: `HTTP_${status}`, message: response.statusText || `HTTP ${status}` }) as ErrorBody;
    if (status === 401 && !checkingToken) {
      clearToken();
      unauthorizedListeners.forEach((l) => l());
    }
    throw new ApiError(status, { ...body, statusCode: status });
  }
  return answer.data as T;
}

/** A record with the ETag of its version (what If-Match sends back). */
export type Versioned<T> = { record: T; etag: string | null };
async function versioned<T>(call: Promise<Answer>): Promise<Versioned<T>> {
  const answer = await call;
  return { record: await unwrap<T>(Promise.resolve(answer)), etag: answer.response.headers.get('ETag') };
}

const ifMatch = (version: number) => ({ 'If-Match': `"${version}"` });
const at = (idOrSlug: string) => ({ path: { idOrSlug } });

async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export type PersonaQuery = { search?: string; status?: string; tag?: string; owner?: string; limit: number; offset: number; orderBy?: 'name' };
type Format = 'native' | 'card-v2' | 'card-v3' | 'eliza';

/** The API, one function per route. */
export const api = {
  /** Who the token belongs to; `token` checks a token before it is kept. */
  me: (token?: string) => unwrap<Me>(http().GET('/me', { headers: auth(token) }), token !== undefined),

  personaSchema: () => unwrap<Json>(http().GET('/schemas/persona', { headers: auth() })),

  listPersonas: (q: PersonaQuery) => {
    // Empty filters are left out rather than sent as `status=`.
    const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== '' && v !== undefined));
    return unwrap<Page<Persona>>(http().GET('/personas', { params: { query: query as never }, headers: auth() }));
  },
  createPersona: (persona: Json) => unwrap<Persona>(http().POST('/personas', { body: persona as never, headers: auth() })),
  getPersona: (id: string) => versioned<Persona>(http().GET('/personas/{idOrSlug}', { params: at(id), headers: auth() })),
  resolved: (id: string) => unwrap<Resolved>(http().GET('/personas/{idOrSlug}/resolved', { params: at(id), headers: auth() })),
  updatePersona: (id: string, patch: Json, version: number, message: string) =>
    versioned<Persona>(http().PATCH('/personas/{idOrSlug}', { params: at(id), body: { ...patch, message } as never, headers: { ...auth(), ...ifMatch(version) } })),

  deletePersona: (id: string) => unwrap<void>(http().DELETE('/personas/{idOrSlug}', { params: at(id), headers: auth() })),

  history: (id: string) => unwrap<HistoryEntry[]>(http().GET('/personas/{idOrSlug}/history', { params: at(id), headers: auth() })),
  diff: (id: string, from: number, to: number) => unwrap<Diff>(http().GET('/personas/{idOrSlug}/diff', { params: { ...at(id), query: { from, to } }, headers: auth() })),
  revert: (id: string, toVersion: number, version: number, message: string) =>
    versioned<Persona>(http().POST('/personas/{idOrSlug}/revert', { params: at(id), body: { toVersion, message }, headers: { ...auth(), ...ifMatch(version) } })),

  labels: (id: string) => unwrap<PersonaLabel[]>(http().GET('/personas/{idOrSlug}/labels', { params: at(id), headers: auth() })),
  labelHistory: (id: string) => unwrap<LabelMove[]>(http().GET('/personas/{idOrSlug}/label-history', { params: at(id), headers: auth() })),
  setLabel: (id: string, label: string, target: LabelTarget) =>
    unwrap<PersonaLabel>(http().PUT('/personas/{idOrSlug}/labels/{label}', { params: { path: { idOrSlug: id, label } }, body: target, headers: auth() })),
  removeLabel: (id: string, label: string) => unwrap<void>(http().DELETE('/personas/{idOrSlug}/labels/{label}', { params: { path: { idOrSlug: id, label } }, headers: auth() })),
  policy: (id: string, label: string) => unwrap<LabelPolicy>(http().GET('/personas/{idOrSlug}/policies/{label}', { params: { path: { idOrSlug: id, label } }, headers: auth() })),
  removePolicy: (id: string, label: string) => unwrap<void>(http().DELETE('/personas/{idOrSlug}/policies/{label}', { params: { path: { idOrSlug: id, label } }, headers: auth() })),
  setPolicy: (id: string, label: string, policy: LabelPolicy) =>
    unwrap<void>(http().PUT('/personas/{idOrSlug}/policies/{label}', { params: { path: { idOrSlug: id, label } }, body: policy, headers: auth() })),

  /** `provider` and `model` are the runtime issue's (#16); a server without them refuses the fields, and the page says so. */
  render: (id: string, body: { context?: string; tokenBudget?: number; label?: string; subject?: string; provider?: string; model?: string }) =>
    unwrap<RenderedPrompt>(http().POST('/personas/{idOrSlug}/render', { params: at(id), body: body as never, headers: auth() })),

  metrics: (id: string) => unwrap<Metrics>(http().GET('/personas/{idOrSlug}/metrics', { params: at(id), headers: auth() })),
  metricsByVersion: (id: string) => unwrap<VersionMetrics[]>(http().GET('/personas/{idOrSlug}/metrics/versions', { params: at(id), headers: auth() })),
  metricsSeries: (id: string, query: { bucket: 'hour' | 'day'; from?: string; to?: string; version?: number }) =>
    unwrap<SeriesPoint[]>(http().GET('/personas/{idOrSlug}/metrics/series', { params: { ...at(id), query }, headers: auth() })),

  listTemplates: (q: { search?: string; limit: number; offset: number }) =>
    unwrap<Page<Template>>(http().GET('/templates', { params: { query: { ...q, search: q.search || undefined } }, headers: auth() })),
  getTemplate: (id: string) => unwrap<Template>(http().GET('/templates/{idOrSlug}', { params: at(id), headers: auth() })),
  createTemplate: (template: Json) => unwrap<Template>(http().POST('/templates', { body: template as never, headers: auth() })),
  instantiate: (id: string, body: { name: string; slug: string; customizations?: Json; description?: string; isPublic?: boolean }) =>
    unwrap<Persona>(http().POST('/templates/{idOrSlug}/instantiate', { params: at(id), body: { isPublic: false, ...body, customizations: body.customizations as never }, headers: auth() })),

  /** Imports a file's bytes (a card PNG, card or Eliza JSON, our JSON), sent as base64. */
  importFile: async (file: Blob, q: { format?: string; lenient?: boolean; slug?: string }) =>
    unwrap<ImportResult>(
      http().POST('/personas/import', { body: { base64: await base64Of(file), format: (q.format ?? 'auto') as 'auto', lenient: q.lenient ?? false, slug: q.slug }, headers: auth() }),
    ),
  /** The exported document as a file to save, with the name the server suggests. */
  exportPersona: async (id: string, format: Format, png?: boolean): Promise<{ blob: Blob; filename: string }> => {
    const call = http().GET('/personas/{idOrSlug}/export', { params: { ...at(id), query: { format, ...(png ? { png: true } : {}) } as never }, parseAs: 'blob', headers: auth() });
    const answer = await call;
    const blob = await unwrap<Blob>(Promise.resolve(answer));
    const disposition = answer.response.headers.get('Content-Disposition') ?? '';
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    return { blob, filename: match ? decodeURIComponent(match[1]) : `${id}.${format}.${png ? 'png' : 'json'}` };
  },
};

export type { CustomizableField };
