import { Column, Entity, Index } from 'typeorm';
import type { LabelTarget } from './persona-label.entity';
import { PersonaLogEntry } from './persona-log-entry';

/**
 * One move of a label, kept for ever (the audit trail of releases): from where to where, by
 * whom, when, and whether it published its versions (a move by the owner or an admin while the
 * persona is public publishes the versions it points at, even ones written while it was private).
 */
@Entity('persona_label_moves')
@Index(['personaId', 'movedAt'])
export class PersonaLabelMoveRow extends PersonaLogEntry {
  @Column({ length: 50 })
  label!: string;

  /** Where the label pointed before (null: it did not exist). */
  @Column({ type: 'simple-json', nullable: true })
  fromTarget!: LabelTarget | null;

  /** Where it points after (null: it was removed). */
  @Column({ type: 'simple-json', nullable: true })
  toTarget!: LabelTarget | null;

  @Column({ length: 255 })
  movedBy!: string;

  @Column({ type: Date })
  movedAt!: Date;

  /** True when this move published the versions of `toTarget` (see above). */
  @Column({ type: 'boolean', default: false })
  published!: boolean;
}
