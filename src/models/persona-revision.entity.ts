import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import type { PersonaConfiguration } from './persona-configuration.entity';

/**
 * One saved version of a persona: who changed it, when, and the persona at that version. Keyed
 * by the persona and the version (on SQLite a `WITHOUT ROWID` table, stored in that order: the
 * revision of a persona's current version, which lists and lookups read, is one index descent
 * away, and no row id or separate index is kept).
 */
@Entity('persona_revisions', { withoutRowid: true })
export class PersonaRevision {
  @PrimaryColumn({ type: 'uuid' })
  personaId!: string;

  @ManyToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ length: 255 })
  changedBy!: string;

  @CreateDateColumn()
  changedAt!: Date;

  /** Whether the persona was public when this version was written: other readers see only such versions (and published ones). */
  @Column({ type: 'boolean', default: false })
  wasPublic!: boolean;

  /** The change message given with `update`/`revert` (at most 500 characters), or null. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  message!: string | null;

  /**
   * The persona at this version. Written since 2026-11: the fields its author set only
   * (`toPlain(persona, { excludeUnset: true })`, whose keys are the fields set) with `createdAt`,
   * and `fieldPaths` empty; the id, version and `updatedAt` are this row's `personaId`, `version`
   * and `changedAt`, and the defaults come back from the classes. Written before: `toPlain(persona)`
   * whole, with `fieldPaths`. Read it through `PersonaStore.history()`, which gives the whole
   * `toPlain` form for both.
   */
  @Column({ type: 'simple-json' })
  snapshot!: Record<string, unknown>;

  /** `setFieldPaths(persona)` at this version for revisions with a whole snapshot (older ones); empty for the newer form. */
  @Column({ type: 'simple-json' })
  fieldPaths!: string[];
}
