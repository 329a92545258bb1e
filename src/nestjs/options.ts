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
