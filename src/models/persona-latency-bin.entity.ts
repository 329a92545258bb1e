import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../validation/fields';
import { PersonaRollupKey } from './persona-rollup-key';

/**
 * One bin of the latency histogram of a {@link PersonaMetricRollup} bucket (same key, plus `bin`):
 * how many events fell in it and the largest latency among them, from which p95 is read. `bin` is
 * the bin's lower bound in ms: exact below 32 ms, then 16 bins per power of two (each at most
 * 1/16 of its lower bound wide); see `latencyBin` in metrics-rollups.ts.
 */
@Entity('persona_latency_bins')
export class PersonaLatencyBin extends PersonaRollupKey {
  /** Lower bound of the bin, ms. */
  @PrimaryColumn({ type: 'integer' })
  bin!: number;

  @PrimaryColumn({ type: 'smallint' })
  shard!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  count!: number;

  /** Largest latency in the bin, ms. */
  @Column({ type: 'integer' })
  maxMs!: number;
}
