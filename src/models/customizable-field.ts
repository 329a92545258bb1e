import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsNumber, IsOptional, IsString, Length, ValidateBy } from 'class-validator';
import { ValidationIssue } from '../errors';
import { isJsonValue } from '../validation/constraints';
import { Model } from '../validation/model';
import { customizablePersonaPaths } from './partial-persona';

/** The kinds of value a customizable field takes. */
export const CUSTOMIZABLE_FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'enum', 'string[]'] as const;
/** One of {@link CUSTOMIZABLE_FIELD_TYPES}. */
export type CustomizableFieldType = (typeof CUSTOMIZABLE_FIELD_TYPES)[number];

/**
 * One field of a template that a user may set when instantiating it: the persona field path
 * (`temperature`, `responseStyle.tone`), the kind of value, whether it must be given, and its
 * bounds. Kept as JSON inside the template's row.
 */
export class CustomizableField extends Model {
  /** A persona field path in dot notation; see `customizablePersonaPaths()`. */
  @ValidateBy({
    name: 'isPersonaFieldPath',
    validator: {
      validate: (value) => typeof value === 'string' && customizablePersonaPaths().includes(value),
      defaultMessage: (args) => `${args?.property} must name a customizable persona field such as "temperature" or "responseStyle.tone"`,
    },
  })
  @IsString()
  path!: string;

  /** The kind of value: string, number, integer, boolean, enum (one of `options`) or string[]. */
  @IsIn(CUSTOMIZABLE_FIELD_TYPES as unknown as string[])
  type!: CustomizableFieldType;

  /** Must the instantiating user give it? (default false) */
  @IsBoolean()
  required: boolean = false;

  /** Used when the user gives nothing; must pass this definition and the persona's own rule. */
  @ValidateBy({ name: 'isJsonValue', validator: { validate: (v) => isJsonValue(v), defaultMessage: () => 'default must be a JSON value' } })
  @IsOptional()
  default?: unknown;

  /** Lowest number, or shortest string / list, allowed. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsOptional()
  min?: number;

  /** Highest number, or longest string / list, allowed. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsOptional()
  max?: number;

  /** The allowed values of an `enum` field: 1–100 strings. */
  @Length(1, 200, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(100)
  @ArrayMinSize(1)
  @IsArray()
  @IsOptional()
  options?: string[];

  /** What the field means, for whoever fills it in; at most 500 characters. */
  @Length(0, 500)
  @IsString()
  @IsOptional()
  description?: string;

  /** @internal */
  extraIssues(): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (this.type === 'enum' && !this.options?.length) {
      issues.push({ path: 'options', constraint: 'requiredForEnum', message: 'an enum field needs options' });
    }
    if (typeof this.min === 'number' && typeof this.max === 'number' && this.min > this.max) {
      issues.push({ path: 'min', constraint: 'minNotAboveMax', message: 'min must not be above max' });
    }
    return issues;
  }

  /** Checks a value against this definition (type, min, max, options); issues have path `""`. */
  check(value: unknown): ValidationIssue[] {
    const fail = (constraint: string, message: string): ValidationIssue[] => [{ path: '', constraint, message }];
    const { min, max } = this;
    const bounded = (n: number, what: string) =>
      typeof min === 'number' && n < min
        ? fail('min', `${what} must be at least ${min}`)
        : typeof max === 'number' && n > max
          ? fail('max', `${what} must be at most ${max}`)
          : [];
    switch (this.type) {
      case 'string':
        return typeof value === 'string' ? bounded(value.length, 'length') : fail('isString', 'must be a string');
      case 'number':
        return typeof value === 'number' && Number.isFinite(value) ? bounded(value, 'value') : fail('isNumber', 'must be a number');
      case 'integer':
        return Number.isInteger(value) ? bounded(value as number, 'value') : fail('isInt', 'must be an integer');
      case 'boolean':
        return typeof value === 'boolean' ? [] : fail('isBoolean', 'must be a boolean');
      case 'enum':
        return typeof value === 'string' && (this.options ?? []).includes(value)
          ? []
          : fail('isIn', `must be one of: ${(this.options ?? []).join(', ')}`);
      case 'string[]':
        return Array.isArray(value) && value.every((v) => typeof v === 'string')
          ? bounded(value.length, 'number of entries')
          : fail('isStringArray', 'must be a list of strings');
      default:
        return fail('isIn', 'unknown field type');
    }
  }
}
