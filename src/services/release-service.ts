import { createHash, randomInt } from 'crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, isAdmin } from '../actor';
import { isVersionNumber, versionNumberMessage } from '../validation/version-number';
import {
  AccessDeniedError,
  BudgetExceededError,
  InheritanceCycleError,
  InheritanceDepthError,
  LabelNotFoundError,
  PersonaNotFoundError,
  PromotionBlockedError,
  PromotionFailure,
  RevisionNotFoundError,
  ValidationIssue,
} from '../errors';
import { LabelTarget, PersonaLabelRow, RenderCheck, SplitMember } from '../models/persona-label.entity';
import { PersonaLabelMoveRow } from '../models/persona-label-move.entity';
import { PersonaLabelPolicyRow } from '../models/persona-label-policy.entity';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaRevision } from '../models/persona-revision.entity';
import { newId } from '../persistence/ids';
import { DEFAULT_MAX_INHERITANCE_DEPTH, findPersona, findPersonasByIds, personaOfRevision } from '../persistence/persona-rows';
import { canSeeVersion, labelRowsOf, readableVersions, targetOf, targetVersions } from '../persistence/release-rows';
import { refuse, VersionedRecords } from '../persistence/versioned-records';
import { assertActor, canRead, canWrite } from './access';
import { mergeLineage } from './inheritance-resolver';
import { assertRenderOptions, MAX_CONTEXT_LENGTH, MAX_TOKEN_BUDGET, renderSystemPrompt, TokenCounter } from './prompt-renderer';

export type { LabelTarget, RenderCheck, SplitMember } from '../models/persona-label.entity';

/** A label as `labels()` and `setLabel()` return it. */
export type PersonaLabel = { label: string; version: number | null; split: SplitMember[] | null; movedBy: string; movedAt: Date };

/** One move of a label, oldest first in `labelHistory()`. */
export type LabelMove = { label: string; from: LabelTarget | null; to: LabelTarget | null; movedBy: string; movedAt: Date };

/** A label policy: who may move the label (besides admins) and the render checks every move must pass. */
export type LabelPolicy = { roles?: string[]; checks?: RenderCheck[] };

/** Label names: a lower-case letter, then up to 49 of `a-z 0-9 . _ -`. */
export const LABEL_PATTERN = /^[a-z][a-z0-9._-]{0,49}$/;
/** The reserved label: always the current version; never stored or listed. */
export const LATEST_LABEL = 'latest';
/** Limits of targets and policies. */
export const RELEASE_LIMITS = Object.freeze({ maxSplitMembers: 10, maxWeight: 1_000_000, maxRoles: 20, maxChecks: 20, maxMustInclude: 20, maxMustIncludeLength: 1000, maxMustActivate: 50 });

