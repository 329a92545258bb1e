import type { components } from './openapi';

/**
 * The API's bodies as the console reads them: the schemas of the OpenAPI document
 * (`openapi.d.ts`, generated), refined where the server promises more than a schema can say
 * (a stored persona always has its id and version).
 */
type S = components['schemas'];

export type Json = Record<string, unknown>;
export type ValidationIssue = S['ValidationIssue'];

/** The body of every error response: `{ statusCode, code, message, ...details }`. */
export type ErrorBody = S['Error'] & {
  issues?: ValidationIssue[];
  expectedVersion?: number;
  actualVersion?: number;
  failures?: { check: number; version: number; reason: string }[];
  children?: string[];
  [key: string]: unknown;
};

/** A stored persona (native JSON form, docs/models.md). */
export type Persona = S['PersonaConfiguration'] & { id: string; version: number; [key: string]: unknown };
export type Trait = S['PersonaTrait'];
export type Page<T> = { items: T[]; total: number };
export type Resolved = Omit<S['ResolvedPersona'], 'persona'> & { persona: Persona };
export type HistoryEntry = Omit<S['Revision'], 'snapshot'> & { snapshot: Persona };
export type Diff = S['PersonaDiff'];
export type PersonaChange = Diff['changes'][number];
export type SplitMember = S['SplitMember'];
export type PersonaLabel = S['Label'];
export type LabelTarget = S['LabelTarget'];
export type LabelMove = S['LabelMove'];
export type LabelPolicy = S['LabelPolicy'];
export type RenderCheck = NonNullable<LabelPolicy['checks']>[number];
export type RenderedPrompt = S['RenderedPrompt'];
export type Metrics = S['PersonaMetrics'];
export type SeriesPoint = S['MetricsPoint'];
export type VersionMetrics = S['VersionMetrics'];
export type CustomizableField = S['CustomizableField'];
/** A stored template. */
export type Template = S['PersonaTemplate'] & { id: string; version: number };
export type ImportResult = Omit<S['ImportResult'], 'persona'> & { persona: Persona };
export type Me = S['Actor'];
