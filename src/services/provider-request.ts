import { PersonaValidationError, ValidationIssue } from '../errors';
import { RenderedPrompt } from './prompt-renderer';

/*
 * A rendered prompt as the request body of an LLM provider's HTTP API (no network call). This
 * module translates; the prompt's content and its stable prefix come from the renderer. The
 * bodies are checked against the providers' official SDK types in
 * test/services/provider-request.test.ts; docs/runtime.md shows each with the SDK call.
 */

/** The providers `toProviderRequest` builds bodies for. */
export const PROVIDERS = ['openai-chat', 'openai-responses', 'anthropic', 'gemini'] as const;
/** OpenAI Chat Completions, OpenAI Responses, Anthropic Messages, Gemini `generateContent`. */
export type ProviderName = (typeof PROVIDERS)[number];

/** One turn of the conversation so far. */
export type ConversationMessage = { role: 'user' | 'assistant'; content: string };

/** Options of {@link toProviderRequest}. */
export type ProviderRequestOptions = {
  /** The conversation after the system prompt, oldest first; at most {@link MAX_MESSAGES}, each at most {@link MAX_MESSAGE_CONTENT_LENGTH} characters. */
  messages?: ConversationMessage[];
  /** The model, 1–200 characters; default: the first of the prompt's model preferences that belongs to the provider. */
  model?: string;
  /** The response limit, an integer 1–1,000,000; default: the persona's `maxTokens` (for Anthropic, else 4096). */
  maxTokens?: number;
};

/** A request body, the model it is for (Gemini puts it in the URL, so it is always returned beside the body) and what was changed to fit the provider. */
export type ProviderRequest<B extends object = object> = { model: string; body: B; warnings: string[] };

/** A text block of an Anthropic system prompt. */
export type AnthropicTextBlock = { type: 'text'; text: string; cache_control?: { type: 'ephemeral' } };

/** OpenAI Chat Completions (`POST /v1/chat/completions`). */
export type OpenAIChatBody = {
  model: string;
  messages: ({ role: 'system'; content: string } | ConversationMessage)[];
  temperature?: number;
  max_completion_tokens?: number;
  prompt_cache_key?: string;
};

/** OpenAI Responses (`POST /v1/responses`). */
export type OpenAIResponsesBody = {
  model: string;
  instructions: string;
  input: { type: 'message'; role: 'user' | 'assistant'; content: string }[];
  temperature?: number;
  max_output_tokens?: number;
  prompt_cache_key?: string;
};

/**
 * Anthropic Messages (`POST /v1/messages`) at API version 2026-10-21 (`@anthropic-ai/sdk` 1.x),
 * which has no `temperature` (deprecated since Claude Opus 4.6, removed in that version).
 */
export type AnthropicMessagesBody = {
  model: string;
  system: AnthropicTextBlock[];
  messages: ConversationMessage[];
  max_tokens: number;
};

/** The Anthropic API version the Anthropic body is built for (send it as the `anthropic-version` header; the 1.x SDK does). */
export const ANTHROPIC_API_VERSION = '2026-10-21';

/** A Gemini `Content`: a role and text parts. */
export type GeminiContent = { role?: 'user' | 'model'; parts: { text: string }[] };

/**
 * Gemini's REST `generateContent` body (`POST /v1beta/models/{model}:generateContent`), as
 * documented at https://ai.google.dev/api/generate-content: the model is in the URL, not here.
 */
export type GeminiGenerateContentBody = {
  systemInstruction: GeminiContent;
  contents: GeminiContent[];
  generationConfig: { temperature?: number; maxOutputTokens?: number };
};

/** The body type of each provider. */
export type ProviderBody = {
  'openai-chat': OpenAIChatBody;
  'openai-responses': OpenAIResponsesBody;
  anthropic: AnthropicMessagesBody;
  gemini: GeminiGenerateContentBody;
};

/** Most messages a request takes. */
export const MAX_MESSAGES = 1_000;
/** Longest message content, in characters. */
export const MAX_MESSAGE_CONTENT_LENGTH = 1_000_000;
/** Anthropic's `max_tokens` when neither the options nor the persona give one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

/**
 * The largest response limit each model family takes, as documented by the provider (models
 * overview pages of Anthropic, OpenAI and Google AI, as known when written; not fetched at
 * build or run time), matched by the longest
 * model-id prefix; the `''` entry is the ceiling for a model of that provider not listed. A
 * larger `maxTokens` (the options' or the persona's) is clamped to it, with a warning.
 */