/** Refuses a label name that does not match {@link LABEL_PATTERN}, or `latest` (unless `allowLatest`). */
export function assertLabelName(label: unknown, options: { allowLatest?: boolean } = {}): asserts label is string {
  if (typeof label !== 'string' || !LABEL_PATTERN.test(label)) {
    refuse([{ path: 'label', constraint: 'matches', message: 'label must match ^[a-z][a-z0-9._-]{0,49}$' }], 'label');
  }
  if (label === LATEST_LABEL && !options.allowLatest) refuse([{ path: 'label', constraint: 'reserved', message: '"latest" always means the current version and cannot be set' }], 'label');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const isVersion = isVersionNumber;

/** A target checked and normalised: `{ version }` or `{ split }` with positive integer weights and distinct versions. */
export function checkTarget(target: unknown): LabelTarget {
  const issues: ValidationIssue[] = [];
  const at = (path: string, constraint: string, message: string) => issues.push({ path, constraint, message });
  if (!isObject(target)) refuse([{ path: 'target', constraint: 'isObject', message: 'target must be { version } or { split: [{ version, weight }] }' }], 'target');
  const keys = Object.keys(target);
  if (keys.length === 1 && keys[0] === 'version') {
    if (!isVersion(target.version)) at('target.version', 'isInt', versionNumberMessage('version'));
  } else if (keys.length === 1 && keys[0] === 'split') {
    const split = target.split;
    if (!Array.isArray(split) || split.length < 1 || split.length > RELEASE_LIMITS.maxSplitMembers) {
      at('target.split', 'arraySize', `split must list 1 to ${RELEASE_LIMITS.maxSplitMembers} versions`);
    } else {
      const seen = new Set<number>();
      split.forEach((m, i) => {
        if (!isObject(m) || Object.keys(m).some((k) => k !== 'version' && k !== 'weight')) return at(`target.split[${i}]`, 'isObject', 'each member is { version, weight }');
        if (!isVersion(m.version)) at(`target.split[${i}].version`, 'isInt', versionNumberMessage('version'));
        else if (seen.has(m.version)) at(`target.split[${i}].version`, 'unique', `version ${m.version} is listed twice`);
        else seen.add(m.version);
        if (!Number.isSafeInteger(m.weight) || (m.weight as number) < 1 || (m.weight as number) > RELEASE_LIMITS.maxWeight) {
          at(`target.split[${i}].weight`, 'isInt', `weight must be an integer from 1 to ${RELEASE_LIMITS.maxWeight}`);
        }
      });
    }
  } else {
    at('target', 'isTarget', 'target must be { version } or { split: [{ version, weight }] }');
  }
  if (issues.length) refuse(issues, 'target');
  const t = target as LabelTarget;
  return 'version' in t ? { version: t.version } : { split: t.split.map((m) => ({ version: m.version, weight: m.weight })) };
}

const stringList = (value: unknown, max: number, maxLength: number) =>
  Array.isArray(value) && value.length <= max && value.every((v) => typeof v === 'string' && v.length >= 1 && v.length <= maxLength);

/** A policy checked: roles, and render checks within the renderer's own limits. */
export function checkPolicy(policy: unknown): { roles: string[]; checks: RenderCheck[] } {
  const issues: ValidationIssue[] = [];
  const at = (path: string, constraint: string, message: string) => issues.push({ path, constraint, message });
  if (!isObject(policy)) refuse([{ path: 'policy', constraint: 'isObject', message: 'policy must be { roles?, checks? }' }], 'policy');
  for (const key of Object.keys(policy)) if (key !== 'roles' && key !== 'checks') at(key, 'whitelistValidation', `unknown field "${key}"`);
  const roles = policy.roles ?? [];
  if (!stringList(roles, RELEASE_LIMITS.maxRoles, 255)) at('roles', 'isStringArray', `roles must be at most ${RELEASE_LIMITS.maxRoles} strings of 1 to 255 characters`);
  const checks = policy.checks ?? [];
  if (!Array.isArray(checks) || checks.length > RELEASE_LIMITS.maxChecks) at('checks', 'arraySize', `checks must be a list of at most ${RELEASE_LIMITS.maxChecks}`);
  else {
    checks.forEach((c, i) => {
      const p = `checks[${i}]`;
      if (!isObject(c)) return at(p, 'isObject', 'a check is an object');
      for (const key of Object.keys(c)) if (!['context', 'tokenBudget', 'maxPromptTokens', 'mustInclude', 'mustActivate'].includes(key)) at(`${p}.${key}`, 'whitelistValidation', `unknown field "${key}"`);
      if (c.context !== undefined && (typeof c.context !== 'string' || c.context.length > MAX_CONTEXT_LENGTH)) at(`${p}.context`, 'maxLength', `context must be a string of at most ${MAX_CONTEXT_LENGTH} characters`);
      for (const key of ['tokenBudget', 'maxPromptTokens']) {
        const v = c[key];
        if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > MAX_TOKEN_BUDGET)) at(`${p}.${key}`, 'isInt', `${key} must be an integer from 1 to ${MAX_TOKEN_BUDGET}`);
      }
      if (c.mustInclude !== undefined && !stringList(c.mustInclude, RELEASE_LIMITS.maxMustInclude, RELEASE_LIMITS.maxMustIncludeLength)) {
        at(`${p}.mustInclude`, 'isStringArray', `mustInclude must be at most ${RELEASE_LIMITS.maxMustInclude} strings of 1 to ${RELEASE_LIMITS.maxMustIncludeLength} characters`);
      }
      if (c.mustActivate !== undefined && !stringList(c.mustActivate, RELEASE_LIMITS.maxMustActivate, 100)) {
        at(`${p}.mustActivate`, 'isStringArray', `mustActivate must be at most ${RELEASE_LIMITS.maxMustActivate} domain names`);
      }
    });
  }
  if (issues.length) refuse(issues, 'policy');
  return { roles: [...new Set(roles as string[])], checks: (checks as RenderCheck[]).map((c) => JSON.parse(JSON.stringify(c))) };
}

