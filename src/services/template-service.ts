import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../actor';
import { PersonaStatus } from '../enums';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { NOT_FROM_TEMPLATE_FIELDS, STORE_KEPT_FIELDS } from '../models/field-roles';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaTemplate, setAtPath } from '../models/persona-template.entity';
import { looksLikeId } from '../persistence/persona-rows';
import { insertRows } from '../persistence/rows';
import { checkPatch, refuse, refuseStoreKept, VersionedRecords } from '../persistence/versioned-records';
import { ModelInput, toPlain } from '../validation/model';
import { assertActor, ownerOfNew, SYSTEM_OWNER } from './access';
import { checkListFilter, ListFilterBase, runListQuery } from './list-query';
import { applyMergePatch } from './merge-patch';
import { PersonaStore } from './persona-store';
import { STARTER_TEMPLATES } from './starter-templates';


/** Slugs of the starter templates: only templates owned by {@link SYSTEM_OWNER} may take them. */
const STARTER_SLUGS: ReadonlySet<string> = new Set(STARTER_TEMPLATES.map((t) => t.slug));

function assertSlugAllowed(template: PersonaTemplate, at = 'slug'): void {
  if (STARTER_SLUGS.has(template.slug) && template.createdBy !== SYSTEM_OWNER) {
    fail([{ path: at, constraint: 'reservedSlug', message: `template slug "${template.slug}" is reserved for the starter template` }], 'template');
  }
}

/** Sort keys `listTemplates()` accepts; `-` in front sorts descending. */
export const TEMPLATE_SORT_KEYS = ['name', 'slug', 'category', 'createdAt', 'updatedAt'] as const;

/** What `listTemplates()` filters by. */
export type TemplateListFilter = ListFilterBase & {
  category?: string;
  /** Default `name`. */
  orderBy?: (typeof TEMPLATE_SORT_KEYS)[number] | `-${(typeof TEMPLATE_SORT_KEYS)[number]}`;
};

/** Options of `instantiate()`: the new persona's identity, the customizations, and who acts. */
export type InstantiateOptions = {
  name: string;
  slug: string;
  /** Flat map from a declared customizable path (dot notation) to its value. */
  customizations?: Record<string, unknown>;
  actor: Actor;
  /** Further identity and access fields of the new persona (templates cannot give these). */
  description?: string;
  /** Whether the new persona is public: false unless the instantiating actor says so here. */
  isPublic?: boolean;
  status?: PersonaStatus | `${PersonaStatus}`;
  tags?: string[];
};

function fail(issues: ValidationIssue[], what: string): never {
  refuse(issues, what);
}