export const MAX_OUTPUT_TOKENS: Record<'openai' | 'anthropic' | 'gemini', Readonly<Record<string, number>>> = {
  openai: {
    '': 128_000,
    'gpt-3.5-turbo': 4_096,
    'gpt-4': 8_192,
    'gpt-4-turbo': 4_096,
    'gpt-4o': 16_384,
    'chatgpt-4o': 16_384,
    'gpt-4.1': 32_768,
    'gpt-4.5': 16_384,
    'gpt-5': 128_000,
    'o1-mini': 65_536,
    o1: 100_000,
    o3: 100_000,
    'o4-mini': 100_000,
  },
  anthropic: {
    '': 128_000,
    'claude-3-': 4_096,
    'claude-3-5-': 8_192,
    'claude-3-7-sonnet': 64_000,
    'claude-opus-4-2': 32_000,
    'claude-opus-4-0': 32_000,
    'claude-opus-4-1': 32_000,
    'claude-opus-4-5': 64_000,
    'claude-sonnet-4': 64_000,
    'claude-haiku-4': 64_000,
  },
  gemini: {
    '': 65_536,
    'gemini-1.': 8_192,
    'gemini-2.0': 8_192,
    'gemini-2.5': 65_536,
  },
};

/** The response-limit ceiling of `model` at `family` ({@link MAX_OUTPUT_TOKENS}, longest prefix). */
export function maxOutputTokensOf(family: 'openai' | 'anthropic' | 'gemini', model: string): number {
  let best = '';
  for (const prefix of Object.keys(MAX_OUTPUT_TOKENS[family])) if (prefix.length > best.length && model.startsWith(prefix)) best = prefix;
  return MAX_OUTPUT_TOKENS[family][best];
}

/** Which provider a model id belongs to, by its documented prefix, or undefined. */
export function providerFamilyOf(model: string): 'openai' | 'anthropic' | 'gemini' | undefined {
  if (/^(gpt-|chatgpt-|o[1-9](?![0-9a-z]))/.test(model)) return 'openai';
  if (model.startsWith('claude-')) return 'anthropic';
  if (model.startsWith('gemini-')) return 'gemini';
  return undefined;
}

/** OpenAI reasoning models (o-series, gpt-5 family but its `-chat` models) accept no `temperature`. */
function isOpenAIReasoningModel(model: string): boolean {
  return /^o[1-9](?![0-9a-z])/.test(model) || (/^gpt-5(?![0-9])/.test(model) && !model.includes('-chat'));
}

const FAMILY: Record<ProviderName, 'openai' | 'anthropic' | 'gemini'> = { 'openai-chat': 'openai', 'openai-responses': 'openai', anthropic: 'anthropic', gemini: 'gemini' };

function invalid(issues: ValidationIssue[]): never {
  throw new PersonaValidationError(issues, 'options');
}

function checkMessages(messages: unknown, provider: ProviderName): ConversationMessage[] {
  if (messages === undefined) messages = [];
  if (!Array.isArray(messages)) invalid([{ path: 'messages', constraint: 'isArray', message: 'messages must be an array' }]);
  if (messages.length > MAX_MESSAGES) invalid([{ path: 'messages', constraint: 'arrayMaxSize', message: `messages must hold at most ${MAX_MESSAGES} messages` }]);
  const issues: ValidationIssue[] = [];
  const out: ConversationMessage[] = [];
  messages.forEach((m: unknown, i) => {
    const at = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return issues.push({ path: at, constraint: 'isObject', message: `${at} must be an object` });
    const { role, content, ...rest } = m as Record<string, unknown>;
    for (const key of Object.keys(rest)) issues.push({ path: `${at}.${key}`, constraint: 'whitelistValidation', message: `property ${key} should not exist` });
    if (role !== 'user' && role !== 'assistant') issues.push({ path: `${at}.role`, constraint: 'isIn', message: `${at}.role must be 'user' or 'assistant'` });
    if (typeof content !== 'string') issues.push({ path: `${at}.content`, constraint: 'isString', message: `${at}.content must be a string` });
    // Anthropic refuses a text block without non-whitespace text and Gemini an empty part; a turn
    // with no text is refused for every provider, so one conversation suits all four.
    else if (!content.trim()) issues.push({ path: `${at}.content`, constraint: 'isNotEmpty', message: `${at}.content must not be empty or only whitespace` });
    else if (content.length > MAX_MESSAGE_CONTENT_LENGTH) issues.push({ path: `${at}.content`, constraint: 'maxLength', message: `${at}.content must be at most ${MAX_MESSAGE_CONTENT_LENGTH.toLocaleString('en-US')} characters` });
    out.push({ role: role as ConversationMessage['role'], content: content as string });
  });
  if (issues.length) invalid(issues);
  if (!out.length && (provider === 'anthropic' || provider === 'gemini')) {
    invalid([{ path: 'messages', constraint: 'arrayNotEmpty', message: `${provider} needs at least one message after the system prompt` }]);
  }
  return out;
}