/**
 * The member of a split that `subject` gets: a stable hash of the persona id, the label and the
 * subject picks a point in the total weight (same subject, same version while the split is
 * unchanged). Without a subject, a random point (by weight).
 */
export function pickSplitMember(personaId: string, label: string, subject: string | undefined, split: SplitMember[]): number {
  const total = split.reduce((sum, m) => sum + m.weight, 0);
  let point: number;
  if (subject === undefined) point = randomInt(total);
  else {
    const digest = createHash('sha256').update(`${personaId}\u0000${label}\u0000${subject}`).digest();
    point = digest.readUIntBE(0, 6) % total;
  }
  for (const m of split) {
    if (point < m.weight) return m.version;
    point -= m.weight;
  }
  return split[split.length - 1].version;
}

/** A persona at one stored version, rebuilt from its revision (what it set included). */
async function personaAtVersion(manager: EntityManager, personaId: string, version: number): Promise<PersonaConfiguration | null> {
  const revision = await manager.getRepository(PersonaRevision).findOne({ where: { personaId, version } });
  if (!revision) return null;
  return personaOfRevision(revision);
}

/** What serving by label resolved: the lineage (nearest first), the version and label of the named persona. */
export type ServedLineage = { lineage: PersonaConfiguration[]; version: number; label: string | null; random: boolean };

/**
 * The lineage a persona is served with under `label` (docs/releases.md): the named persona at its
 * labelled version (a split picked by `subject`); then up its own `parentId` at that version,
 * each ancestor at its version of the same label when it has that label, else its current
 * version. Every persona must be readable by the actor and every served version visible to it;
 * a named persona without the label (or with one the actor may not see) is `LabelNotFoundError`.
 * `random` is true when a split was picked without a subject (not to be cached as the label's).
 */
export async function servedLineage(
  manager: EntityManager,
  idOrSlug: string,
  label: string,
  subject: string | undefined,
  actor: Actor,
  maxDepth = DEFAULT_MAX_INHERITANCE_DEPTH,
): Promise<ServedLineage> {
  const named = typeof idOrSlug === 'string' && idOrSlug ? await findPersona(manager, idOrSlug) : null;
  if (!named || !canRead(actor, named)) throw new PersonaNotFoundError(String(idOrSlug));
  const pick = await labelledVersion(manager, named, label, subject, actor);
  if (!pick) throw new LabelNotFoundError(String(idOrSlug), label);
  const served = pick.version === named.version ? named : await personaAtVersion(manager, named.id as string, pick.version);
  if (!served) throw new RevisionNotFoundError(String(idOrSlug), pick.version);
  const walked = await walkLineage(manager, served, label, subject, actor, maxDepth);
  return { lineage: walked.lineage, version: pick.version, label, random: pick.random || walked.random };
}

/** The version `label` serves of `persona` to this actor and subject, or null when it has no such label the actor may see. */
async function labelledVersion(manager: EntityManager, persona: PersonaConfiguration, label: string, subject: string | undefined, actor: Actor): Promise<{ version: number; random: boolean } | null> {
  const row = await manager.getRepository(PersonaLabelRow).findOne({ where: { personaId: persona.id, label } });
  if (!row) return null;
  const visible = await readableVersions(manager, persona, actor);
  if (!targetVersions(row).every((v) => canSeeVersion(visible, v))) return null;
  if (!row.split) return { version: row.version as number, random: false };
  return { version: pickSplitMember(persona.id as string, label, subject, row.split), random: subject === undefined };
}

