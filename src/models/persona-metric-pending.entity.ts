import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../validation/fields';

/**
 * One recorded interaction not folded yet: what `MetricsService.recordInteraction` writes, and all
 * it writes (one row, one statement). A fold (`MetricsService.flush`, or the background fold after
 * a few hundred writes or a short timer) moves pending rows, oldest `seq` first, into the log
 * ({@link PersonaInteraction}, under the same `id`) and the rollups in one transaction; every read
 * adds the rows still pending to the rollups, so figures are exact at every moment.
 * No foreign key (each would cost a lock on the persona row per event): a fold drops the rows of a
 * persona removed in the meantime. `version` is the version the event was recorded against.
 */
@Entity('persona_metric_pending')
@Index(['personaId'])
export class PersonaMetricPending {
  /**
   * The order of arrival; folds take the smallest first. Given by the writer: PostgreSQL's sequence
   * `persona_metric_pending_seq`, SQLite's largest + 1 (its writers are one queue).
   */
  @PrimaryColumn({ type: 'bigint', transformer: bigintAsNumber })
  seq!: number;

  /** The id of the log row it becomes. */
  @Column({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  personaId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'boolean' })
  success!: boolean;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  latencyMs!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  inputTokens!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  outputTokens!: number;

  @Column({ type: 'integer', nullable: true })
  rating!: number | null;

  @Column({ type: Date })
  at!: Date;
}
