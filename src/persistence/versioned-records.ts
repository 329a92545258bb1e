import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../actor';
import { PersonaNotFoundError, PersonaValidationError, ValidationIssue, VersionConflictError } from '../errors';
import { STORE_KEPT_FIELDS } from '../models/field-roles';
import { assertCanWrite, assertOwnerUnchanged, canRead, Owned } from '../services/access';
import { isStorableText } from '../validation/storable-text';
import { newId } from './ids';
import { ExtraValues, updateAtVersion } from './rows';
import { inTransaction, isUniqueViolation, reading } from './transaction';
import { isVersionNumber, versionNumberMessage } from '../validation/version-number';

/** What every versioned, owned record has (personas and templates). */
export type VersionedRecord = Owned & { id?: string; slug: string; version?: number; createdAt?: Date; updatedAt?: Date };

/** How one kind of record is found and named. */
export type VersionedRecordsSpec<T> = {
  /** The entity class (its table and columns come from TypeORM's metadata). */
  entity: Function;
  /** `persona` or `template`: the word in errors. */
  kind: 'persona' | 'template';
  /** The record with this id or slug, or null; no access check. */
  find: (manager: EntityManager, idOrSlug: string) => Promise<T | null>;
};

/** Throws a validation error about `what`. */
export function refuse(issues: ValidationIssue[], what: string): never {
  throw new PersonaValidationError(issues, what);
}

/** One issue per field the store keeps (`id`, `version`, `createdAt`, `updatedAt`) that `input` sets, at its path. */
export function storeKeptIssues(input: Record<string, unknown>): ValidationIssue[] {
  return STORE_KEPT_FIELDS.filter((k) => Object.prototype.hasOwnProperty.call(input, k)).map((k) => ({
    path: k,
    constraint: 'storeManaged',
    message: `${k} is kept by the store and cannot be set`,
  }));
}

/** Refuses input that sets a field the store keeps. */
export function refuseStoreKept(input: Record<string, unknown>, what: string): void {
  const issues = storeKeptIssues(input);
  if (issues.length) refuse(issues, what);
}

/** Refuses a patch that is not a JSON object, or that sets a field the store keeps. */
export function checkPatch(patch: unknown): asserts patch is Record<string, unknown> {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch) || patch instanceof Date) {
    refuse([{ path: '', constraint: 'isObject', message: 'a patch must be an object' }], 'patch');
  }
  refuseStoreKept(patch as Record<string, unknown>, 'patch');
}

/** Refuses an `expectedVersion` (or `toVersion`) that is not a version number (integer 1–2,147,483,647, see {@link isVersionNumber}), at `path`. */
export function assertVersionNumber(value: unknown, path = 'expectedVersion'): asserts value is number {
  if (!isVersionNumber(value)) refuse([{ path, constraint: 'isInt', message: versionNumberMessage(path) }], 'options');
}

/**
 * The one base of versioned, owned records, in the spirit of Vendure's `TransactionalConnection`
 * and `getEntityOrThrow`: find-readable-or-throw, find-writable-at-a-version, stamping what the
 * store keeps, the versioned UPDATE (optimistic concurrency lives here and nowhere else), writes
 * in one transaction with a lost slug race mapped to a validation error, and one way to share a
 * transaction (`write` nests: pass its manager on). `PersonaStore`, `TemplateService` and the
 * release service use it.
 */
export class VersionedRecords<T extends VersionedRecord> {
  constructor(readonly dataSource: DataSource, private readonly spec: VersionedRecordsSpec<T>) {}

  /** Runs `work` in one transaction; a unique violation (a slug taken meanwhile) becomes a validation error at `slug`. */
  async write<R>(work: (manager: EntityManager) => Promise<R>): Promise<R> {
    try {
      return await inTransaction(this.dataSource, work);
    } catch (error) {
      if (isUniqueViolation(error)) refuse([{ path: 'slug', constraint: 'unique', message: 'slug is already taken' }], this.spec.kind);
      throw error;
    }
  }

  /** Runs read-only `work` (on SQLite after running writes; on PostgreSQL from the pool). */
  read<R>(work: (manager: EntityManager) => Promise<R>): Promise<R> {
    return reading(this.dataSource, work);
  }

  /** The record, if the actor may read it; else `PersonaNotFoundError`, exactly as if it did not exist. */
  async findReadable(manager: EntityManager, idOrSlug: string, actor: Actor): Promise<T> {
    // Text no row can hold (U+0000, a lone surrogate) finds nothing, without asking the database.
    const record = typeof idOrSlug === 'string' && idOrSlug && isStorableText(idOrSlug) ? await this.spec.find(manager, idOrSlug) : null;
    if (!record || !canRead(actor, record)) throw new PersonaNotFoundError(String(idOrSlug), this.spec.kind);
    return record;
  }

  /** The record, if the actor may change it and it is still at `expectedVersion`. */
  async findWritable(manager: EntityManager, idOrSlug: string, actor: Actor, expectedVersion: number): Promise<T> {
    const current = await this.findReadable(manager, idOrSlug, actor);
    assertCanWrite(actor, current, `${this.spec.kind} ${idOrSlug}`);
    if (current.version !== expectedVersion) throw new VersionConflictError(idOrSlug, expectedVersion, current.version as number);
    return current;
  }

  /**
   * A change at a version: checks `expectedVersion`, then runs `apply` in one transaction on the
   * record as found writable (readable, the actor may change it, still at that version).
   */
  writeAt<R>(idOrSlug: string, expectedVersion: unknown, actor: Actor, apply: (manager: EntityManager, current: T, expectedVersion: number) => Promise<R>): Promise<R> {
    assertVersionNumber(expectedVersion);
    return this.write(async (manager) => apply(manager, await this.findWritable(manager, idOrSlug, actor, expectedVersion), expectedVersion));
  }

  /** Gives a new record what the store keeps: a new id, version 1, both timestamps `now`. */
  stampNew(record: T, now = new Date()): T {
    record.id = newId();
    record.version = 1;
    record.createdAt = now;
    record.updatedAt = now;
    return record;
  }

  /**
   * Makes `next` the version after `current`: same id and creation time, version + 1, an
   * `updatedAt` strictly after the current one; refuses a change of owner by a non-admin.
   */
  stampNext(current: T, next: T, actor: Actor, idOrSlug: string): T {
    assertOwnerUnchanged(actor, current.createdBy, next.createdBy, `${this.spec.kind} ${idOrSlug}`);
    next.id = current.id;
    next.version = (current.version as number) + 1;
    next.createdAt = current.createdAt;
    next.updatedAt = new Date(Math.max(Date.now(), (current.updatedAt?.getTime() ?? 0) + 1));
    return next;
  }

  /** Writes `next` over its row only if the row is still at `expectedVersion`, else `VersionConflictError` with the version found. */
  async updateAtVersion(manager: EntityManager, idOrSlug: string, next: T, expectedVersion: number, extra?: ExtraValues<T>): Promise<void> {
    if (await updateAtVersion(manager, this.spec.entity, next, expectedVersion, extra)) return;
    const found = await this.spec.find(manager, next.id as string);
    throw new VersionConflictError(idOrSlug, expectedVersion, Number(found?.version ?? NaN));
  }
}