/** `start` (already at the version to serve) and its ancestors as served under `label`, nearest first. */
async function walkLineage(manager: EntityManager, start: PersonaConfiguration, label: string, subject: string | undefined, actor: Actor, maxDepth: number): Promise<{ lineage: PersonaConfiguration[]; random: boolean }> {
  const lineage = [start];
  const seen = [start.id as string];
  let random = false;
  for (let at = start; at.parentId; ) {
    const id = at.parentId;
    if (seen.includes(id)) throw new InheritanceCycleError([...seen, id]);
    seen.push(id);
    if (seen.length > maxDepth) throw new InheritanceDepthError(start.id as string, maxDepth);
    const [parent] = await findPersonasByIds(manager, [id]);
    if (!parent || !canRead(actor, parent)) throw new PersonaNotFoundError(id);
    const pick = await labelledVersion(manager, parent, label, subject, actor);
    random ||= pick?.random ?? false;
    const served = !pick || pick.version === parent.version ? parent : await personaAtVersion(manager, id, pick.version);
    if (!served) throw new RevisionNotFoundError(id, pick?.version ?? 0);
    lineage.push(served);
    at = served;
  }
  return { lineage, random };
}

function asLabel(row: PersonaLabelRow): PersonaLabel {
  return { label: row.label, version: row.split ? null : row.version, split: row.split ?? null, movedBy: row.movedBy, movedAt: row.movedAt };
}

/** Options of the release service. */
export type ReleaseServiceOptions = { counter?: TokenCounter; maxDepth?: number };

/**
 * Releases: labels that say which version of a persona is served (`production`, `staging`, a
 * weighted split for A/B tests), their audited moves, and per-label policies (who may move a label,
 * and render checks every move must pass). A refused move changes nothing. Concurrent moves of one
 * label: the last writer wins and both moves are in `labelHistory` (moves of one persona are
 * serialised by a lock on its row). See docs/releases.md.
 */
export class ReleaseService {
  private readonly records: VersionedRecords<PersonaConfiguration>;
  private readonly maxDepth: number;

  constructor(dataSource: DataSource, private readonly options: ReleaseServiceOptions = {}) {
    this.records = new VersionedRecords(dataSource, { entity: PersonaConfiguration, kind: 'persona', find: findPersona });
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_INHERITANCE_DEPTH;
  }

  /** Points `label` at a version or a weighted split, after the label's policy allows the actor and every render check passes for every version it would serve. */
  async setLabel(idOrSlug: string, label: string, target: LabelTarget, actor: Actor): Promise<PersonaLabel> {
    assertActor(actor);
    assertLabelName(label);
    const to = checkTarget(target);
    return this.records.write(async (manager) => {
      const persona = await this.lockedReadable(manager, idOrSlug, actor);
      const policy = await manager.getRepository(PersonaLabelPolicyRow).findOne({ where: { personaId: persona.id, label } });
      this.assertMayMove(actor, persona, policy, label, idOrSlug);
      const visible = await readableVersions(manager, persona, actor);
      const versions = targetVersions(to);
      const existing = await manager.getRepository(PersonaRevision).find({ where: versions.map((version) => ({ personaId: persona.id, version })), select: { version: true } });
      for (const v of versions) if (!existing.some((r) => r.version === v) || !canSeeVersion(visible, v)) throw new RevisionNotFoundError(idOrSlug, v);
      if (policy?.checks.length) await this.gate(manager, persona, label, versions, policy.checks, actor);
      const repo = manager.getRepository(PersonaLabelRow);
      const before = await repo.findOne({ where: { personaId: persona.id, label } });
      const from = before ? targetOf(before) : null;
      const now = new Date();
      const row = Object.assign(before ?? new PersonaLabelRow(), {
        id: before?.id ?? newId(),
        personaId: persona.id as string,
        label,
        version: 'version' in to ? to.version : null,
        split: 'split' in to ? to.split : null,
        movedBy: actor.id,
        movedAt: now,
      });
      await repo.save(row);
      await this.recordMove(manager, persona, label, from, to, actor, now);
      return asLabel(row);
    });
  }

