/** Shapes of the REST API's bodies (docs/nestjs.md), as the console reads them. */

export type Json = Record<string, unknown>;

export type ValidationIssue = { path: string; constraint: string; message: string };

/** The body of every error response: `{ statusCode, code, message, ...details }`. */
export type ErrorBody = {
  statusCode: number;
  code: string;
  message: string;
  issues?: ValidationIssue[];
  expectedVersion?: number;
  actualVersion?: number;
  failures?: { check: number; version: number; reason: string }[];
  [key: string]: unknown;
};

export type Trait = { name: string; category?: string; value: number | string | boolean; weight?: number; description?: string };

/** A persona in the native JSON form (docs/models.md); only the fields the console reads by name are typed. */
export type Persona = {
  id: string;
  name: string;
  slug: string;
  description?: string;
  status: string;
  tags?: string[];
  isPublic?: boolean;
  createdBy?: string;
  version: number;
  parentId?: string | null;
  templateId?: string | null;
  updatedAt?: string;
  createdAt?: string;
  traits?: Trait[];
  [key: string]: unknown;
};

export type Page<T> = { items: T[]; total: number };

export type Resolved = { persona: Persona; lineage: string[]; provenance: Record<string, string> };

export type HistoryEntry = { version: number; changedBy: string; changedAt: string; message: string | null; labels: string[]; snapshot: Persona };

export type PersonaChange = { path: string; kind: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown };
export type Diff = { from: number; to: number; changes: PersonaChange[] };

export type SplitMember = { version: number; weight: number };
export type PersonaLabel = { label: string; version: number | null; split: SplitMember[] | null; movedBy: string; movedAt: string };
export type LabelTarget = { version: number } | { split: SplitMember[] };
export type LabelMove = { label: string; from: LabelTarget | null; to: LabelTarget | null; movedBy: string; movedAt: string };
export type RenderCheck = { context?: string; tokenBudget?: number; maxPromptTokens?: number; mustInclude?: string[]; mustActivate?: string[] };
export type LabelPolicy = { roles?: string[]; checks?: RenderCheck[] };

export type Section = { name?: string; title?: string; tokens: number; [key: string]: unknown };
export type DroppedItem = { kind?: string; name?: string; reason?: string; tokens?: number; [key: string]: unknown };

/** `POST /personas/:id/render`; fields from the runtime issue (#16) are optional. */
export type RenderedPrompt = {
  text: string;
  tokens: number;
  sections?: Section[] | Record<string, number>;
  dropped?: DroppedItem[];
  activeDomains?: string[];
  activations?: { name: string; matched: string | null }[];
  model?: string | null;
  temperature?: number;
  maxTokens?: number | null;
  version?: number;
  label?: string | null;
  stablePrefixLength?: number;
  modelPreferences?: string[];
  /** With `provider` in the request (runtime issue #16): the provider's request body built from this prompt. */
  request?: { provider: string; model: string; body: unknown; warnings: string[] };
  [key: string]: unknown;
};

export type Metrics = {
  totalInteractions?: number;
  successRate?: number | null;
  averageResponseTimeMs?: number | null;
  p95ResponseTimeMs?: number | null;
  averageRating?: number | null;
  [key: string]: unknown;
};
export type SeriesPoint = { at: string; interactions: number; successRate: number | null; averageResponseTimeMs: number | null; p95ResponseTimeMs: number | null; averageRating: number | null };
export type VersionMetrics = { version: number; metrics: Metrics };

export type CustomizableField = {
  path: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'string[]';
  required?: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  options?: string[];
  description?: string;
};
export type Template = {
  id: string;
  name: string;
  slug: string;
  description?: string;
  category?: string;
  tags?: string[];
  isPublic?: boolean;
  createdBy?: string;
  version: number;
  customizableFields?: CustomizableField[];
  [key: string]: unknown;
};

export type ImportResult = { persona: Persona; warnings: string[] };
export type Me = { id: string; roles?: string[] };
