import type {
  CustomizableField, Diff, ErrorBody, HistoryEntry, ImportResult, Json, LabelMove, LabelPolicy, LabelTarget, Me, Metrics, Page,
  Persona, PersonaLabel, RenderedPrompt, Resolved, SeriesPoint, Template, VersionMetrics,
} from './types';
import { clearToken, readToken } from '../auth/token';
import { config } from './config';

/**
 * The one place that knows the API's URLs. Every request carries the bearer token kept in
 * sessionStorage (unless the host authenticates, `auth: "none"`); errors come back as
 * {@link ApiError} with the server's `{ code, message, issues }`. The API's base path comes from
 * the server's `config.json`.
 */
const apiBase = (): string => config().apiBase.replace(/\/$/, '');

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

type Query = Record<string, string | number | boolean | undefined | null>;
type RequestOptions = { query?: Query; body?: unknown; headers?: Record<string, string>; token?: string };

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return `${apiBase()}${path}${qs ? `?${qs}` : ''}`;
}

const seg = (value: string | number) => encodeURIComponent(String(value));

async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  const token = config().auth === 'bearer' ? (options.token ?? readToken()) : undefined;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(url(path, options.query), { method, headers, body });
  } catch (error) {
    throw new ApiError(0, { statusCode: 0, code: 'NETWORK', message: `The server could not be reached (${(error as Error).message}).` });
  }
  if (!response.ok) {
    let parsed: ErrorBody;
    try {
      parsed = (await response.json()) as ErrorBody;
    } catch {
      parsed = { statusCode: response.status, code: `HTTP_${response.status}`, message: response.statusText || `HTTP ${response.status}` };
    }
    if (response.status === 401 && !options.token) {
      clearToken();
      unauthorizedListeners.forEach((l) => l());
    }
    throw new ApiError(response.status, { ...parsed, statusCode: response.status });
  }
  return response;
}

async function json<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A record with the version its ETag names (what If-Match must send back). */
export type Versioned<T> = { record: T; etag: string | null };

async function versioned<T>(method: string, path: string, options?: RequestOptions): Promise<Versioned<T>> {
  const response = await send(method, path, options);
  return { record: (await response.json()) as T, etag: response.headers.get('ETag') };
}

export type PersonaQuery = { search?: string; status?: string; tag?: string; owner?: string; limit: number; offset: number; orderBy?: string };

async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The API, one function per route. */
export const api = {
  /** Who the token belongs to; `token` checks a token before it is kept. */
  me: async (token?: string): Promise<Me | null> => {
    try {
      return await json<Me>('GET', '/me', { token });
    } catch (error) {
      // Servers without `/me`: a token that lists personas is a good token, of an unnamed user.
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      await json('GET', '/personas', { token, query: { limit: 1 } });
      return null;
    }
  },

  personaSchema: () => json<Json>('GET', '/schemas/persona'),

  listPersonas: (q: PersonaQuery) => json<Page<Persona>>('GET', '/personas', { query: q }),
  getPersona: (id: string) => versioned<Persona>('GET', `/personas/${seg(id)}`),
  resolved: (id: string) => json<Resolved>('GET', `/personas/${seg(id)}/resolved`),
  updatePersona: (id: string, patch: Json, version: number, message: string) =>
    versioned<Persona>('PATCH', `/personas/${seg(id)}`, { body: { ...patch, message }, headers: { 'If-Match': `"${version}"` } }),
  deletePersona: (id: string) => json<void>('DELETE', `/personas/${seg(id)}`),

  history: (id: string) => json<HistoryEntry[]>('GET', `/personas/${seg(id)}/history`),
  diff: (id: string, from: number, to: number) => json<Diff>('GET', `/personas/${seg(id)}/diff`, { query: { from, to } }),
  revert: (id: string, toVersion: number, version: number, message: string) =>
    versioned<Persona>('POST', `/personas/${seg(id)}/revert`, { body: { toVersion, message }, headers: { 'If-Match': `"${version}"` } }),

  labels: (id: string) => json<PersonaLabel[]>('GET', `/personas/${seg(id)}/labels`),
  labelHistory: (id: string) => json<LabelMove[]>('GET', `/personas/${seg(id)}/label-history`),
  setLabel: (id: string, label: string, target: LabelTarget) => json<PersonaLabel>('PUT', `/personas/${seg(id)}/labels/${seg(label)}`, { body: target }),
  removeLabel: (id: string, label: string) => json<void>('DELETE', `/personas/${seg(id)}/labels/${seg(label)}`),
  policy: (id: string, label: string) => json<LabelPolicy>('GET', `/personas/${seg(id)}/policies/${seg(label)}`),
  setPolicy: (id: string, label: string, policy: LabelPolicy) => json<void>('PUT', `/personas/${seg(id)}/policies/${seg(label)}`, { body: policy }),

  render: (id: string, body: { context?: string; tokenBudget?: number; label?: string; subject?: string; provider?: string }) =>
    json<RenderedPrompt>('POST', `/personas/${seg(id)}/render`, { body }),

  metrics: (id: string) => json<Metrics>('GET', `/personas/${seg(id)}/metrics`),
  metricsByVersion: (id: string) => json<VersionMetrics[]>('GET', `/personas/${seg(id)}/metrics/versions`),
  metricsSeries: (id: string, q: { bucket: 'hour' | 'day'; from?: string; to?: string; version?: number }) =>
    json<SeriesPoint[]>('GET', `/personas/${seg(id)}/metrics/series`, { query: q }),

  listTemplates: (q: { search?: string; limit: number; offset: number }) => json<Page<Template>>('GET', '/templates', { query: q }),
  getTemplate: (id: string) => json<Template>('GET', `/templates/${seg(id)}`),
  createTemplate: (template: Json) => json<Template>('POST', '/templates', { body: template }),
  instantiate: (id: string, body: { name: string; slug: string; customizations?: Json; description?: string; isPublic?: boolean }) =>
    json<Persona>('POST', `/templates/${seg(id)}/instantiate`, { body }),

  /** Imports a file's bytes (a card PNG, card or Eliza JSON, our JSON), sent as base64. */
  importFile: async (file: Blob, q: { format?: string; lenient?: boolean; slug?: string }) =>
    json<ImportResult>('POST', '/personas/import', { body: { base64: await base64Of(file), ...q } }),
  /** The exported document as a file to save, with the name the server suggests. */
  exportPersona: async (id: string, format: string, png?: boolean): Promise<{ blob: Blob; filename: string }> => {
    const response = await send('GET', `/personas/${seg(id)}/export`, { query: { format, png } });
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    return { blob: await response.blob(), filename: match ? decodeURIComponent(match[1]) : `${id}.${format}.${png ? 'png' : 'json'}` };
  },
};

export type { CustomizableField };
