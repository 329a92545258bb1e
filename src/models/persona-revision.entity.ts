import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { PersonaLogEntry } from './persona-log-entry';

/** One saved version of a persona: who changed it, when, and the full JSON form at that version. */
@Entity('persona_revisions')
@Index(['personaId', 'version'], { unique: true })
export class PersonaRevision extends PersonaLogEntry {
  @Column({ type: 'integer' })
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
   * (`toPlain(persona, { excludeUnset: true })`, whose keys are the fields set) with `id`,
   * `version`, both timestamps and `interop`, and `fieldPaths` empty; the defaults come back from
   * the classes. Written before: `toPlain(persona)` whole, with `fieldPaths`. Read it through
   * `PersonaStore.history()`, which gives the whole `toPlain` form for both.
   */
  @Column({ type: 'simple-json' })
  snapshot!: Record<string, unknown>;

  /** `setFieldPaths(persona)` at this version for revisions with a whole snapshot (older ones); empty for the newer form. */
  @Column({ type: 'simple-json' })
  fieldPaths!: string[];
}
