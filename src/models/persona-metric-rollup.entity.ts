import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../validation/fields';
import { PersonaRollupKey } from './persona-rollup-key';

/**
 * The counters of one persona's interactions in one time bucket, for one version: what
 * `MetricsService` reads (with the pending rows not folded yet) instead of scanning the log.
 * `grain` says the bucket's size (0: all time, `bucketAt` = 1970-01-01; 1: a UTC day; 2: a UTC
 * hour). Only the fold (one at a time) and `recompute` write them, always in `shard` 0: writers
 * append to the pending queue instead. Readers still sum over `shard` (rows of other shards came
 * from the sharded writers of earlier releases; the PendingMetrics migration merged them).
 * Version 0 holds events recorded before versions were kept.
 */
@Entity('persona_metric_rollups')
export class PersonaMetricRollup extends PersonaRollupKey {
  @PrimaryColumn({ type: 'smallint' })
  shard!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  interactions!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  successes!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  inputTokens!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  outputTokens!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  latencySum!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  ratingCount!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  ratingSum!: number;

  @Column({ type: Date, nullable: true })
  lastAt!: Date | null;
}
