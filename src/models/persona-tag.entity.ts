import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import type { PersonaConfiguration } from './persona-configuration.entity';

/**
 * One tag of one persona, on SQLite: the side table that `PersonaStore.list({ tag })` finds
 * personas through (an index lookup instead of reading every row's JSON). Kept in step with
 * `personas.tags` by the store's writes (persona-rows.ts). On PostgreSQL the table exists but
 * stays empty: a GIN index on the tags serves the same filter.
 */
@Entity('persona_tags', { withoutRowid: true })
@Index(['tag', 'personaId'])
export class PersonaTagRow {
  @PrimaryColumn({ type: 'uuid' })
  personaId!: string;

  @ManyToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;

  @PrimaryColumn({ type: 'varchar', length: 50 })
  tag!: string;
}
