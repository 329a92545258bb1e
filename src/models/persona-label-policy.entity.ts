import { Column, Entity, Index } from 'typeorm';
import type { RenderCheck } from './persona-label.entity';
import { PersonaLogEntry } from './persona-log-entry';

/** The policy of one label of one persona: who may move it (`roles`) and the render checks a move must pass. */
@Entity('persona_label_policies')
@Index(['personaId', 'label'], { unique: true })
export class PersonaLabelPolicyRow extends PersonaLogEntry {
  @Column({ length: 50 })
  label!: string;

  /** Roles allowed to move the label (besides admins); empty: the persona's writers. */
  @Column({ type: 'simple-json' })
  roles!: string[];

  @Column({ type: 'simple-json' })
  checks!: RenderCheck[];

  @Column({ length: 255 })
  updatedBy!: string;

  @Column({ type: Date })
  updatedAt!: Date;
}
