import { Actor, isAdmin } from '../actor';
import { AccessDeniedError, PersonaValidationError } from '../errors';

/** What access rules need of a persona or template. */
export type Owned = { isPublic: boolean; createdBy: string };

/** Refuses a missing or malformed actor before anything is read or written. */
export function assertActor(actor: unknown): asserts actor is Actor {
  const a = actor as Actor | undefined;
  if (!a || typeof a !== 'object' || typeof a.id !== 'string' || a.id.length < 1 || a.id.length > 255) {
    throw new PersonaValidationError([{ path: 'actor.id', constraint: 'isActor', message: 'actor.id must be a string of 1 to 255 characters' }], 'actor');
  }
  if (a.roles !== undefined && (!Array.isArray(a.roles) || !a.roles.every((r) => typeof r === 'string'))) {
    throw new PersonaValidationError([{ path: 'actor.roles', constraint: 'isStringArray', message: 'actor.roles must be a list of strings' }], 'actor');
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

/** Throws AccessDeniedError unless the actor may change the record. */
export function assertCanWrite(actor: Actor, record: Owned, what: string): void {
  if (!canWrite(actor, record)) throw new AccessDeniedError(`${actor.id} may not change ${what}`, actor.id);
}
