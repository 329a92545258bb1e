import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import type { PersonaConfiguration } from '../models/persona-configuration.entity';
import { bigintAsNumber } from '../validation/fields';

/** One recorded interaction: the log that `MetricsService.recompute` rebuilds the aggregates from. */
@Entity('persona_interactions')
@Index(['personaId', 'latencyMs'])
export class PersonaInteraction {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  personaId!: string;

  @ManyToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;

  @Column({ type: 'boolean' })
  success!: boolean;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  latencyMs!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  inputTokens!: number;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  outputTokens!: number;

  @Column({ type: 'integer', nullable: true })
  rating!: number | null;

  @Column({ type: Date })
  at!: Date;
}
