import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ValidationIssue } from '../errors';
import { mapErrors, prepare, schemaFields, sanitiseInput, VALIDATOR_OPTIONS } from '../validation/model';
import { NOT_FROM_TEMPLATE_FIELDS } from './field-roles';
import { MemoryConfiguration } from './memory-configuration.embedded';
import { PersonaConfiguration } from './persona-configuration.entity';
import { ResponseStyle } from './response-style.embedded';
import { VoiceConfiguration } from './voice-configuration.embedded';

const NOT_GIVEN: ReadonlySet<string> = new Set(NOT_FROM_TEMPLATE_FIELDS);

const EMBEDDED: Record<string, Function> = {
  responseStyle: ResponseStyle,
  memoryConfig: MemoryConfiguration,
  voiceConfig: VoiceConfiguration,
};

let fieldPathCache: readonly string[] | undefined;

/**
 * The persona field paths a template may declare customizable: every persona field but the
 * identity ones, and each field of the embedded objects in dot notation (`responseStyle.tone`).
 */
export function customizablePersonaPaths(): readonly string[] {
  if (!fieldPathCache) {
    const paths: string[] = [];
    for (const field of schemaFields(PersonaConfiguration)) {
      if (NOT_GIVEN.has(field)) continue;
      paths.push(field);
      const embedded = EMBEDDED[field];
      if (embedded) for (const sub of schemaFields(embedded)) paths.push(`${field}.${sub}`);
    }
    fieldPathCache = paths;
  }
  return fieldPathCache;
}

/**
 * Validates a partial persona: every field it gives must pass the persona's own rule; fields it
 * leaves out are not required; identity fields are refused. Paths are prefixed with `prefix`.
 */
export function validatePartialPersona(input: unknown, prefix: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const plain = sanitiseInput(PersonaConfiguration, input, issues);
  const withPrefix = (path: string) => (prefix && path ? `${prefix}.${path}` : prefix || path);
  if (!plain) return issues.map((i) => ({ ...i, path: withPrefix(i.path) }));
  for (const key of Object.keys(plain)) {
    if (NOT_GIVEN.has(key)) {
      issues.push({ path: key, constraint: 'identityField', message: `${key} belongs to one persona and cannot be given here` });
      delete plain[key];
    }
  }
  {
    const instance = plainToInstance(PersonaConfiguration, plain, { enableImplicitConversion: false });
    prepare(instance, plain);
    // Only what was given is checked: drop the initialiser defaults of fields that were not.
    for (const field of schemaFields(PersonaConfiguration)) if (!(field in plain)) delete (instance as unknown as Record<string, unknown>)[field];
    mapErrors(validateSync(instance, { ...VALIDATOR_OPTIONS, skipMissingProperties: true }), '', issues);
  }
  return issues.map((i) => ({ ...i, path: withPrefix(i.path) }));
}