  /** Removes a label (same rule as moving it); a label that does not exist is `LabelNotFoundError`. */
  async removeLabel(idOrSlug: string, label: string, actor: Actor): Promise<void> {
    assertActor(actor);
    assertLabelName(label);
    await this.records.write(async (manager) => {
      const persona = await this.lockedReadable(manager, idOrSlug, actor);
      const policy = await manager.getRepository(PersonaLabelPolicyRow).findOne({ where: { personaId: persona.id, label } });
      const row = await manager.getRepository(PersonaLabelRow).findOne({ where: { personaId: persona.id, label } });
      const visible = await readableVersions(manager, persona, actor);
      if (!row || !targetVersions(row).every((v) => canSeeVersion(visible, v))) throw new LabelNotFoundError(idOrSlug, label);
      this.assertMayMove(actor, persona, policy, label, idOrSlug);
      await manager.getRepository(PersonaLabelRow).delete({ id: row.id });
      await this.recordMove(manager, persona, label, targetOf(row), null, actor, new Date());
    });
  }

  /** The labels of a persona the actor may see (those pointing only at versions it may see), by name. */
  async labels(idOrSlug: string, actor: Actor): Promise<PersonaLabel[]> {
    assertActor(actor);
    return this.records.read(async (manager) => {
      const persona = await this.records.findReadable(manager, idOrSlug, actor);
      const visible = await readableVersions(manager, persona, actor);
      return (await labelRowsOf(manager, persona.id as string)).filter((r) => targetVersions(r).every((v) => canSeeVersion(visible, v))).map(asLabel);
    });
  }

  /** Every move of the persona's labels the actor may see, oldest first. */
  async labelHistory(idOrSlug: string, actor: Actor): Promise<LabelMove[]> {
    assertActor(actor);
    return this.records.read(async (manager) => {
      const persona = await this.records.findReadable(manager, idOrSlug, actor);
      const visible = await readableVersions(manager, persona, actor);
      const moves = await manager.getRepository(PersonaLabelMoveRow).find({ where: { personaId: persona.id }, order: { movedAt: 'ASC', id: 'ASC' } });
      return moves
        .filter((m) => [...targetVersions(m.fromTarget), ...targetVersions(m.toTarget)].every((v) => canSeeVersion(visible, v)))
        .map((m) => ({ label: m.label, from: m.fromTarget ?? null, to: m.toTarget ?? null, movedBy: m.movedBy, movedAt: m.movedAt }));
    });
  }

  /**
   * Sets (replacing) the policy of one label, which may exist before the label does. The owner or
   * an admin sets a policy without roles; only an admin sets, replaces or removes one that names roles.
   */
  async setPolicy(idOrSlug: string, label: string, policy: LabelPolicy, actor: Actor): Promise<void> {
    assertActor(actor);
    assertLabelName(label);
    const next = checkPolicy(policy);
    await this.records.write(async (manager) => {
      const persona = await this.lockedReadable(manager, idOrSlug, actor);
      const repo = manager.getRepository(PersonaLabelPolicyRow);
      const before = await repo.findOne({ where: { personaId: persona.id, label } });
      this.assertMaySetPolicy(actor, persona, before, next.roles, idOrSlug);
      await repo.save(Object.assign(before ?? new PersonaLabelPolicyRow(), { id: before?.id ?? newId(), personaId: persona.id as string, label, roles: next.roles, checks: next.checks, updatedBy: actor.id, updatedAt: new Date() }));
    });
  }

  /** Removes the policy of one label (same rule as setting it); none is a no-op. */
  async removePolicy(idOrSlug: string, label: string, actor: Actor): Promise<void> {
    assertActor(actor);
    assertLabelName(label);
    await this.records.write(async (manager) => {
      const persona = await this.lockedReadable(manager, idOrSlug, actor);
      const repo = manager.getRepository(PersonaLabelPolicyRow);
      const before = await repo.findOne({ where: { personaId: persona.id, label } });
      this.assertMaySetPolicy(actor, persona, before, [], idOrSlug);
      if (before) await repo.delete({ id: before.id });
    });
  }

