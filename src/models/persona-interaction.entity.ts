import { Column, Entity, Index } from 'typeorm';
import { PersonaLogEntry } from './persona-log-entry';
import { bigintAsNumber } from '../validation/fields';

/**
 * One recorded interaction: the log that `MetricsService.recompute` rebuilds the rollups from
 * (read by persona and time; `pruneLog` deletes by time). Reads never scan it. Rows arrive through
 * the fold, from `persona_metric_pending` (see PersonaMetricPending), under the id the writer chose.
 * `MetricsService` writes only events within `INTERACTION_LIMITS` (latency ≤ one day, tokens
 * ≤ 10,000,000, rating 1–5, `at` from 2000 to now + 5 minutes); rows outside them can only come
 * from older versions or from hand-written SQL, and recompute reads them at the nearest bound.
 */
@Entity('persona_interactions')
@Index(['personaId', 'at'])
@Index(['at'])
export class PersonaInteraction extends PersonaLogEntry {
  /** The persona version that served the interaction (null for events recorded before versions were kept). */
  @Column({ type: 'integer', nullable: true })
  version!: number | null;

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
