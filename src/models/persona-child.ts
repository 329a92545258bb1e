import { Column, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { compose } from '../validation/fields';
import { Model } from '../validation/model';

/**
 * The bookkeeping of every child row of a persona (traits, knowledge domains, behavior rules):
 * a row id, the owning persona and the position in its list. None of it is part of the JSON form
 * (no validation decorators), so `schemaFields` and `toPlain` never see it.
 */
export abstract class PersonaChild extends Model {
  /** @internal Row id. */
  @PrimaryGeneratedColumn('uuid')
  id?: string;

  /** @internal Owning persona. */
  @Column({ type: 'uuid' })
  personaId?: string;

  /** @internal Order within the persona's list. */
  @Column({ type: 'integer', default: 0 })
  position?: number;
}

/** The relation of a child row to its persona, the inverse of the persona's list `inverse`; deleted with it. */
export function OwningPersona(inverse: 'traits' | 'knowledgeDomains' | 'behaviorRules'): PropertyDecorator {
  return compose(ManyToOne('PersonaConfiguration', inverse, { onDelete: 'CASCADE', orphanedRowAction: 'delete' }), JoinColumn({ name: 'personaId' }));
}
