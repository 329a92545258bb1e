import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import type { PersonaConfiguration } from '../models/persona-configuration.entity';

/** One saved version of a persona: who changed it, when, and the full JSON form at that version. */
@Entity('persona_revisions')
@Index(['personaId', 'version'], { unique: true })
export class PersonaRevision {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  personaId!: string;

  @ManyToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ length: 255 })
  changedBy!: string;

  @CreateDateColumn()
  changedAt!: Date;

  /** `toPlain(persona)` at this version (id, version and timestamps included). */
  @Column({ type: 'simple-json' })
  snapshot!: Record<string, unknown>;

  /** `setFieldPaths(persona)` at this version, so a revert restores what was set. */
  @Column({ type: 'simple-json' })
  fieldPaths!: string[];
}
