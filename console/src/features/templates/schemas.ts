import type { RJSFSchema } from '@rjsf/utils';
import type { CustomizableField } from '../../api/types';

const SLUG = { type: 'string', title: 'Slug', minLength: 1, maxLength: 64, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' } as const;

/** One customizable field as a JSON Schema property: its type, bounds, options and description. */
export function fieldSchema(field: CustomizableField): RJSFSchema {
  const base: RJSFSchema = { title: field.path, description: field.description };
  if (field.default !== undefined) base.default = field.default as never;
  switch (field.type) {
    case 'string':
      return { ...base, type: 'string', minLength: field.min, maxLength: field.max };
    case 'number':
      return { ...base, type: 'number', minimum: field.min, maximum: field.max };
    case 'integer':
      return { ...base, type: 'integer', minimum: field.min, maximum: field.max };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'enum':
      return { ...base, type: 'string', enum: field.options ?? [] };
    case 'string[]':
      return { ...base, type: 'array', items: { type: 'string' }, minItems: field.min, maxItems: field.max };
  }
}

/** The instantiate form of a template: the new persona's name and slug, then its customizable fields. */
export function instantiateSchema(fields: CustomizableField[]): RJSFSchema {
  const customizations: RJSFSchema = {
    type: 'object',
    title: 'Customizations',
    properties: Object.fromEntries(fields.map((f) => [f.path, fieldSchema(f)])),
    required: fields.filter((f) => f.required).map((f) => f.path),
  };
  return {
    type: 'object',
    required: ['name', 'slug'],
    properties: {
      name: { type: 'string', title: 'Name', minLength: 1, maxLength: 100 },
      slug: SLUG,
      description: { type: 'string', title: 'Description', maxLength: 10000 },
      isPublic: { type: 'boolean', title: 'Public', default: false },
      ...(fields.length ? { customizations } : {}),
    },
  };
}

/** The new-template form: what a template is (docs/models.md), with its base configuration as JSON text. */
export const templateSchema: RJSFSchema = {
  type: 'object',
  required: ['name', 'slug', 'baseConfiguration'],
  properties: {
    name: { type: 'string', title: 'Name', minLength: 1, maxLength: 100 },
    slug: SLUG,
    description: { type: 'string', title: 'Description', maxLength: 10000 },
    category: { type: 'string', title: 'Category', default: 'general', maxLength: 50 },
    tags: { type: 'array', title: 'Tags', items: { type: 'string', minLength: 1, maxLength: 50 } },
    isPublic: { type: 'boolean', title: 'Public', default: false },
    baseConfiguration: { type: 'string', title: 'Base configuration (persona fields as JSON)', default: '{\n  "description": "",\n  "temperature": 0.7\n}' },
    customizableFields: {
      type: 'array',
      title: 'Customizable fields',
      items: {
        type: 'object',
        required: ['path', 'type'],
        properties: {
          path: { type: 'string', title: 'Persona field path', description: 'e.g. temperature, responseStyle.tone' },
          type: { type: 'string', title: 'Type', enum: ['string', 'number', 'integer', 'boolean', 'enum', 'string[]'], default: 'string' },
          required: { type: 'boolean', title: 'Required', default: false },
          min: { type: 'number', title: 'Minimum (number, or length)' },
          max: { type: 'number', title: 'Maximum (number, or length)' },
          options: { type: 'array', title: 'Options (enum)', items: { type: 'string' } },
          description: { type: 'string', title: 'Description', maxLength: 500 },
        },
      },
    },
  },
};
