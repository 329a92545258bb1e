/** One broken rule: the field path (`traits[2].value`, `responseStyle.formalityLevel`, `""` for the whole input), the rule's name and a readable message. */
export type ValidationIssue = { path: string; constraint: string; message: string };

/** Base class of every error the library throws on purpose; `code` is stable across releases. */
export abstract class PersonaError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input broke one or more rules; `issues` lists every one of them. Nothing was changed. */
export class PersonaValidationError extends PersonaError {
  readonly code = 'VALIDATION_FAILED';
  constructor(readonly issues: ValidationIssue[], what = 'input') {
    super(
      `Invalid ${what}: ` +
        issues
          .slice(0, 5)
          .map((i) => `${i.path || '(root)'}: ${i.message}`)
          .join('; ') +
        (issues.length > 5 ? `; and ${issues.length - 5} more` : ''),
    );
  }
}

/** No persona (or template) with that id or slug exists, or the actor may not see it. */
export class PersonaNotFoundError extends PersonaError {
  readonly code = 'PERSONA_NOT_FOUND';
  constructor(readonly idOrSlug: string, readonly entity: 'persona' | 'template' = 'persona') {
    super(`${entity === 'persona' ? 'Persona' : 'Template'} not found: ${idOrSlug}`);
  }
}

/** The actor may see the record but not make this change. */
export class AccessDeniedError extends PersonaError {
  readonly code = 'ACCESS_DENIED';
  constructor(message: string, readonly actorId?: string) {
    super(message);
  }
}

/** Optimistic concurrency: the record is no longer at the version the caller read. Nothing was changed. */
export class VersionConflictError extends PersonaError {
  readonly code = 'VERSION_CONFLICT';
  constructor(readonly idOrSlug: string, readonly expectedVersion: number, readonly actualVersion: number) {
    super(`Version conflict on ${idOrSlug}: expected version ${expectedVersion}, found ${actualVersion}`);
  }
}

/** A `parentId` chain closes on itself; `cycle` lists the ids in order. */
export class InheritanceCycleError extends PersonaError {
  readonly code = 'INHERITANCE_CYCLE';
  constructor(readonly cycle: string[]) {
    super(`Inheritance cycle: ${cycle.join(' -> ')}`);
  }
}

/** A lineage is deeper than the resolver allows. */
export class InheritanceDepthError extends PersonaError {
  readonly code = 'INHERITANCE_TOO_DEEP';
  constructor(readonly personaId: string, readonly maxDepth: number) {
    super(`Lineage of ${personaId} is deeper than ${maxDepth}`);
  }
}

/**
 * A persona that the remover's own personas inherit from cannot be removed; `children` lists
 * their ids (only personas the remover may read: a refusal never reveals anyone else's).
 */
export class PersonaInUseError extends PersonaError {
  readonly code = 'PERSONA_IN_USE';
  constructor(readonly idOrSlug: string, readonly children: string[]) {
    super(`Persona ${idOrSlug} cannot be removed: ${children.length} of your persona(s) inherit from it`);
  }
}

/**
 * The database failed in a way the library did not expect (lost connection, a constraint the
 * service did not check first). The driver's error is kept as `cause` for logs; the message
 * carries no SQL, no parameters and no row data. `driverCode` is the driver's error code if any.
 */
export class PersonaStorageError extends PersonaError {
  readonly code = 'STORAGE_FAILED';
  constructor(readonly driverCode: string | undefined, readonly cause: unknown) {
    super(`The database could not complete the operation${driverCode ? ` (${driverCode})` : ''}`);
  }
}

/** The parts that may never be dropped (identity, mandatory rules) need more tokens than the budget. */
export class BudgetExceededError extends PersonaError {
  readonly code = 'BUDGET_EXCEEDED';
  constructor(readonly requiredTokens: number, readonly tokenBudget: number) {
    super(`Identity and mandatory rules need ${requiredTokens} tokens; the budget is ${tokenBudget}`);
  }
}

/** One failed render check of a label move: which check (0-based), which version failed it, and why. */
export type PromotionFailure = { check: number; version: number; reason: string };

/** A label move was refused by the label's render checks; `failures` lists every one. Nothing was changed. */
export class PromotionBlockedError extends PersonaError {
  readonly code = 'PROMOTION_BLOCKED';
  constructor(readonly label: string, readonly failures: PromotionFailure[]) {
    super(`Moving label ${label} is blocked by ${failures.length} failed check(s): ${failures.slice(0, 3).map((f) => `check ${f.check} on version ${f.version}: ${f.reason}`).join('; ')}`);
  }
}

/** The persona has no label of that name (or none the actor may see); the runtime never falls back to another version. */
export class LabelNotFoundError extends PersonaError {
  readonly code = 'LABEL_NOT_FOUND';
  constructor(readonly idOrSlug: string, readonly label: string) {
    super(`Persona ${idOrSlug} has no label ${label}`);
  }
}

/** No such stored version of the persona (or none the actor may see). */
export class RevisionNotFoundError extends PersonaError {
  readonly code = 'REVISION_NOT_FOUND';
  constructor(readonly idOrSlug: string, readonly version: number) {
    super(`Persona ${idOrSlug} has no version ${version}`);
  }
}
