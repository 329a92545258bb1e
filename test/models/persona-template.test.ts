import { customizablePersonaPaths, fromJSON, PersonaTemplate, validateModel } from '../../src';

const base = { name: 'Support agent', slug: 'support-agent', createdBy: 'alice' };

describe('PersonaTemplate', () => {
  it('accepts a partial persona and customizable fields, and round-trips through JSON', () => {
    const template = PersonaTemplate.create({
      ...base,
      baseConfiguration: { temperature: 0.4, responseStyle: { type: 'empathetic', tone: 'warm' }, traits: [{ name: 'patient', category: 'personality', value: 95 }] },
      customizableFields: [
        { path: 'responseStyle.tone', type: 'enum', options: ['warm', 'calm', 'upbeat'], default: 'warm' },
        { path: 'temperature', type: 'number', min: 0, max: 1, required: true },
      ],
    });
    expect(template.customizableFields[1].required).toBe(true);
    expect(template.customizableFields[0].required).toBe(false);
    const back = fromJSON(PersonaTemplate, JSON.stringify(template));
    expect(JSON.stringify(back)).toBe(JSON.stringify(template));
  });

  it('checks every field of the base configuration by the persona rule, with its path', () => {
    const result = validateModel(PersonaTemplate, { ...base, baseConfiguration: { temperature: 3, responseStyle: { formalityLevel: 0 }, traits: [{ name: 'x', category: 'mood', value: 1 }] } });
    expect(!result.ok && result.issues.map((i) => [i.path, i.constraint])).toEqual(
      expect.arrayContaining([
        ['baseConfiguration.temperature', 'max'],
        ['baseConfiguration.responseStyle.formalityLevel', 'min'],
        ['baseConfiguration.traits[0].category', 'isEnum'],
      ]),
    );
  });

  it('refuses unknown fields and identity fields in the base configuration', () => {
    const result = validateModel(PersonaTemplate, { ...base, baseConfiguration: { colour: 'red', slug: 'x', id: 'y' } });
    expect(!result.ok && result.issues.map((i) => [i.path, i.constraint])).toEqual(
      expect.arrayContaining([
        ['baseConfiguration.colour', 'whitelistValidation'],
        ['baseConfiguration.slug', 'identityField'],
        ['baseConfiguration.id', 'identityField'],
      ]),
    );
  });

  it('requires each customizable path to name a real persona field', () => {
    const result = validateModel(PersonaTemplate, { ...base, customizableFields: [{ path: 'responseStyle.colour', type: 'string' }] });
    expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: 'customizableFields[0].path', constraint: 'isPersonaFieldPath' })]);
    expect(customizablePersonaPaths()).toEqual(expect.arrayContaining(['temperature', 'responseStyle.tone', 'memoryConfig.maxContextTokens', 'traits']));
    expect(customizablePersonaPaths()).not.toContain('slug');
  });

  it('requires a default to pass its own definition', () => {
    const result = validateModel(PersonaTemplate, { ...base, customizableFields: [{ path: 'responseStyle.tone', type: 'enum', options: ['warm'], default: 'cold' }] });
    expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: 'customizableFields[0].default', constraint: 'isIn' })]);
  });

  it('requires a default to pass the persona rule of its field', () => {
    const result = validateModel(PersonaTemplate, { ...base, customizableFields: [{ path: 'temperature', type: 'number', default: 5 }] });
    expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: 'customizableFields[0].default', constraint: 'max' })]);
  });

  it('requires options for an enum, min not above max, and unique paths', () => {
    const result = validateModel(PersonaTemplate, {
      ...base,
      customizableFields: [
        { path: 'temperature', type: 'enum' },
        { path: 'temperature', type: 'number', min: 2, max: 1 },
      ],
    });
    expect(!result.ok && result.issues.map((i) => [i.path, i.constraint])).toEqual(
      expect.arrayContaining([
        ['customizableFields[0].options', 'requiredForEnum'],
        ['customizableFields[1].min', 'minNotAboveMax'],
        ['customizableFields[1].path', 'unique'],
      ]),
    );
  });

  it('refuses an unknown type of customizable field', () => {
    const result = validateModel(PersonaTemplate, { ...base, customizableFields: [{ path: 'temperature', type: 'float' }] });
    expect(!result.ok && result.issues).toEqual([expect.objectContaining({ path: 'customizableFields[0].type', constraint: 'isIn' })]);
  });
});