/** The template with this id (UUID shape) or slug, or null; no access check. */
function findTemplate(manager: EntityManager, idOrSlug: string): Promise<PersonaTemplate | null> {
  return manager.getRepository(PersonaTemplate).findOne({ where: looksLikeId(idOrSlug) ? { id: idOrSlug.toLowerCase() } : { slug: idOrSlug } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Templates: reusable partial personas with declared customizable fields, and the one way to
 * turn a template into a stored persona (`instantiate`). Access rules are those of personas.
 */
export class TemplateService {
  private readonly store: PersonaStore;
  private readonly records: VersionedRecords<PersonaTemplate>;

  constructor(dataSource: DataSource) {
    this.store = new PersonaStore(dataSource);
    this.records = new VersionedRecords(dataSource, { entity: PersonaTemplate, kind: 'template', find: findTemplate });
  }

  /**
   * Validates and stores a template at version 1, owned by the actor. A starter template's slug
   * is refused (`reservedSlug`) unless the template is the library's own.
   */
  async createTemplate(props: ModelInput<PersonaTemplate>, actor: Actor): Promise<PersonaTemplate> {
    assertActor(actor);
    return this.createAs(props, actor);
  }

  private async createAs(props: ModelInput<PersonaTemplate>, actor: Actor): Promise<PersonaTemplate> {
    if (!isPlainObject(props)) fail([{ path: '', constraint: 'isObject', message: 'a template must be an object' }], 'template');
    refuseStoreKept(props, 'template');
    const createdBy = ownerOfNew(actor, (props as { createdBy?: unknown }).createdBy, 'templates');
    const template = PersonaTemplate.create({ ...props, createdBy } as ModelInput<PersonaTemplate>);
    assertSlugAllowed(template);
    return this.records.write(async (manager) => {
      this.records.stampNew(template);
      await this.assertSlugFree(manager, template);
      await insertRows(manager, PersonaTemplate, [template]);
      return template;
    });
  }

  /** The template with this id or slug; a private one of someone else is not found. */
  async getTemplate(idOrSlug: string, actor: Actor): Promise<PersonaTemplate> {
    assertActor(actor);
    return this.records.read((manager) => this.records.findReadable(manager, idOrSlug, actor));
  }

  /** A page of the templates the actor may see. */
  async listTemplates(filter: TemplateListFilter & { withTotal: false }, actor: Actor): Promise<{ items: PersonaTemplate[]; total: null; nextCursor: string | null }>;
  async listTemplates(filter: TemplateListFilter, actor: Actor): Promise<{ items: PersonaTemplate[]; total: number; nextCursor: string | null }>;
  async listTemplates(filter: TemplateListFilter = {}, actor: Actor): Promise<{ items: PersonaTemplate[]; total: number | null; nextCursor: string | null }> {
    assertActor(actor);
    const f = checkListFilter(filter, { sortKeys: TEMPLATE_SORT_KEYS, strings: ['category'] });
    return this.records.read(async (manager) => {
      const qb = manager.getRepository(PersonaTemplate).createQueryBuilder('t');
      const { rows, total, nextCursor } = await runListQuery(qb, 't', f, { category: f.category }, actor);
      return { items: rows, total, nextCursor };
    });
  }

  /** Applies a JSON merge patch at `expectedVersion`; the merged template is validated whole. */
  async updateTemplate(idOrSlug: string, patch: Record<string, unknown>, options: { expectedVersion: number }, actor: Actor): Promise<PersonaTemplate> {
    assertActor(actor);
    checkPatch(patch);
    return this.records.writeAt(idOrSlug, options?.expectedVersion, actor, async (manager, current, expectedVersion) => {
      // Templates are not inherited from, so their full form (not just what was set) is the base of a patch.
      const base = toPlain(current);
      for (const k of STORE_KEPT_FIELDS) delete base[k];
      const next = PersonaTemplate.create(applyMergePatch(base, patch) as ModelInput<PersonaTemplate>);
      this.records.stampNext(current, next, actor, idOrSlug);
      assertSlugAllowed(next);
      if (next.slug !== current.slug) await this.assertSlugFree(manager, next);
      await this.records.updateAtVersion(manager, idOrSlug, next, expectedVersion);
      return next;
    });
  }

  /**
   * Creates a persona from a template: the base configuration, then each declared default, then
   * the caller's customizations (checked against their definitions), then identity; the whole
   * persona is validated and stored with `templateId` and `templateVersion`, all in one
   * transaction. An undeclared path is refused at `customizations.<path>`.
   */
  async instantiate(templateIdOrSlug: string, options: InstantiateOptions): Promise<PersonaConfiguration> {
    const actor = options?.actor;
    assertActor(actor);
    const { name, slug, customizations = {}, actor: _actor, ...extra } = options;
    if (!isPlainObject(customizations)) fail([{ path: 'customizations', constraint: 'isObject', message: 'customizations must be an object keyed by path' }], 'customizations');
    const knownExtra = ['description', 'isPublic', 'status', 'tags'];
    const extraIssues = Object.keys(extra)
      .filter((k) => !knownExtra.includes(k))
      .map((k) => ({ path: k, constraint: 'whitelistValidation', message: `unknown option "${k}"` }));
    if (extraIssues.length) fail(extraIssues, 'options');
    return this.store.transaction(async (manager) => {
      const template = await this.records.findReadable(manager, templateIdOrSlug, actor);
      const issues: ValidationIssue[] = [];
      const declared = new Map(template.customizableFields.map((f) => [f.path, f]));
      for (const path of Object.keys(customizations)) {
        const field = declared.get(path);
        if (!field) {
          issues.push({ path: `customizations.${path}`, constraint: 'notCustomizable', message: `template ${template.slug} does not declare "${path}" as customizable` });
          continue;
        }
        for (const issue of field.check(customizations[path])) {
          issues.push({ path: `customizations.${path}`, constraint: issue.constraint, message: `customizations.${path} ${issue.message}` });
        }
      }
      for (const field of declared.values()) {
        if (field.required && customizations[field.path] === undefined && field.default === undefined) {
          issues.push({ path: `customizations.${field.path}`, constraint: 'required', message: `customizations.${field.path} is required by template ${template.slug}` });
        }
      }
      if (issues.length) fail(issues, 'customizations');

      let plain: Record<string, unknown> = JSON.parse(JSON.stringify(template.baseConfiguration));
      for (const field of declared.values()) {
        const value = customizations[field.path] !== undefined ? customizations[field.path] : field.default;
        if (value !== undefined) plain = setAtPath(plain, field.path, value);
      }
      // A template never decides identity, access or bookkeeping, even one stored before that rule:
      // only the instantiating actor's own options do.
      for (const key of NOT_FROM_TEMPLATE_FIELDS) delete plain[key];
      Object.assign(plain, extra, { name, slug, createdBy: actor.id, templateId: template.id, templateVersion: template.version });
      let persona: PersonaConfiguration;
      try {
        persona = PersonaConfiguration.create(plain as ModelInput<PersonaConfiguration>);
      } catch (error) {
        if (!(error instanceof PersonaValidationError)) throw error;
        // Blame the customization a broken rule came from, when it came from one.
        const given = Object.keys(customizations);
        throw new PersonaValidationError(
          error.issues.map((i) => {
            const source = given.find((p) => i.path === p || i.path.startsWith(`${p}.`) || i.path.startsWith(`${p}[`));
            return source ? { ...i, path: `customizations.${source}`, message: `customizations.${source}: ${i.message}` } : i;
          }),
          'persona',
        );
      }
      const [stored] = await this.store.insertWithin(manager, [persona], actor);
      return stored;
    });
  }

  /**
   * Stores the five starter templates (technical assistant, customer support, tutor, creative
   * writer, data analyst), public and owned by the library ({@link SYSTEM_OWNER}), whoever calls;
   * those already stored are left as they are (an admin may have edited them). Returns all five
   * as stored. A template of anyone else holding a starter's slug (possible only in a database
   * written before slugs were reserved) is never taken for the starter: the call is refused with
   * `reservedSlug` at that slug.
   */
  async loadStarterTemplates(actor: Actor): Promise<PersonaTemplate[]> {
    assertActor(actor);
    const system: Actor = { id: SYSTEM_OWNER, roles: ['admin'] };
    const out: PersonaTemplate[] = [];
    for (const starter of STARTER_TEMPLATES) {
      const existing = await this.records.read((m) => findTemplate(m, starter.slug));
      if (existing && existing.createdBy !== SYSTEM_OWNER) {
        fail([{ path: 'slug', constraint: 'reservedSlug', message: `template slug "${starter.slug}" is held by a template that is not the starter; rename it first` }], 'template');
      }
      out.push(existing ?? (await this.createAs(JSON.parse(JSON.stringify(starter)), system)));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------

  private async assertSlugFree(manager: EntityManager, template: PersonaTemplate): Promise<void> {
    const clash = await manager.getRepository(PersonaTemplate).findOne({ where: { slug: template.slug }, select: { id: true } });
    if (clash && clash.id !== template.id) fail([{ path: 'slug', constraint: 'unique', message: `template slug "${template.slug}" is already taken` }], 'template');
  }
}
