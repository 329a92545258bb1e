import {
  ArgumentsHost,
  CanActivate,
  Catch,
  createParamDecorator,
  ExceptionFilter,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import type { Actor } from '../actor';
import { PersonaError, PersonaValidationError, VersionConflictError } from '../errors';
import { toPlain } from '../validation/model';
import type { ActorResolver } from './options';
import { PERSONA_ACTOR_RESOLVER } from './tokens';

const ACTOR = Symbol('personaActor');

/** Resolves the actor of every request to the persona routes; none is 401. */
@Injectable()
export class PersonaActorGuard implements CanActivate {
  constructor(@Inject(PERSONA_ACTOR_RESOLVER) private readonly resolve: ActorResolver) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest();
    const actor = await this.resolve(request);
    if (!actor || typeof actor.id !== 'string' || !actor.id) {
      throw new UnauthorizedException({ statusCode: 401, code: 'UNAUTHENTICATED', message: 'not authenticated: send the credentials this API expects (persona serve: Authorization: Bearer <token>; the development default: x-actor-id)' });
    }
    request[ACTOR] = actor;
    return true;
  }
}

/** The actor the guard resolved. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => context.switchToHttp().getRequest()[ACTOR]);

/** A version conflict found through `If-Match`: 412 rather than 409. */
export class PreconditionFailed extends Error {
  constructor(readonly conflict: VersionConflictError) {
    super(conflict.message);
  }
}

const STATUS: Record<string, number> = {
  VALIDATION_FAILED: 400,
  ACCESS_DENIED: 403,
  PERSONA_NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  INHERITANCE_CYCLE: 409,
  INHERITANCE_TOO_DEEP: 409,
  PERSONA_IN_USE: 409,
  BUDGET_EXCEEDED: 422,
  PROMOTION_BLOCKED: 409,
  LABEL_NOT_FOUND: 404,
  REVISION_NOT_FOUND: 404,
  STORAGE_FAILED: 503,
};

/** Maps the library's errors to status codes with a JSON body carrying the error `code`. */
@Catch()
export class PersonaExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse();
    const send = (status: number, body: Record<string, unknown>) => response.status(status).json({ statusCode: status, ...body });
    if (exception instanceof PreconditionFailed) {
      const e = exception.conflict;
      return send(412, { code: e.code, message: e.message, expectedVersion: e.expectedVersion, actualVersion: e.actualVersion });
    }
    if (exception instanceof PersonaError) {
      const status = STATUS[exception.code] ?? 400;
      const body: Record<string, unknown> = { code: exception.code, message: exception.message };
      if (exception instanceof PersonaValidationError) body.issues = exception.issues;
      if (exception instanceof VersionConflictError) Object.assign(body, { expectedVersion: exception.expectedVersion, actualVersion: exception.actualVersion });
      for (const key of ['cycle', 'children', 'requiredTokens', 'tokenBudget', 'failures', 'label', 'version'] as const) {
        if (key in exception) body[key] = (exception as unknown as Record<string, unknown>)[key];
      }
      return send(status, body);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const body = typeof payload === 'object' ? (payload as Record<string, unknown>) : { message: payload };
      return send(status, { code: body.code ?? (status === 400 ? 'BAD_REQUEST' : `HTTP_${status}`), ...body });
    }
    new Logger('PersonaModule').error((exception as Error)?.stack ?? String(exception));
    send(500, { code: 'INTERNAL_ERROR', message: 'internal error' });
  }
}

/** The version an `If-Match` header names (`"3"`, `W/"3"` or `3`), undefined without one; a malformed one is 400. */
export function ifMatchVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!m) {
    throw new PersonaValidationError([{ path: 'If-Match', constraint: 'isETag', message: 'If-Match must be the ETag of a version, e.g. "3"' }], 'request');
  }
  return Number(m[1]);
}

/** The ETag of a version. */
export function etag(version: number | undefined): string {
  return `"${version ?? 0}"`;
}

/** What handlers set headers on (Express's and Fastify's replies both have it). */
export type Reply = { setHeader(name: string, value: string): void };

/** The JSON form of a versioned record, with its version as the response's ETag. */
export function tagged(res: Reply, record: object & { version?: number }): Record<string, unknown> {
  res.setHeader('ETag', etag(record.version));
  return toPlain(record);
}
