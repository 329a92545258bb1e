import type { MessageCreateParamsNonStreaming, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { Content, GenerationConfig } from '@google/genai';
import fc from 'fast-check';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import {
  AnthropicMessagesBody,
  AnthropicTextBlock,
  GeminiGenerateContentBody,
  OpenAIChatBody,
  OpenAIResponsesBody,
  PersonaConfiguration,
  renderSystemPrompt,
  RenderedPrompt,
  MAX_OUTPUT_TOKENS,
  maxOutputTokensOf,
  previewMessages,
  toProviderRequest,
} from '../../src';
import { fixture } from '../fixtures';
import { Exact, validationIssues } from '../support/validation';

/** Gemini's REST body as @google/genai types its parts (the SDK has no type for the REST body itself). */
type GeminiRestBody = { systemInstruction: Content; contents: Content[]; generationConfig: GenerationConfig };

const exactlyOpenAIChat: Exact<OpenAIChatBody, ChatCompletionCreateParamsNonStreaming> = true;
const exactlyOpenAIResponses: Exact<OpenAIResponsesBody, ResponseCreateParamsNonStreaming> = true;
const exactlyAnthropic: Exact<AnthropicMessagesBody, MessageCreateParamsNonStreaming> = true;
const exactlyAnthropicBlock: Exact<AnthropicTextBlock, TextBlockParam> = true;
const exactlyGemini: Exact<GeminiGenerateContentBody, GeminiRestBody> = true;
const exactlyGeminiConfig: Exact<GeminiGenerateContentBody['generationConfig'], GenerationConfig> = true;

const ID = '7d0c3a52-5f7e-4f55-9d8e-2b1f2d6f1a10';
const persona = PersonaConfiguration.create({
  ...fixture('personas/technical-assistant'),
  id: ID,
  version: 7,
  modelPreferences: ['gemini-2.5-pro', 'claude-sonnet-4-5', 'gpt-4o', 'o3-mini'],
});
const prompt = renderSystemPrompt(persona, { context: 'my helm release is stuck' });
const conversation = [
  { role: 'user' as const, content: 'My helm release is stuck.' },
  { role: 'assistant' as const, content: 'Which chart?' },
  { role: 'user' as const, content: 'ingress-nginx' },
];

describe('toProviderRequest', () => {
  describe('bodies type-check against the official SDK types', () => {
    it('OpenAI Chat Completions: the system message first, the settings, a prompt_cache_key from id and version', () => {
      const { model, body, warnings } = toProviderRequest(prompt, 'openai-chat', { messages: conversation });
      const typed: ChatCompletionCreateParamsNonStreaming = body;
      expect(model).toBe('gpt-4o');
      expect(typed).toEqual({
        model: 'gpt-4o',
        messages: [{ role: 'system', content: prompt.text }, ...conversation],
        temperature: 0.3,
        max_completion_tokens: 4096,
        prompt_cache_key: `persona:${ID}@7`,
      });
      expect(warnings).toEqual([]);
    });

    it('OpenAI Responses: instructions, input messages, max_output_tokens', () => {
      const { body } = toProviderRequest(prompt, 'openai-responses', { messages: conversation });
      const typed: ResponseCreateParamsNonStreaming = body;
      expect(typed).toEqual({
        model: 'gpt-4o',
        instructions: prompt.text,
        input: conversation.map((m) => ({ type: 'message', ...m })),
        temperature: 0.3,
        max_output_tokens: 4096,
        prompt_cache_key: `persona:${ID}@7`,
      });
    });

    it('Anthropic Messages: the cache breakpoint on the stable prefix, the activated knowledge after it, max_tokens', () => {
      const { model, body } = toProviderRequest(prompt, 'anthropic', { messages: conversation });
      const typed: MessageCreateParamsNonStreaming = body;
      expect(model).toBe('claude-sonnet-4-5');
      expect(typed.max_tokens).toBe(4096);
      expect(typed.messages).toEqual(conversation);
      expect(body).not.toHaveProperty('temperature');
      expect(body.system).toEqual([
        { type: 'text', text: prompt.text.slice(0, prompt.stablePrefixLength), cache_control: { type: 'ephemeral' } },
        { type: 'text', text: prompt.text.slice(prompt.stablePrefixLength) },
      ]);
      expect(body.system[1].text).toMatch(/^\n\n## Knowledge for this conversation\n### kubernetes/);
    });

    it('Gemini generateContent: systemInstruction, contents with roles user and model, generationConfig; the model beside the body', () => {
      const { model, body } = toProviderRequest(prompt, 'gemini', { messages: conversation });
      const typed: GeminiRestBody = body;
      expect(model).toBe('gemini-2.5-pro');
      expect(typed).toEqual({
        systemInstruction: { parts: [{ text: prompt.text }] },
        contents: [
          { role: 'user', parts: [{ text: 'My helm release is stuck.' }] },
          { role: 'model', parts: [{ text: 'Which chart?' }] },
          { role: 'user', parts: [{ text: 'ingress-nginx' }] },
        ],
        generationConfig: { temperature: 0.3, maxOutputTokens: 4096 },
      });
    });

    it('every body type has only fields its SDK type knows (checked by the compiler)', () => {
      expect([exactlyOpenAIChat, exactlyOpenAIResponses, exactlyAnthropic, exactlyAnthropicBlock, exactlyGemini, exactlyGeminiConfig]).toEqual([true, true, true, true, true, true]);
    });

    it('the SDK types do bite (a wrong shape does not compile)', () => {
      // @ts-expect-error system must be a string or text blocks, not a number
      const wrong: MessageCreateParamsNonStreaming = { model: 'claude-sonnet-4-5', max_tokens: 1, messages: [], system: 1 };
      expect(wrong).toBeDefined();
    });
  });

  describe('model', () => {
    it('takes options.model over the preferences', () => {
      expect(toProviderRequest(prompt, 'anthropic', { messages: conversation, model: 'claude-opus-4-1' }).model).toBe('claude-opus-4-1');
    });

    it('picks the first preference of the provider by its documented prefix', () => {
      const only = (prefs: string[]) => ({ ...prompt, modelPreferences: prefs });
      expect(toProviderRequest(only(['claude-3', 'o1', 'gpt-4.1']), 'openai-chat').model).toBe('o1');
      expect(toProviderRequest(only(['chatgpt-4o-latest']), 'openai-responses').model).toBe('chatgpt-4o-latest');
      expect(toProviderRequest(only(['omni-model', 'o10', 'gpt-4.1']), 'openai-chat').model).toBe('gpt-4.1');
    });

    it('refuses a provider none of whose models the persona prefers, at model', () => {
      const issues = validationIssues(() => toProviderRequest({ ...prompt, modelPreferences: ['gpt-4o'] }, 'anthropic', { messages: conversation }));
      expect(issues).toEqual([expect.objectContaining({ path: 'model', constraint: 'isDefined' })]);
      expect(validationIssues(() => toProviderRequest({ ...prompt, modelPreferences: [] }, 'gemini', { messages: conversation }))[0].path).toBe('model');
      expect(validationIssues(() => toProviderRequest(prompt, 'openai-chat', { model: '' }))[0].path).toBe('model');
      expect(validationIssues(() => toProviderRequest(prompt, 'openai-chat', { model: 'x'.repeat(201) }))[0].path).toBe('model');
    });
  });

  describe('clamping, with a warning', () => {
    const hot: RenderedPrompt = { ...prompt, temperature: 1.6 };

    it('leaves the temperature out for Anthropic (API version 2026-10-21 takes none), warning unless it is 1', () => {
      const { body, warnings } = toProviderRequest(hot, 'anthropic', { messages: conversation });
      expect(body).not.toHaveProperty('temperature');
      expect(warnings).toEqual(["temperature 1.6 left out: Anthropic's Messages API (version 2026-10-21) takes none"]);
      expect(toProviderRequest({ ...prompt, temperature: 1 }, 'anthropic', { messages: conversation }).warnings).toEqual([]);
    });

    it('keeps 0–2 for OpenAI and Gemini models that take a temperature', () => {
      expect(toProviderRequest(hot, 'openai-chat').body.temperature).toBe(1.6);
      expect(toProviderRequest(hot, 'gemini', { messages: conversation }).body.generationConfig.temperature).toBe(1.6);
    });

    it('leaves the temperature out for OpenAI reasoning models', () => {
      for (const model of ['o3-mini', 'o1', 'gpt-5', 'gpt-5-mini', 'gpt-5.1']) {
        const chat = toProviderRequest(prompt, 'openai-chat', { model });
        expect(chat.body).not.toHaveProperty('temperature');
        expect(chat.warnings).toEqual([`temperature 0.3 left out: ${model} is a reasoning model and takes none`]);
        expect(toProviderRequest(prompt, 'openai-responses', { model }).body).not.toHaveProperty('temperature');
      }
      expect(toProviderRequest(prompt, 'openai-chat', { model: 'gpt-5-chat-latest' }).body.temperature).toBe(0.3);
    });
  });

  describe('response limit', () => {
    it('is options.maxTokens, else the persona’s; Anthropic always gets max_tokens (4096 by default)', () => {
      expect(toProviderRequest(prompt, 'openai-chat', { maxTokens: 100 }).body.max_completion_tokens).toBe(100);
      const unlimited = { ...prompt, maxTokens: null };
      expect(toProviderRequest(unlimited, 'openai-chat').body).not.toHaveProperty('max_completion_tokens');
      expect(toProviderRequest(unlimited, 'openai-responses').body).not.toHaveProperty('max_output_tokens');
      expect(toProviderRequest(unlimited, 'gemini', { messages: conversation }).body.generationConfig).not.toHaveProperty('maxOutputTokens');
      expect(toProviderRequest(unlimited, 'anthropic', { messages: conversation }).body.max_tokens).toBe(4096);
      expect(toProviderRequest(unlimited, 'anthropic', { messages: conversation, maxTokens: 512 }).body.max_tokens).toBe(512);
    });

    it('refuses a maxTokens that is not an integer 1–1,000,000', () => {
      for (const maxTokens of [0, 1.5, 1_000_001, Number.NaN, '10' as unknown as number]) {
        expect(validationIssues(() => toProviderRequest(prompt, 'openai-chat', { maxTokens }))).toEqual([expect.objectContaining({ path: 'maxTokens' })]);
      }
    });
  });

  describe('response limit ceilings', () => {
    const huge = { ...prompt, maxTokens: 1_000_000 };
    const limitOf = (r: { body: object }) => {
      const b = r.body as Record<string, unknown> & { generationConfig?: { maxOutputTokens?: number } };
      return (b.max_completion_tokens ?? b.max_output_tokens ?? b.max_tokens ?? b.generationConfig?.maxOutputTokens) as number;
    };

    it('clamps the persona’s maxTokens to the model family’s documented ceiling, with a warning, for every provider', () => {
      const cases = [
        ['openai-chat', 'gpt-4o', 16_384],
        ['openai-responses', 'gpt-4.1-mini', 32_768],
        ['openai-chat', 'o3-mini', 100_000],
        ['anthropic', 'claude-sonnet-4-5', 64_000],
        ['anthropic', 'claude-opus-4-1-20250805', 32_000],
        ['anthropic', 'claude-3-5-haiku-latest', 8_192],
        ['gemini', 'gemini-2.0-flash', 8_192],
        ['gemini', 'gemini-2.5-pro', 65_536],
      ] as const;
      for (const [provider, model, ceiling] of cases) {
        const r = toProviderRequest(huge, provider, { model, messages: conversation });
        expect(limitOf(r)).toBe(ceiling);
        expect(r.warnings).toContain(`maxTokens 1000000 clamped to ${ceiling}: the most ${model} returns`);
      }
    });

    it('clamps options.maxTokens too, and takes an unknown model of the provider to the provider’s ceiling', () => {
      const r = toProviderRequest(prompt, 'anthropic', { model: 'claude-future-9', maxTokens: 999_999, messages: conversation });
      expect(r.body.max_tokens).toBe(MAX_OUTPUT_TOKENS.anthropic['']);
      expect(r.warnings.some((w) => w.startsWith('maxTokens 999999 clamped'))).toBe(true);
    });

    it('never sends more than the ceiling and never warns below it (property)', () => {
      const providers = ['openai-chat', 'openai-responses', 'anthropic', 'gemini'] as const;
      const models = { 'openai-chat': ['gpt-4o', 'gpt-5', 'o1-mini', 'gpt-4'], 'openai-responses': ['gpt-4.1', 'o3'], anthropic: ['claude-3-haiku', 'claude-sonnet-4'], gemini: ['gemini-1.5-pro', 'gemini-3-pro'] };
      fc.assert(
        fc.property(fc.constantFrom(...providers), fc.nat(), fc.integer({ min: 1, max: 1_000_000 }), (provider, pick, maxTokens) => {
          const model = models[provider][pick % models[provider].length];
          const r = toProviderRequest(prompt, provider, { model, maxTokens, messages: conversation });
          const ceiling = maxOutputTokensOf(provider.startsWith('openai') ? 'openai' : (provider as 'anthropic' | 'gemini'), model);
          expect(limitOf(r)).toBe(Math.min(maxTokens, ceiling));
          expect(r.warnings.some((w) => w.startsWith('maxTokens'))).toBe(maxTokens > ceiling);
        }),
      );
    });
  });

  describe('the prompt', () => {
    it('refuses what is not a rendered prompt with a PersonaValidationError at prompt, never a TypeError', () => {
      expect(validationIssues(() => toProviderRequest(null as never, 'openai-chat', { model: 'gpt-4o' }))[0]).toMatchObject({ path: 'prompt', constraint: 'isObject' });
      expect(validationIssues(() => toProviderRequest({} as never, 'anthropic', { model: 'claude-x', messages: conversation }))[0]).toMatchObject({ path: 'prompt.text' });
      expect(validationIssues(() => toProviderRequest({ text: 'x', modelPreferences: 'gpt-4o' } as never, 'openai-chat'))[0].path).toBe('prompt.modelPreferences');
      expect(validationIssues(() => toProviderRequest({ ...prompt, maxTokens: Infinity }, 'openai-chat'))[0].path).toBe('prompt.maxTokens');
    });

    it('takes null options as none', () => {
      expect(toProviderRequest(prompt, 'openai-chat', null as never).body.messages).toHaveLength(1);
    });
  });

  describe('messages', () => {
    it('are needed by Anthropic and Gemini, not by OpenAI', () => {
      expect(validationIssues(() => toProviderRequest(prompt, 'anthropic'))).toEqual([expect.objectContaining({ path: 'messages', constraint: 'arrayNotEmpty' })]);
      expect(validationIssues(() => toProviderRequest(prompt, 'gemini', { messages: [] }))[0].path).toBe('messages');
      expect(toProviderRequest(prompt, 'openai-chat').body.messages).toEqual([{ role: 'system', content: prompt.text }]);
      expect(toProviderRequest(prompt, 'openai-responses').body.input).toEqual([]);
    });

    it('refuses a bad message with its path', () => {
      const bad = [{ role: 'system', content: 'x' }, { role: 'user', content: 42 }, { role: 'user', content: 'ok', name: 'eve' }, null] as never;
      expect(validationIssues(() => toProviderRequest(prompt, 'openai-chat', { messages: bad })).map((i) => `${i.path}:${i.constraint}`)).toEqual([
        'messages[0].role:isIn',
        'messages[1].content:isString',
        'messages[2].name:whitelistValidation',
        'messages[3]:isObject',
      ]);
      expect(validationIssues(() => toProviderRequest(prompt, 'openai-chat', { messages: 'hi' as never }))[0].path).toBe('messages');
      const many = Array.from({ length: 1001 }, () => ({ role: 'user' as const, content: 'x' }));
      expect(validationIssues(() => toProviderRequest(prompt, 'openai-chat', { messages: many }))[0].constraint).toBe('arrayMaxSize');
      const huge = [{ role: 'user' as const, content: 'x'.repeat(1_000_001) }];
      expect(validationIssues(() => toProviderRequest(prompt, 'openai-chat', { messages: huge }))[0]).toMatchObject({ path: 'messages[0].content', constraint: 'maxLength' });
    });

    it('refuses empty or blank content for every provider (Anthropic and Gemini refuse it), at messages[i].content', () => {
      for (const provider of ['openai-chat', 'openai-responses', 'anthropic', 'gemini'] as const) {
        for (const content of ['', ' \n\t']) {
          const messages = [{ role: 'user' as const, content: 'hi' }, { role: 'assistant' as const, content }];
          expect(validationIssues(() => toProviderRequest(prompt, provider, { messages }))).toEqual([expect.objectContaining({ path: 'messages[1].content', constraint: 'isNotEmpty' })]);
        }
      }
    });

    it('a preview of a blank context sends no message (it would be refused), a context one user message', () => {
      expect(previewMessages(undefined, ' \n')).toBeUndefined();
      expect(previewMessages(undefined, 'stuck')).toEqual([{ role: 'user', content: 'stuck' }]);
    });

    it('refuses an unknown provider', () => {
      expect(validationIssues(() => toProviderRequest(prompt, 'mistral' as never))[0].path).toBe('provider');
    });

    it('refuses a model name that could leave its URL path segment (Gemini puts it in the path), given or preferred', () => {
      for (const model of ['gemini-x/../../files?key=', 'gemini-2.5-pro?alt=sse', 'gemini%2F..', 'gemini pro', 'gemini-..', '../gemini']) {
        expect(validationIssues(() => toProviderRequest(prompt, 'gemini', { messages: [{ role: 'user', content: 'hi' }], model }))[0]).toMatchObject({ path: 'model', constraint: 'matches' });
      }
      const preferred = { ...prompt, modelPreferences: ['gemini-x/../files'] };
      expect(validationIssues(() => toProviderRequest(preferred, 'gemini', { messages: [{ role: 'user', content: 'hi' }] }))[0].path).toBe('prompt.modelPreferences');
      for (const model of ['gpt-4o', 'ft:gpt-4o-mini:org::abc123', 'claude-sonnet-4-5@20250929', 'gemini-2.5-pro']) {
        expect(toProviderRequest(prompt, 'openai-chat', { model }).model).toBe(model);
      }
    });
  });

  describe('cache hints', () => {
    it('has one cached block when the context activated nothing, and no prompt_cache_key for a persona never stored', () => {
      const quiet = renderSystemPrompt(persona, { context: 'hello' });
      expect(toProviderRequest(quiet, 'anthropic', { messages: conversation }).body.system).toEqual([{ type: 'text', text: quiet.text, cache_control: { type: 'ephemeral' } }]);
      const unsaved = renderSystemPrompt(PersonaConfiguration.create(fixture('personas/technical-assistant')));
      const { body, warnings } = toProviderRequest(unsaved, 'openai-chat');
      expect(body).not.toHaveProperty('prompt_cache_key');
      expect(warnings).toEqual(['prompt_cache_key left out: the prompt was not rendered from a stored persona (no id)']);
    });

    it('the Anthropic blocks always add up to the prompt, and the cached block is the same for every context (property)', () => {
      const cachedBlock = toProviderRequest(renderSystemPrompt(persona), 'anthropic', { messages: conversation }).body.system[0];
      fc.assert(
        fc.property(fc.array(fc.constantFrom('helm', 'kubernetes', 'deployments', 'pods', 'weather', 'k8s', ' ', '.'), { maxLength: 8 }), (words) => {
          const p = renderSystemPrompt(persona, { context: words.join(' ') });
          const { system } = toProviderRequest(p, 'anthropic', { messages: conversation }).body;
          expect(system.map((b) => b.text).join('')).toBe(p.text);
          expect(system[0]).toEqual(cachedBlock);
        }),
        { numRuns: 200 },
      );
    });
  });
});
