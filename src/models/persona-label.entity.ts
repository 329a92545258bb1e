import { Column, Entity, Index } from 'typeorm';
import { PersonaLogEntry } from './persona-log-entry';

/** One weighted member of a split label: serve `version` to a `weight` share of subjects. */
export type SplitMember = { version: number; weight: number };

/** What a label points at: one version, or a weighted split between versions. */
export type LabelTarget = { version: number } | { split: SplitMember[] };

/**
 * A label of a persona (`production`, `staging`, ...): the version (or weighted split of
 * versions) it serves, and who moved it last. `latest` is never stored: it always means the
 * current version. See docs/releases.md.
 */
@Entity('persona_labels')
@Index(['personaId', 'label'], { unique: true })
export class PersonaLabelRow extends PersonaLogEntry {
  /** Matches `^[a-z][a-z0-9._-]{0,49}$`. */
  @Column({ length: 50 })
  label!: string;

  /** The version served, or null when the label is a split. */
  @Column({ type: 'integer', nullable: true })
  version!: number | null;

  /** The weighted versions served, or null when the label points at one version. */
  @Column({ type: 'simple-json', nullable: true })
  split!: SplitMember[] | null;

  @Column({ length: 255 })
  movedBy!: string;

  @Column({ type: Date })
  movedAt!: Date;
}

/** A render check a label move must pass for every version it would serve. */
export type RenderCheck = { context?: string; tokenBudget?: number; maxPromptTokens?: number; mustInclude?: string[]; mustActivate?: string[] };
