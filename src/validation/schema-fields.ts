import { getMetadataStorage } from 'class-validator';

const schemaFieldCache = new Map<Function, readonly string[]>();

/** The validated fields of a model class, in declaration order: its schema and its JSON form. */
export function schemaFields(cls: Function): readonly string[] {
  let fields = schemaFieldCache.get(cls);
  if (!fields) {
    const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
    fields = [...new Set(metas.map((m) => m.propertyName))];
    schemaFieldCache.set(cls, fields);
  }
  return fields;
}

const schemaIndexCache = new Map<Function, ReadonlyMap<string, number>>();

/** The position of each schema field of a class in {@link schemaFields}. */
export function schemaFieldIndexes(cls: Function): ReadonlyMap<string, number> {
  let indexes = schemaIndexCache.get(cls);
  if (!indexes) schemaIndexCache.set(cls, (indexes = new Map(schemaFields(cls).map((field, i) => [field, i]))));
  return indexes;
}
