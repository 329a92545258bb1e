import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../validation/fields';
import { PersonaRollupKey } from './persona-rollup-key';

/**
 * The counters of one persona's interactions in one time bucket, for one version, in one shard:
 * what `MetricsService` reads instead of scanning the log. `grain` says the bucket's size (0: all
 * time, `bucketAt` = 1970-01-01; 1: a UTC day; 2: a UTC hour). Writers add to a random one of
 * `shards` rows per bucket, so that concurrent writers on one persona rarely wait on one row lock;
 * readers sum the shards. Version 0 holds events recorded before versions were kept.
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
