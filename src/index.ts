import 'reflect-metadata';

export { PersonaStatus, TraitCategory, ResponseStyleType, InteractionMode } from './enums';
export {
  PersonaError,
  PersonaValidationError,
  PersonaNotFoundError,
  AccessDeniedError,
  VersionConflictError,
  InheritanceCycleError,
  InheritanceDepthError,
  PersonaInUseError,
  PersonaStorageError,
  BudgetExceededError,
  PromotionBlockedError,
  LabelNotFoundError,
  RevisionNotFoundError,
} from './errors';
export type { ValidationIssue, PromotionFailure } from './errors';

export { PersonaConfiguration } from './models/persona-configuration.entity';
export { PersonaTrait } from './models/persona-trait.entity';
export { ResponseStyle } from './models/response-style.embedded';
export { KnowledgeDomain } from './models/knowledge-domain.entity';
export { BehaviorRule } from './models/behavior-rule.entity';
export { MemoryConfiguration } from './models/memory-configuration.embedded';
export { VoiceConfiguration } from './models/voice-configuration.embedded';
export { PersonaTemplate } from './models/persona-template.entity';
export { CustomizableField, CUSTOMIZABLE_FIELD_TYPES } from './models/customizable-field';
export type { CustomizableFieldType } from './models/customizable-field';
export { PersonaMetrics } from './models/persona-metrics.entity';

export { Model, validateModel, fromJSON, validateWithClassValidator } from './validation/model';
export type { ModelClass, ModelInput, ValidationResult } from './validation/model';
export { fieldsSet, setFieldPaths } from './validation/fields-set';
export { schemaFields } from './validation/schema-fields';
export { toPlain } from './validation/to-plain';
export type { ToPlainOptions } from './validation/to-plain';
export { customizablePersonaPaths } from './models/partial-persona';
export { STORE_KEPT_FIELDS, NOT_FROM_TEMPLATE_FIELDS, NEVER_INHERITED } from './models/field-roles';
export type { Actor } from './actor';

export { createDataSource, migrate, PERSONA_ENTITIES, personaDataSourceOptions, useUtcTimestamps, engineOf, DEFAULT_BUSY_TIMEOUT_MS } from './persistence/data-source';
export type { PersonaDataSourceOptions, PersonaDatabaseType } from './persistence/data-source';
export { PersonaRevision } from './models/persona-revision.entity';
export { PersonaInteraction } from './models/persona-interaction.entity';
export { PersonaStore, PERSONA_SORT_KEYS, MAX_HISTORY_LIMIT } from './services/persona-store';
export { SYSTEM_OWNER, METRICS_WRITE_ROLE, canRead, canWrite, canRecordMetrics } from './services/access';
export { MAX_LIST_LIMIT, MAX_LIST_OFFSET, MAX_FILTER_LENGTH } from './services/list-query';
export { MAX_VERSION_NUMBER, isVersionNumber } from './validation/version-number';
export type { PersonaListFilter, PersonaPage, PersonaPageWithoutTotal, PersonaRevisionEntry, HistoryOptions, PersonaOrderBy, PersonaStoreOptions, PersonaCreateInput, WriteOptions } from './services/persona-store';
export { MAX_MESSAGE_LENGTH } from './services/persona-store';
export { diffSnapshots } from './services/persona-diff';
export type { PersonaChange } from './services/persona-diff';
export { ReleaseService, LABEL_PATTERN, LATEST_LABEL, RELEASE_LIMITS, pickSplitMember } from './services/release-service';
export type { PersonaLabel, LabelMove, LabelPolicy, LabelTarget, RenderCheck, SplitMember, ReleaseServiceOptions } from './services/release-service';
export { applyMergePatch } from './services/merge-patch';
export { TemplateService, TEMPLATE_SORT_KEYS } from './services/template-service';
export type { InstantiateOptions, TemplateListFilter } from './services/template-service';
export { STARTER_TEMPLATES } from './services/starter-templates';
export { InheritanceResolver, mergeLineage } from './services/inheritance-resolver';
export type { ResolvedPersona, InheritanceResolverOptions } from './services/inheritance-resolver';
export { MetricsService, INTERACTION_LIMITS, MAX_SERIES_BUCKETS, MAX_INTERACTION_BATCH } from './services/metrics-service';
export type { InteractionEvent, VersionMetrics, MetricsPoint, SeriesOptions, PersonaInteractionEvent, MetricsServiceOptions } from './services/metrics-service';
export { renderSystemPrompt, o200kTokenCounter, gradeTrait, isDomainActive, mentions, assertRenderOptions, MAX_CONTEXT_LENGTH, MAX_TOKEN_BUDGET, TOKEN_SEGMENT_LENGTH } from './services/prompt-renderer';
export type { RenderedPrompt, RenderOptions, RenderedSection, DroppedItem, TokenCounter, PromptSectionName, DomainActivation } from './services/prompt-renderer';
export { PersonaRuntime } from './services/persona-runtime';
export { voiceRequest, escapeXml, VOICE_PROVIDERS, MAX_VOICE_TEXT_LENGTH, VOICE_OPTION_VALUES } from './services/voice-request';
export type { VoiceRequest, VoiceRequestOptions, VoiceProvider, OpenAISpeechBody, ElevenLabsBody, GoogleSynthesizeBody, PollySynthesizeBody } from './services/voice-request';
export { toProviderRequest, previewMessages, providerFamilyOf, promptCacheKey, PROVIDERS, MAX_MESSAGES, MAX_MESSAGE_CONTENT_LENGTH, DEFAULT_ANTHROPIC_MAX_TOKENS, MAX_OUTPUT_TOKENS, maxOutputTokensOf, ANTHROPIC_API_VERSION } from './services/provider-request';
export type { ProviderName, ProviderRequest, ProviderRequestOptions, ProviderBody, ConversationMessage, OpenAIChatBody, OpenAIResponsesBody, AnthropicMessagesBody, AnthropicTextBlock, GeminiGenerateContentBody, GeminiContent } from './services/provider-request';
export type { PersonaRuntimeOptions, PromptOptions, ServedPrompt } from './services/persona-runtime';
export { INVALIDATION_CHANNEL } from './persistence/invalidation-listener';
export type { InvalidationListenerOptions } from './persistence/invalidation-listener';
export { importPersona, importPersonas, exportPersona, exportPersonaWithReport, slugify, formatReport, summarizeReport } from './interop';
export type {
  PersonaFormat,
  ExportFormat as PersonaExportFormat,
  ImportOptions as PersonaImportOptions,
  ExportOptions as PersonaExportOptions,
  ImportResult as PersonaImportResult,
  ExportResult as PersonaExportResult,
  FidelityEntry,
  FidelityReport,
  FidelityStatus,
} from './interop';
export { personaJsonSchema } from './interop/json-schema';
export { stripCredentials, isCredentialKey, isCredentialValue } from './interop/secrets';
export type { DroppedCredential } from './interop/secrets';
export { MAX_DOCUMENT_DEPTH } from './interop';
export { MAX_JSON_DEPTH } from './validation/constraints';
