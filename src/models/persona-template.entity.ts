import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, Length, ValidateNested } from 'class-validator';
import { Column, Entity } from 'typeorm';
import { ValidationIssue } from '../errors';
import { IsJsonObject } from '../validation/constraints';
import { CreatedAtField, DescriptionField, IdField, IsPublicField, NameField, OwnerField, SlugField, StringList, UpdatedAtField, VersionField } from '../validation/fields';
import { createModel, Model, toPlain } from '../validation/model';
import { validatePartialPersona } from './partial-persona';
import { CustomizableField } from './customizable-field';

/** Sets `value` at a dot path inside a fresh copy of `base`. */
export function setAtPath(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const keys = path.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    target = target[key] = next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  target[keys[keys.length - 1]] = value;
  return copy;
}

/**
 * A reusable starting point for personas: a partial persona (`baseConfiguration`) and the
 * fields a user may customise when instantiating it (`customizableFields`). See
 * `TemplateService.instantiate`.
 */
@Entity('persona_templates')
export class PersonaTemplate extends Model {
  /** UUID; assigned by the store. */
  @IdField()
  id?: string;

  /** 1–100 characters. */
  @NameField()
  name!: string;

  /** Unique handle, same rule as a persona's slug. */
  @SlugField()
  slug!: string;

  /** At most 10,000 characters (default ""). */
  @DescriptionField()
  description: string = '';

  /** Free grouping such as "support" or "education", at most 50 characters (default "general"). */
  @Column({ length: 50, default: 'general' })
  @Length(0, 50)
  @IsString()
  category: string = 'general';

  /** A partial persona: every field given must pass the persona's rule; identity fields are refused. */
  @Column({ type: 'simple-json' })
  @IsJsonObject(256 * 1024)
  baseConfiguration: Record<string, unknown> = {};

  /** At most 100 definitions, paths unique. */
  @Column({
    type: 'simple-json',
    transformer: {
      to: (v: unknown) => (Array.isArray(v) ? v.map((f) => (f instanceof Model ? toPlain(f) : f)) : v),
      from: (v: unknown) => (Array.isArray(v) ? v.map((f) => createModel(CustomizableField, f)) : v),
    },
  })
  @ValidateNested({ each: true })
  @Type(() => CustomizableField)
  @ArrayMaxSize(100)
  @IsArray()
  customizableFields: CustomizableField[] = [];

  /** Visible to every actor when true (default false). */
  @IsPublicField()
  isPublic: boolean = false;

  /** Owner's actor id, 1–255 characters; the service sets it from the actor. */
  @OwnerField()
  createdBy!: string;

  /** Integer ≥ 1, kept by the service. */
  @VersionField()
  version?: number;

  /** At most 20 unique tags of 1–50 characters. */
  @StringList({ maxItems: 20, maxLength: 50, unique: true })
  tags: string[] = [];

  /** Kept by the service. */
  @CreatedAtField()
  createdAt?: Date;

  /** Kept by the service. */
  @UpdatedAtField()
  updatedAt?: Date;

  /** @internal The base must be a valid partial persona; each default must pass its definition and the persona's rule. */
  extraIssues(): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const base = this.baseConfiguration;
    const baseIsObject = base !== null && typeof base === 'object' && !Array.isArray(base);
    if (baseIsObject) issues.push(...validatePartialPersona(base, 'baseConfiguration'));
    if (!Array.isArray(this.customizableFields)) return issues;
    const seen = new Set<string>();
    this.customizableFields.forEach((field, i) => {
      if (!(field instanceof CustomizableField)) return;
      const at = `customizableFields[${i}]`;
      issues.push(...field.extraIssues().map((x) => ({ ...x, path: `${at}.${x.path}` })));
      if (seen.has(field.path)) issues.push({ path: `${at}.path`, constraint: 'unique', message: `path "${field.path}" is declared twice` });
      seen.add(field.path);
      if (field.default === undefined || typeof field.path !== 'string') return;
      const own = field.check(field.default);
      issues.push(...own.map((x) => ({ ...x, path: `${at}.default`, message: `default ${x.message}` })));
      if (!own.length && baseIsObject) {
        const asPersona = validatePartialPersona(setAtPath({}, field.path, field.default), '');
        issues.push(...asPersona.map((x) => ({ ...x, path: `${at}.default`, message: `default breaks the persona rule at ${x.path}: ${x.message}` })));
      }
    });
    return issues;
  }
}
