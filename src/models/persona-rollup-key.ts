import { JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import type { PersonaConfiguration } from './persona-configuration.entity';

/**
 * The leading key columns shared by the metric rollup tables ({@link PersonaMetricRollup},
 * {@link PersonaLatencyBin}): the persona (rows deleted with it), the bucket's grain and start, and
 * the version. Subclasses declare the rest of their key after these, so the column order of each
 * table's primary key is unchanged.
 */
export abstract class PersonaRollupKey {
  @PrimaryColumn({ type: 'uuid' })
  personaId!: string;

  @ManyToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;

  /** 0 all time, 1 day, 2 hour. */
  @PrimaryColumn({ type: 'smallint' })
  grain!: number;

  @PrimaryColumn({ type: Date })
  bucketAt!: Date;

  @PrimaryColumn({ type: 'integer' })
  version!: number;
}