function checkPrompt(prompt: unknown): RenderedPrompt {
  const at = (path: string, constraint: string, message: string): never => {
    throw new PersonaValidationError([{ path, constraint, message }], 'prompt');
  };
  if (typeof prompt !== 'object' || prompt === null || Array.isArray(prompt)) at('prompt', 'isObject', 'prompt must be a rendered prompt (renderSystemPrompt or PersonaRuntime)');
  const p = prompt as Partial<RenderedPrompt>;
  if (typeof p.text !== 'string') at('prompt.text', 'isString', 'prompt.text must be a string');
  if (p.modelPreferences != null && (!Array.isArray(p.modelPreferences) || p.modelPreferences.some((m) => typeof m !== 'string'))) {
    at('prompt.modelPreferences', 'isArray', 'prompt.modelPreferences must be an array of strings');
  }
  for (const key of ['maxTokens', 'temperature', 'stablePrefixLength'] as const) {
    const v = p[key];
    if (v != null && (typeof v !== 'number' || !Number.isFinite(v))) at(`prompt.${key}`, 'isNumber', `prompt.${key} must be a finite number`);
  }
  if (p.maxTokens != null && (!Number.isSafeInteger(p.maxTokens) || p.maxTokens < 1)) at('prompt.maxTokens', 'isInt', 'prompt.maxTokens must be a positive integer');
  return p as RenderedPrompt;
}

function checkModel(prompt: RenderedPrompt, provider: ProviderName, model: unknown): string {
  if (model !== undefined) {
    if (typeof model !== 'string' || model.length < 1 || model.length > 200) invalid([{ path: 'model', constraint: 'isString', message: 'model must be a string of 1 to 200 characters' }]);
    assertModelName(model, 'model');
    return model;
  }
  const family = FAMILY[provider];
  const found = (prompt.modelPreferences ?? []).find((m) => providerFamilyOf(m) === family);
  if (found === undefined) {
    invalid([{ path: 'model', constraint: 'isDefined', message: `none of the persona's model preferences (${(prompt.modelPreferences ?? []).join(', ') || 'none'}) is a ${family} model; give options.model` }]);
  }
  assertModelName(found, 'prompt.modelPreferences');
  return found;
}

/**
 * A model name as providers spell them (`gpt-4o`, `claude-sonnet-4-5@20250929`,
 * `ft:gpt-4o-mini:org::id`, `gemini-2.5-pro`): letters, digits and `. _ : @ -`. Gemini puts the
 * model in the URL path, so nothing that could leave its path segment (`/`, `?`, `#`, `%`, `..`,
 * spaces) is taken.
 */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;

function assertModelName(model: string, path: string): void {
  if (!MODEL_NAME.test(model) || model.includes('..')) {
    invalid([{ path, constraint: 'matches', message: `${path} must be a model name: letters, digits and . _ : @ - (no /, ?, #, %, .. or spaces)` }]);
  }
}

function checkMaxTokens(maxTokens: unknown): number | undefined {
  if (maxTokens === undefined) return undefined;
  if (typeof maxTokens !== 'number' || !Number.isSafeInteger(maxTokens) || maxTokens < 1 || maxTokens > 1_000_000) {
    invalid([{ path: 'maxTokens', constraint: 'isInt', message: 'maxTokens must be an integer from 1 to 1,000,000' }]);
  }
  return maxTokens;
}

/**
 * OpenAI's `prompt_cache_key`: requests with the same key are routed to the same cache. Derived
 * from the persona's id and the version served, `persona:<id>@<version>` (at most 55 characters
 * for a uuid); undefined for a prompt rendered from a persona that was never stored.
 */
export function promptCacheKey(prompt: Pick<RenderedPrompt, 'personaId' | 'version'>): string | undefined {
  if (!prompt.personaId) return undefined;
  return `persona:${prompt.personaId}@${prompt.version ?? 0}`;
}

/**
 * A rendered prompt as the body of one provider's HTTP request, with the model chosen and what
 * had to change to fit the provider (`warnings`). Nothing is sent.
 *
 * - `model`: `options.model`, else the first of `prompt.modelPreferences` whose prefix belongs to
 *   the provider (`gpt-`, `chatgpt-`, `o1`…`o9` → OpenAI; `claude-` → Anthropic; `gemini-` →
 *   Gemini); none is a `PersonaValidationError` at `model`.
 * - Temperature: left out, with a warning, for OpenAI reasoning models (o-series, gpt-5 family)
 *   and for Anthropic (API version 2026-10-21 takes none; the warning is only given when the
 *   persona's temperature is not 1, the value Anthropic models use).
 * - Response limit: `options.maxTokens`, else the persona's `maxTokens`; Anthropic always gets
 *   `max_tokens` (else 4096). A limit above the model family's ceiling
 *   ({@link MAX_OUTPUT_TOKENS}) is clamped to it, with a warning.
 * - A prompt that is not a rendered prompt (null, no `text`) is a `PersonaValidationError` at
 *   `prompt` or `prompt.<field>`; a message with empty or blank content one at `messages[i].content`;
 *   `options` null is taken as no options.
 * - The system prompt's stable prefix (`stablePrefixLength`) carries Anthropic's `cache_control`
 *   breakpoint; OpenAI bodies carry a `prompt_cache_key` from the persona's id and version.
 * - Anthropic and Gemini need at least one message: an empty `messages` is refused.
 */
