/**
 * The roles of persona (and template) fields, declared once. Each list below contains the one
 * before it; the store, the templates, the resolver and the renderer read these and nothing else.
 * See docs/architecture.md ("Where each rule lives").
 */

/** Kept by the store: accepted by `create()`/`fromJSON()` so stored JSON round-trips, never set through `PersonaStore`/`TemplateService` input. */
export const STORE_KEPT_FIELDS = ['id', 'version', 'createdAt', 'updatedAt'] as const;

/**
 * Identity, access, lineage and bookkeeping of one persona: a template's `baseConfiguration`,
 * `customizableFields` or a customization may not give them (the instantiating actor does: name,
 * slug, `isPublic`; the service: the rest).
 */
export const NOT_FROM_TEMPLATE_FIELDS = [
  ...STORE_KEPT_FIELDS, 'name', 'slug', 'createdBy', 'isPublic', 'templateId', 'templateVersion', 'parentId',
] as const;

/** Never inherited through `parentId`: always the persona's own (the above, and `status`). */
export const NEVER_INHERITED = [...NOT_FROM_TEMPLATE_FIELDS, 'status'] as const;

/** One of {@link STORE_KEPT_FIELDS}. */
export type StoreKeptField = (typeof STORE_KEPT_FIELDS)[number];
