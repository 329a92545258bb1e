import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, Relation } from 'typeorm';
import type { PersonaConfiguration } from './persona-configuration.entity';

/**
 * How far back a persona's interaction log was pruned (`MetricsService.pruneLog`): its log before
 * `prunedBefore` is gone, so `recompute` keeps the rollups of those hours as they are.
 */
@Entity('persona_log_horizons')
export class PersonaLogHorizon {
  @PrimaryColumn({ type: 'uuid' })
  personaId!: string;

  @OneToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;

  /** An hour boundary (UTC). */
  @Column({ type: Date })
  prunedBefore!: Date;
}
