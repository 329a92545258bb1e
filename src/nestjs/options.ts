import type { DataSource } from 'typeorm';
import type { Actor } from '../actor';
import type { PersonaDataSourceOptions } from '../persistence/data-source';

/** Turns an HTTP request into the acting user, or undefined when there is none (401). */
export type ActorResolver = (request: { headers: Record<string, string | string[] | undefined> } & Record<string, unknown>) => Actor | undefined | Promise<Actor | undefined>;

/**
 * Options of `PersonaModule.forRoot` / `forRootAsync`. The database is an existing `dataSource`
 * when given (an `@nestjs/typeorm` connection comes in through `forRootAsync({ inject:
 * [getDataSourceToken()], useFactory: (dataSource) => ({ dataSource }) })`); else one made by
 * `createDataSource` from the same options (`type`, `database`, `url`, …), initialised at
 * start-up and closed at shutdown.
 */
export type PersonaModuleOptions = PersonaDataSourceOptions & {
  /** A DataSource of the host (initialised here if it is not yet); the module never closes it. */
  dataSource?: DataSource;
  /** Who is acting, per request (default: {@link headerActorResolver}, a development default). */
  actorResolver?: ActorResolver;
  /** Longest lineage (default 32). */
  maxInheritanceDepth?: number;
  /** Entries of the runtime's prompt cache (default 500). */
  cacheSize?: number;
  /**
   * How the injected `PersonaRuntime` learns of changes (default `'query'`): `'notify'` on
   * PostgreSQL serves cached prompts with no query, every instance of the app invalidated through
   * LISTEN/NOTIFY (docs/runtime.md); the module closes the runtime's listening connection at
   * shutdown. `'notify'` on SQLite fails at start-up with a validation error.
   */
  invalidation?: 'query' | 'notify';
  /**
   * The admin console (Express only): `true` serves it at `/console`; `{ path }` elsewhere. `auth`
   * tells the console how to authenticate: `bearer` (it asks for a token and sends
   * `Authorization: Bearer`; what `persona serve` uses) or `none` (default: the host's own
   * authentication, e.g. a session cookie, reaches the API with the console's requests). The
   * REST routes must be mounted too (`http: true`).
   */
  console?: boolean | PersonaConsoleOptions;
  /**
   * The OpenAPI 3.1 document of the REST routes (Express only): `true` serves it at
   * `/openapi.json` with Swagger UI at `/openapi`; `{ path: '/docs/api.json' }` serves it there with
   * Swagger UI at `/docs/api`. Needs the optional peer dependency `@nestjs/swagger`.
   */
  openapi?: boolean | PersonaOpenApiOptions;
};

/** Where and how `PersonaModule` serves the admin console. */
export type PersonaConsoleOptions = {
  /** Mount path (default `/console`). */
  path?: string;
  /** How the console authenticates (default `none`: the host's authentication applies). */
  auth?: 'bearer' | 'none';
  /** The console's build (default: `dist/console/` of this package). */
  dir?: string;
};

/** Where `PersonaModule` serves the OpenAPI document. */
export type PersonaOpenApiOptions = {
  /** Path of the JSON document (default `/openapi.json`); Swagger UI is at the same path without `.json`, or with `-ui` added. */
  path?: string;
  /** Whether Swagger UI is served beside the document (default true). */
  ui?: boolean;
  /** Declare `Authorization: Bearer` as the API's authentication in the document (default: when `console.auth` is `bearer`). */
  bearer?: boolean;
};

/**
 * The development default: the actor id from the `x-actor-id` header and its roles from
 * `x-actor-roles` (comma-separated). Anyone can send these headers: replace it with your
 * authentication (`actorResolver: (req) => ({ id: req.user.sub, roles: req.user.roles })`).
 */
export const headerActorResolver: ActorResolver = (request) => {
  const header = (name: string) => {
    const v = request.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = header('x-actor-id')?.trim();
  if (!id) return undefined;
  const roles = (header('x-actor-roles') ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  return roles.length ? { id, roles } : { id };
};
