import { Column, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { compose } from '../validation/fields';
import { Model } from '../validation/model';

/**
 * The bookkeeping of every child row of a persona (traits, knowledge domains, behavior rules):
 * the owning persona and the position in its list. None of it is part of the JSON form (no
 * validation decorators), so `schemaFields` and `toPlain` never see it. A row's key is its
 * persona and its `name` (unique within the persona, as validation requires too); on SQLite the
 * child tables are `WITHOUT ROWID`, stored in key order, so a persona's children sit together and
 * no row id, separate key or unique index is kept (docs/scaling.md, "Storage").
 */
export abstract class PersonaChild extends Model {
  /** @internal Owning persona. */
  @PrimaryColumn({ type: 'uuid' })
  personaId?: string;

  /** @internal Order within the persona's list. */
  @Column({ type: 'integer' })
  position?: number;
}

/** The relation of a child row to its persona, the inverse of the persona's list `inverse`; deleted with it. */
export function OwningPersona(inverse: 'traits' | 'knowledgeDomains' | 'behaviorRules'): PropertyDecorator {
  return compose(ManyToOne('PersonaConfiguration', inverse, { onDelete: 'CASCADE', orphanedRowAction: 'delete' }), JoinColumn({ name: 'personaId' }));
}
