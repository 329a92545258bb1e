import { EntityManager } from 'typeorm';
import { Actor, isAdmin } from '../actor';
import { LabelTarget, PersonaLabelRow, SplitMember } from '../models/persona-label.entity';
import { PersonaLabelMoveRow } from '../models/persona-label-move.entity';
import { PersonaRevision } from '../models/persona-revision.entity';

/**
 * Rows of releases: labels, their moves, and which versions of a persona an actor may see
 * (the private-era rule of docs/security.md, in SQL).
 */

/** The versions a label target names (split members in order). */
export function targetVersions(target: LabelTarget | { version: number | null; split: SplitMember[] | null } | null): number[] {
  if (!target) return [];
  if ('split' in target && target.split) return target.split.map((m) => m.version);
  return 'version' in target && typeof target.version === 'number' ? [target.version] : [];
}

/** A stored label row as a target. */
export function targetOf(row: { version: number | null; split: SplitMember[] | null }): LabelTarget {
  return row.split ? { split: row.split } : { version: row.version as number };
}

/** Every label row of a persona, by name. */
export async function labelRowsOf(manager: EntityManager, personaId: string): Promise<PersonaLabelRow[]> {
  return manager.getRepository(PersonaLabelRow).find({ where: { personaId }, order: { label: 'ASC' } });
}

/**
 * The versions of `persona` that `actor` may see, or null for "all of them" (its owner and
 * admins). Others see the versions written while the persona was public, and the versions a
 * label move published (a move by the owner or an admin while the persona was public).
 */
export async function readableVersions(manager: EntityManager, persona: { id?: string; createdBy: string }, actor: Actor): Promise<ReadonlySet<number> | null> {
  if (persona.createdBy === actor.id || isAdmin(actor)) return null;
  const rows = await manager
    .getRepository(PersonaRevision)
    .createQueryBuilder('r')
    .select('r.version', 'version')
    .where('r.personaId = :id AND r.wasPublic = :yes', { id: persona.id, yes: true })
    .getRawMany<{ version: number | string }>();
  const out = new Set(rows.map((r) => Number(r.version)));
  const moves = await manager.getRepository(PersonaLabelMoveRow).find({ where: { personaId: persona.id, published: true }, select: { toTarget: true } });
  for (const m of moves) for (const v of targetVersions(m.toTarget)) out.add(v);
  return out;
}

/** True when `versions` (from {@link readableVersions}) lets the actor see version `v`. */
export function canSeeVersion(versions: ReadonlySet<number> | null, v: number): boolean {
  return versions === null || versions.has(v);
}
