import {
  AccessDeniedError,
  Actor,
  PersonaNotFoundError,
  PersonaStore,
  STARTER_TEMPLATES,
  TemplateService,
  toPlain,
  VersionConflictError,
} from '../../src';
import { describeEachEngine } from '../support/engines';

const alice: Actor = { id: 'alice' };
const bob: Actor = { id: 'bob' };
const admin: Actor = { id: 'root', roles: ['admin'] };

const supportTemplate = {
  name: 'Support',
  slug: 'support',
  baseConfiguration: {
    description: 'A support agent.',
    responseStyle: { type: 'empathetic', tone: 'warm' },
    traits: [{ name: 'patient', category: 'personality', value: 90 }],
    temperature: 0.5,
  },
  customizableFields: [
    { path: 'responseStyle.tone', type: 'enum', options: ['warm', 'calm'], default: 'warm' },
    { path: 'temperature', type: 'number', min: 0, max: 1 },
    { path: 'instructions', type: 'string', required: true, min: 10, max: 2000 },
    { path: 'memoryConfig.maxContextTokens', type: 'integer' },
  ],
};

async function personaCount(ds: import('typeorm').DataSource) {
  return Number((await ds.query('SELECT COUNT(*) AS n FROM "personas"'))[0].n);
}

describeEachEngine('TemplateService', (ctx) => {
  let templates: TemplateService;
  let store: PersonaStore;
  beforeEach(() => {
    templates = new TemplateService(ctx.ds);
    store = new PersonaStore(ctx.ds);
  });

  describe('createTemplate, getTemplate, listTemplates, updateTemplate', () => {
    it('stores a template at version 1 owned by the actor and reads it back equal', async () => {
      const created = await templates.createTemplate(supportTemplate as never, alice);
      expect(created).toMatchObject({ version: 1, createdBy: 'alice', isPublic: false });
      const loaded = await templates.getTemplate('support', alice);
      expect(toPlain(loaded)).toEqual(toPlain(created));
      expect(loaded.customizableFields[0].check('calm')).toEqual([]);
    });

    it('refuses an invalid base configuration with its path and stores nothing', async () => {
      await expect(templates.createTemplate({ ...supportTemplate, baseConfiguration: { temperature: 7, bogus: 1 } } as never, alice)).rejects.toMatchObject({
        issues: expect.arrayContaining([
          expect.objectContaining({ path: 'baseConfiguration.temperature', constraint: 'max' }),
          expect.objectContaining({ path: 'baseConfiguration.bogus', constraint: 'whitelistValidation' }),
        ]),
      });
      expect((await templates.listTemplates({}, admin)).total).toBe(0);
    });

    it('applies the access rules of personas', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      await templates.createTemplate({ ...supportTemplate, slug: 'open', isPublic: true } as never, alice);
      await expect(templates.getTemplate('support', bob)).rejects.toBeInstanceOf(PersonaNotFoundError);
      expect((await templates.listTemplates({}, bob)).items.map((t) => t.slug)).toEqual(['open']);
      expect((await templates.listTemplates({}, admin)).total).toBe(2);
      await expect(templates.updateTemplate('open', { description: 'x' }, { expectedVersion: 1 }, bob)).rejects.toBeInstanceOf(AccessDeniedError);
    });

    it('updates with a merge patch under optimistic concurrency', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      const v2 = await templates.updateTemplate('support', { baseConfiguration: { temperature: 0.4 } }, { expectedVersion: 1 }, alice);
      expect(v2.version).toBe(2);
      expect(v2.baseConfiguration).toMatchObject({ temperature: 0.4, description: 'A support agent.' });
      await expect(templates.updateTemplate('support', { description: 'late' }, { expectedVersion: 1 }, alice)).rejects.toBeInstanceOf(VersionConflictError);
      await expect(templates.updateTemplate('support', { customizableFields: [{ path: 'nope', type: 'string' }] }, { expectedVersion: 2 }, alice)).rejects.toMatchObject({
        issues: [expect.objectContaining({ path: 'customizableFields[0].path' })],
      });
      expect((await templates.getTemplate('support', alice)).version).toBe(2);
    });

    it('50 concurrent template updates at one version: exactly one succeeds', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => templates.updateTemplate('support', { description: `d${i}` }, { expectedVersion: 1 }, alice)),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(VersionConflictError);
    });
  });

  describe('instantiate', () => {
    it('builds a persona from the base, defaults and customizations, with templateId and templateVersion', async () => {
      const template = await templates.createTemplate({ ...supportTemplate, isPublic: true } as never, alice);
      await templates.updateTemplate('support', { description: 'v2' }, { expectedVersion: 1 }, alice);
      const persona = await templates.instantiate('support', {
        name: 'Acme Support',
        slug: 'acme-support',
        customizations: { 'responseStyle.tone': 'calm', instructions: 'Acme sells anvils. Be kind.' },
        actor: bob,
      });
      expect(persona).toMatchObject({
        name: 'Acme Support',
        createdBy: 'bob',
        templateId: template.id,
        templateVersion: 2,
        version: 1,
        temperature: 0.5,
        instructions: 'Acme sells anvils. Be kind.',
      });
      expect(persona.responseStyle).toMatchObject({ type: 'empathetic', tone: 'calm' });
      expect(persona.traits.map((t) => t.name)).toEqual(['patient']);
      expect(toPlain(await store.get('acme-support', bob))).toEqual(toPlain(persona));
      expect(await store.history('acme-support', bob)).toHaveLength(1);
    });

    it('applies declared defaults when a customization is not given', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      const persona = await templates.instantiate('support', { name: 'A', slug: 'a', customizations: { instructions: 'Long enough text.' }, actor: alice });
      expect(persona.responseStyle.tone).toBe('warm');
    });

    it('refuses an undeclared path at customizations.<path> and leaves no persona behind', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      await expect(
        templates.instantiate('support', { name: 'A', slug: 'a', customizations: { instructions: 'Long enough text.', 'responseStyle.verbosity': 3 }, actor: alice }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: 'customizations.responseStyle.verbosity', constraint: 'notCustomizable' })] });
      expect(await personaCount(ctx.ds)).toBe(0);
    });

    it('checks required, type, min, max and options', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      const error = await templates
        .instantiate('support', { name: 'A', slug: 'a', customizations: { 'responseStyle.tone': 'angry', temperature: 1.5, 'memoryConfig.maxContextTokens': 1000.5 }, actor: alice })
        .catch((e) => e);
      expect(error.issues.map((i: { path: string; constraint: string }) => [i.path, i.constraint]).sort()).toEqual(
        [
          ['customizations.instructions', 'required'],
          ['customizations.memoryConfig.maxContextTokens', 'isInt'],
          ['customizations.responseStyle.tone', 'isIn'],
          ['customizations.temperature', 'max'],
        ].sort(),
      );
      const short = await templates.instantiate('support', { name: 'A', slug: 'a', customizations: { instructions: 'short' }, actor: alice }).catch((e) => e);
      expect(short.issues).toEqual([expect.objectContaining({ path: 'customizations.instructions', constraint: 'min' })]);
      expect(await personaCount(ctx.ds)).toBe(0);
    });

    it('blames the customization when the whole persona breaks a rule it set', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      const error = await templates
        .instantiate('support', { name: 'A', slug: 'a', customizations: { instructions: 'Long enough text.', 'memoryConfig.maxContextTokens': 100 }, actor: alice })
        .catch((e) => e);
      expect(error.issues).toEqual([expect.objectContaining({ path: 'customizations.memoryConfig.maxContextTokens', constraint: 'min' })]);
    });

    it('leaves no persona behind when the slug is taken', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      await store.create({ name: 'Taken', slug: 'taken' }, alice);
      await expect(templates.instantiate('support', { name: 'A', slug: 'taken', customizations: { instructions: 'Long enough text.' }, actor: alice })).rejects.toMatchObject({
        issues: [expect.objectContaining({ path: 'slug', constraint: 'unique' })],
      });
      expect(await personaCount(ctx.ds)).toBe(1);
    });

    it('lets only the owner or an admin instantiate a private template', async () => {
      await templates.createTemplate(supportTemplate as never, alice);
      const options = { name: 'A', slug: 'a', customizations: { instructions: 'Long enough text.' } };
      await expect(templates.instantiate('support', { ...options, actor: bob })).rejects.toBeInstanceOf(PersonaNotFoundError);
      expect((await templates.instantiate('support', { ...options, slug: 'b', actor: admin })).createdBy).toBe('root');
      expect((await templates.instantiate('support', { ...options, actor: alice })).createdBy).toBe('alice');
    });
  });

  describe('starter templates', () => {
    it('loads all five in one call, idempotently, each valid', async () => {
      const loaded = await templates.loadStarterTemplates(admin);
      expect(loaded.map((t) => t.slug)).toEqual(STARTER_TEMPLATES.map((t) => t.slug));
      expect(loaded).toHaveLength(5);
      const again = await templates.loadStarterTemplates(admin);
      expect(again.map((t) => t.id)).toEqual(loaded.map((t) => t.id));
      expect(loaded.every((t) => t.isPublic)).toBe(true);
    });

    it.each(STARTER_TEMPLATES.map((t) => [t.slug]))('instantiates %s', async (slug) => {
      await templates.loadStarterTemplates(admin);
      const template = await templates.getTemplate(slug, alice);
      const customizations: Record<string, unknown> = {};
      for (const f of template.customizableFields) if (f.required) customizations[f.path] = f.type === 'string' ? 'Some required text.' : f.default;
      const persona = await templates.instantiate(slug, { name: `My ${template.name}`, slug: `my-${slug}`, customizations, actor: alice });
      expect(persona.templateId).toBe(template.id);
      expect(persona.traits.length).toBeGreaterThan(0);
      expect(persona.behaviorRules.some((r) => r.isMandatory)).toBe(true);
    });
  });
});