  /** The policy of one label, or null (readers of the persona may see it). */
  async policy(idOrSlug: string, label: string, actor: Actor): Promise<{ roles: string[]; checks: RenderCheck[] } | null> {
    assertActor(actor);
    assertLabelName(label);
    return this.records.read(async (manager) => {
      const persona = await this.records.findReadable(manager, idOrSlug, actor);
      const row = await manager.getRepository(PersonaLabelPolicyRow).findOne({ where: { personaId: persona.id, label } });
      return row ? { roles: row.roles, checks: row.checks } : null;
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** The persona, readable by the actor, with its row locked for the rest of the transaction on PostgreSQL (label moves of one persona are serialised). */
  private async lockedReadable(manager: EntityManager, idOrSlug: string, actor: Actor): Promise<PersonaConfiguration> {
    const persona = await this.records.findReadable(manager, idOrSlug, actor);
    if (manager.connection.options.type === 'postgres') await manager.query('SELECT id FROM personas WHERE id = $1 FOR UPDATE', [persona.id]);
    return persona;
  }

  /** Without a policy naming roles: write access. With one: an admin or a holder of one of its roles. */
  private assertMayMove(actor: Actor, persona: PersonaConfiguration, policy: PersonaLabelPolicyRow | null, label: string, idOrSlug: string): void {
    const roles = policy?.roles ?? [];
    const allowed = roles.length ? isAdmin(actor) || (actor.roles ?? []).some((r) => roles.includes(r)) : canWrite(actor, persona);
    if (!allowed) throw new AccessDeniedError(`${actor.id} may not move label ${label} of persona ${idOrSlug}`, actor.id);
  }

  private assertMaySetPolicy(actor: Actor, persona: PersonaConfiguration, before: PersonaLabelPolicyRow | null, roles: string[], idOrSlug: string): void {
    const namesRoles = roles.length > 0 || (before?.roles.length ?? 0) > 0;
    const allowed = namesRoles ? isAdmin(actor) : canWrite(actor, persona);
    if (!allowed) throw new AccessDeniedError(`${actor.id} may not ${namesRoles ? 'set a policy naming roles on' : 'set a policy on'} persona ${idOrSlug}`, actor.id);
  }

  private async recordMove(manager: EntityManager, persona: PersonaConfiguration, label: string, from: LabelTarget | null, to: LabelTarget | null, actor: Actor, at: Date): Promise<void> {
    // A move by the owner or an admin while the persona is public publishes what it points at.
    const published = to !== null && persona.isPublic && canWrite(actor, persona);
    await manager.getRepository(PersonaLabelMoveRow).insert({ id: newId(), personaId: persona.id as string, label, fromTarget: from, toTarget: to, movedBy: actor.id, movedAt: at, published });
  }

  /** Renders every version as it would be served under `label` for every check; refuses with every failure. */
  private async gate(manager: EntityManager, persona: PersonaConfiguration, label: string, versions: number[], checks: RenderCheck[], actor: Actor): Promise<void> {
    const failures: PromotionFailure[] = [];
    for (const version of versions) {
      const self = version === persona.version ? persona : await personaAtVersion(manager, persona.id as string, version);
      if (!self) throw new RevisionNotFoundError(persona.slug, version);
      // A split ancestor is rendered at the member the empty subject gets, so a gate is deterministic.
      const { lineage } = await walkLineage(manager, self, label, '', actor, this.maxDepth);
      const resolved = mergeLineage(lineage).persona;
      checks.forEach((check, index) => {
        const fail = (reason: string) => failures.push({ check: index, version, reason });
        try {
          assertRenderOptions({ context: check.context, tokenBudget: check.tokenBudget });
          const prompt = renderSystemPrompt(resolved, { context: check.context, tokenBudget: check.tokenBudget, counter: this.options.counter });
          if (check.maxPromptTokens !== undefined && prompt.tokens > check.maxPromptTokens) fail(`the prompt takes ${prompt.tokens} tokens, more than ${check.maxPromptTokens}`);
          for (const text of check.mustInclude ?? []) if (!prompt.text.includes(text)) fail(`the prompt does not include ${JSON.stringify(text)}`);
          for (const name of check.mustActivate ?? []) if (!prompt.activeDomains.includes(name)) fail(`knowledge domain ${JSON.stringify(name)} is not active`);
        } catch (error) {
          if (error instanceof BudgetExceededError) fail(`identity and mandatory rules need ${error.requiredTokens} tokens; the budget is ${error.tokenBudget}`);
          else throw error;
        }
      });
    }
    if (failures.length) throw new PromotionBlockedError(label, failures);
  }
}
