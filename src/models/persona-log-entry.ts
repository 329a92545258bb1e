import { Column, JoinColumn, ManyToOne, PrimaryColumn, Relation } from 'typeorm';
import type { PersonaConfiguration } from './persona-configuration.entity';

/**
 * The bookkeeping of an append-only row about one persona (its revisions, its interactions): a
 * row id, the persona's id, and the relation that deletes the row with the persona.
 */
export abstract class PersonaLogEntry {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  personaId!: string;

  @ManyToOne('PersonaConfiguration', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'personaId' })
  persona?: Relation<PersonaConfiguration>;
}
