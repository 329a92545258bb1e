import { Actor, isAdmin } from '../actor';
import { AccessDeniedError, PersonaValidationError } from '../errors';
import { isStorableText } from '../validation/storable-text';

/**
 * Every access rule of the library, in one place: the TypeScript checks below and the SQL
 * visibility filter of lists ({@link visibleWhere}) come from here. docs/security.md explains them.
 */

/** What access rules need of a persona or template. */
export type Owned = { isPublic: boolean; createdBy: string };

/**
 * The owner of the starter templates. No actor may have this id ({@link assertActor} refuses it),
 * so no user can own, pre-empt or edit a starter except an admin.
 */
export const SYSTEM_OWNER = 'system:conductor-personas';

/** Refuses a missing or malformed actor (and the reserved {@link SYSTEM_OWNER} id) before anything is read or written. */
export function assertActor(actor: unknown): asserts actor is Actor {
  const a = actor as Actor | undefined;
  if (!a || typeof a !== 'object' || typeof a.id !== 'string' || a.id.length < 1 || a.id.length > 255 || !isStorableText(a.id)) {
    throw new PersonaValidationError([{ path: 'actor.id', constraint: 'isActor', message: 'actor.id must be a string of 1 to 255 characters' }], 'actor');
  }
  if (a.id === SYSTEM_OWNER) {
    throw new PersonaValidationError([{ path: 'actor.id', constraint: 'reservedActor', message: `actor.id "${SYSTEM_OWNER}" is reserved for the library's own records` }], 'actor');
  }
  if (a.roles !== undefined && (!Array.isArray(a.roles) || a.roles.length > 100 || !a.roles.every((r) => typeof r === 'string' && r.length <= 255 && isStorableText(r)))) {
    throw new PersonaValidationError([{ path: 'actor.roles', constraint: 'isStringArray', message: 'actor.roles must be a list of at most 100 strings' }], 'actor');
  }
}

/** Owners and admins see everything of theirs; everyone sees what is public. */
export function canRead(actor: Actor, record: Owned): boolean {
  return record.isPublic || record.createdBy === actor.id || isAdmin(actor);
}

/** Only the owner and admins change a record, public or not. */
export function canWrite(actor: Actor, record: Owned): boolean {
  return record.createdBy === actor.id || isAdmin(actor);
}

/** The role of service accounts that record interactions on any persona they can read. */
export const METRICS_WRITE_ROLE = 'metrics:write';

/** Recording an interaction: the owner, an admin, or an actor with {@link METRICS_WRITE_ROLE} (who must also be able to read the persona). */
export function canRecordMetrics(actor: Actor, record: Owned): boolean {
  return canWrite(actor, record) || (canRead(actor, record) && (actor.roles ?? []).includes(METRICS_WRITE_ROLE));
}

/** Throws AccessDeniedError unless the actor may change the record. */
export function assertCanWrite(actor: Actor, record: Owned, what: string): void {
  if (!canWrite(actor, record)) throw new AccessDeniedError(`${actor.id} may not change ${what}`, actor.id);
}

/** The owner of a new record: the actor, or whoever `createdBy` names when the actor is an admin; else AccessDeniedError. */
export function ownerOfNew(actor: Actor, createdBy: unknown, what: string): string {
  const owner = createdBy ?? actor.id;
  if (owner !== actor.id && !isAdmin(actor)) throw new AccessDeniedError(`${actor.id} may not create ${what} for ${String(owner)}`, actor.id);
  return owner as string;
}

/** Throws AccessDeniedError when a non-admin would make someone else the owner (`createdBy`). */
export function assertOwnerUnchanged(actor: Actor, before: string, after: string, what: string): void {
  if (before !== after && !isAdmin(actor)) throw new AccessDeniedError(`${actor.id} may not give ${what} to ${after}`, actor.id);
}

/**
 * Content of one version as `changedBy`/`isPublic` recorded it: a version written while its record
 * was private belongs to the owner (and admins), even after the record went public.
 */
export function canReadVersion(actor: Actor, owner: string, versionWasPublic: boolean): boolean {
  return versionWasPublic || owner === actor.id || isAdmin(actor);
}

/**
 * The SQL form of {@link canRead} for a list over `alias`: a condition and its parameters, or
 * null when the actor sees every row (admins).
 */
export function visibleWhere(alias: string, actor: Actor): { sql: string; parameters: Record<string, unknown> } | null {
  if (isAdmin(actor)) return null;
  return { sql: `(${alias}.isPublic = :visible OR ${alias}.createdBy = :actorId)`, parameters: { visible: true, actorId: actor.id } };
}