export function toProviderRequest<P extends ProviderName>(prompt: RenderedPrompt, provider: P, options?: ProviderRequestOptions): ProviderRequest<ProviderBody[P]>;
export function toProviderRequest(given: RenderedPrompt, provider: ProviderName, options: ProviderRequestOptions = {}): ProviderRequest {
  const prompt = checkPrompt(given);
  if (options === null) options = {};
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    invalid([{ path: 'provider', constraint: 'isIn', message: `provider must be one of: ${PROVIDERS.join(', ')}` }]);
  }
  if (typeof options !== 'object' || options === null) invalid([{ path: '', constraint: 'isObject', message: 'options must be an object' }]);
  const messages = checkMessages(options.messages, provider);
  const model = checkModel(prompt, provider, options.model);
  const warnings: string[] = [];
  let maxTokens = checkMaxTokens(options.maxTokens) ?? prompt.maxTokens ?? undefined;
  const ceiling = maxOutputTokensOf(FAMILY[provider], model);
  if (maxTokens !== undefined && maxTokens > ceiling) {
    warnings.push(`maxTokens ${maxTokens} clamped to ${ceiling}: the most ${model} returns`);
    maxTokens = ceiling;
  }
  const text = prompt.text;
  const cacheKey = promptCacheKey(prompt);
  let temperature: number | undefined = prompt.temperature;

  switch (provider) {
    case 'openai-chat':
    case 'openai-responses': {
      if (isOpenAIReasoningModel(model)) {
        warnings.push(`temperature ${temperature} left out: ${model} is a reasoning model and takes none`);
        temperature = undefined;
      }
      if (!cacheKey) warnings.push('prompt_cache_key left out: the prompt was not rendered from a stored persona (no id)');
      if (provider === 'openai-chat') {
        const body: OpenAIChatBody = { model, messages: [{ role: 'system', content: text }, ...messages] };
        if (temperature !== undefined) body.temperature = temperature;
        if (maxTokens !== undefined) body.max_completion_tokens = maxTokens;
        if (cacheKey) body.prompt_cache_key = cacheKey;
        return { model, body, warnings };
      }
      const body: OpenAIResponsesBody = { model, instructions: text, input: messages.map((m) => ({ type: 'message', role: m.role, content: m.content })) };
      if (temperature !== undefined) body.temperature = temperature;
      if (maxTokens !== undefined) body.max_output_tokens = maxTokens;
      if (cacheKey) body.prompt_cache_key = cacheKey;
      return { model, body, warnings };
    }
    case 'anthropic': {
      if (temperature !== 1) warnings.push(`temperature ${temperature} left out: Anthropic's Messages API (version ${ANTHROPIC_API_VERSION}) takes none`);
      // The breakpoint goes after the stable prefix; a prompt without one is cached whole.
      const given = prompt.stablePrefixLength;
      const cut = Number.isSafeInteger(given) && given > 0 && given < text.length ? given : text.length;
      const system: AnthropicTextBlock[] = [{ type: 'text', text: text.slice(0, cut), cache_control: { type: 'ephemeral' } }];
      if (cut < text.length) system.push({ type: 'text', text: text.slice(cut) });
      const body: AnthropicMessagesBody = { model, system, messages, max_tokens: maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS };
      return { model, body, warnings };
    }
    case 'gemini': {
      const generationConfig: GeminiGenerateContentBody['generationConfig'] = { temperature };
      if (maxTokens !== undefined) generationConfig.maxOutputTokens = maxTokens;
      const body: GeminiGenerateContentBody = {
        systemInstruction: { parts: [{ text }] },
        contents: messages.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] })),
        generationConfig,
      };
      return { model, body, warnings };
    }
  }
}

/**
 * The messages a preview sends (the CLI's `render --provider`, the REST route's `provider`): the
 * caller's, else the context as the user's message (Anthropic and Gemini need one), else none.
 */
export function previewMessages(messages: ConversationMessage[] | undefined, context: string | undefined): ConversationMessage[] | undefined {
  if (messages !== undefined) return messages;
  // A blank context is no message: every provider refuses an empty turn.
  return context?.trim() ? [{ role: 'user', content: context }] : undefined;
}
