import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { BehaviorRule } from '../models/behavior-rule.entity';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { MemoryConfiguration } from '../models/memory-configuration.embedded';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaTrait } from '../models/persona-trait.entity';
import { ResponseStyle } from '../models/response-style.embedded';
import { VoiceConfiguration } from '../models/voice-configuration.embedded';
import { Model, schemaFields } from '../validation/model';

type Schema = Record<string, unknown>;

const CLASSES: (new () => Model)[] = [PersonaConfiguration, PersonaTrait, ResponseStyle, KnowledgeDomain, BehaviorRule, MemoryConfiguration, VoiceConfiguration];

/** Our own constraints, in JSON Schema where it can say them (cross-field rules it cannot are left to `validateModel`). */
const CONVERTERS: Record<string, Schema> = {
  isTraitValue: {
    oneOf: [
      { type: 'number', minimum: 0, maximum: 100 },
      { type: 'string', minLength: 1, maxLength: 200 },
      { type: 'boolean' },
    ],
  },
  isJsonObject: { type: 'object' },
  isFlatRecord: {
    type: 'object',
    maxProperties: 50,
    propertyNames: { minLength: 1, maxLength: 100 },
    additionalProperties: { oneOf: [{ type: 'string', maxLength: 1000 }, { type: 'number' }, { type: 'boolean' }] },
  },
  isSlug: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', not: { pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' } },
  isBcp47: { type: 'string', maxLength: 35, pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$' },
  isBelowField: {},
  exclusiveWith: {},
  uniqueNames: {},
};

let cached: Schema | undefined;

/**
 * The JSON Schema (draft-07) of our native JSON format, derived from the decorators with
 * class-validator-jsonschema: what editors and other services can validate persona documents
 * with. Unknown fields are refused (`additionalProperties: false`); a field is required when it
 * has no default. Rules across fields (`summarizeAtTokens` below `maxContextTokens`, parent XOR
 * template, unique names) are beyond JSON Schema; `validateModel` checks them.
 */
export function personaJsonSchema(): object {
  if (cached) return JSON.parse(JSON.stringify(cached));
  const all = validationMetadatasToSchemas({
    classValidatorMetadataStorage: getMetadataStorage(),
    classTransformerMetadataStorage: defaultMetadataStorage as never,
    refPointerPrefix: '#/definitions/',
    additionalConverters: CONVERTERS,
  }) as Record<string, Schema>;
  const definitions: Record<string, Schema> = {};
  for (const cls of CLASSES) {
    const schema = JSON.parse(JSON.stringify(all[cls.name])) as Schema;
    const fresh = new cls();
    fresh.applyDefaults();
    const optional = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(cls, '', true, false)
        .filter((m) => m.type === 'conditionalValidation')
        .map((m) => m.propertyName),
    );
    const record = fresh as unknown as Record<string, unknown>;
    schema.required = schemaFields(cls).filter((f) => record[f] === undefined && !optional.has(f));
    schema.additionalProperties = false;
    for (const [name, property] of Object.entries(schema.properties as Record<string, Schema>)) {
      // Dates travel as ISO 8601 text.
      if (['createdAt', 'updatedAt'].includes(name)) (schema.properties as Record<string, Schema>)[name] = { type: 'string', format: 'date-time' };
      // Optional fields also accept null ("not given").
      else if (optional.has(name)) (schema.properties as Record<string, Schema>)[name] = { anyOf: [property, { type: 'null' }] };
    }
    definitions[cls.name] = schema;
  }
  cached = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://conductor-personas.dev/schema/persona.json',
    title: 'PersonaConfiguration',
    description: 'A persona in the native JSON format of conductor-personas (docs/models.md).',
    $ref: '#/definitions/PersonaConfiguration',
    definitions,
  };
  return JSON.parse(JSON.stringify(cached));
}
