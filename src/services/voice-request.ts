import { PersonaValidationError, ValidationIssue } from '../errors';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { VoiceConfiguration } from '../models/voice-configuration.embedded';

/*
 * A persona's voice settings as a text-to-speech provider's request (no network call). Each
 * provider has its own units and ranges; the mapping is documented in docs/runtime.md ("Voice")
 * and every value clamped or left out is named in `warnings`. Everything placed in SSML is
 * escaped by `escapeXml`, so no text and no setting can add or close an element.
 */

/** The voice providers `voiceRequest` builds requests for. */
export const VOICE_PROVIDERS = ['openai', 'elevenlabs', 'azure', 'google', 'polly'] as const;
/** OpenAI speech, ElevenLabs, Azure Speech (SSML), Google Cloud Text-to-Speech, Amazon Polly. */
export type VoiceProvider = (typeof VOICE_PROVIDERS)[number];

/** Longest text `voiceRequest` takes, in characters (each provider's own limit is lower; going past it is a warning). */
export const MAX_VOICE_TEXT_LENGTH = 100_000;

/** What each provider takes in one request, in characters of text (the API's documented limit; past it, a warning). */
const TEXT_LIMITS: Record<VoiceProvider, number> = { openai: 4096, elevenlabs: 5000, azure: 50_000, google: 5000, polly: 3000 };

/** A voice request: the path relative to the provider's API base, the headers it needs besides authentication, the body. */
export type VoiceRequest = { provider: string; path: string; headers: Record<string, string>; body: object | string; warnings: string[] };

/** Options of {@link voiceRequest}. */
export type VoiceRequestOptions = { provider?: string };

/** The OpenAI speech body (`POST /v1/audio/speech`). */
export type OpenAISpeechBody = { model: string; voice: string; input: string; speed: number; instructions?: string; response_format: 'mp3' | 'opus' | 'aac' | 'flac' | 'wav' | 'pcm' };
/** The ElevenLabs body (`POST /v1/text-to-speech/{voice_id}`). */
export type ElevenLabsBody = { text: string; model_id: string; voice_settings: { speed: number; stability?: number; similarity_boost?: number } };
/** The Google Cloud Text-to-Speech body (`POST /v1/text:synthesize`). */
export type GoogleSynthesizeBody = {
  input: { ssml: string };
  voice: { languageCode: string; name: string };
  audioConfig: { audioEncoding: string; speakingRate: number; pitch: number; volumeGainDb: number };
};
/** The Amazon Polly `SynthesizeSpeech` body (`POST /v1/speech`). */
export type PollySynthesizeBody = { Text: string; TextType: 'ssml'; VoiceId: string; LanguageCode: string; Engine: string; OutputFormat: string };

/**
 * Characters XML 1.0 allows: tab, line feed, carriage return, U+0020–U+D7FF, U+E000–U+FFFD and
 * (as surrogate pairs) U+10000–U+10FFFF. Everything else, lone surrogates included, is removed.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

/**
 * Text or an attribute value as XML character data: `&`, `<`, `>`, `"` and `'` as entities (and
 * tab, line feed and carriage return too, which a parser would otherwise normalise), and
 * characters XML cannot hold removed. The result never contains `<`, `>` or a quote, so it can
 * neither open, close nor end an element or an attribute, and it parses back to the text given
 * (less the removed characters).
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '').replace(/[&<>"'\t\n\r]/g, (c) => ENTITIES[c]);
}

function clamp(value: number, min: number, max: number, what: string, warnings: string[]): number {
  if (value < min || value > max) {
    const to = Math.min(max, Math.max(min, value));
    warnings.push(`${what} ${value} clamped to ${to} (the provider takes ${min} to ${max})`);
    return to;
  }
  return value;
}

/** `+10%`, `-5.5%`: a signed percentage with at most two decimals. */
function signedPercent(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return `${rounded >= 0 ? '+' : ''}${rounded}%`;
}

/** A volume factor 0–1 as decibels (0 → -Infinity, handled by the callers). */
function decibels(volume: number): number {
  return Math.round(20 * Math.log10(volume) * 100) / 100;
}

/** Polly's relative volume: `+0dB`, `-6.02dB` (the sign is required). */
function signedDecibels(volume: number): string {
  const db = decibels(volume);
  return `${db >= 0 ? '+' : ''}${db}dB`;
}

/** A string option of `providerOptions`, else the default (a value of another type is ignored with a warning). */
function stringOption(voice: VoiceConfiguration, key: string, fallback: string, warnings: string[]): string {
  const value = voice.providerOptions?.[key];
  if (value === undefined) return fallback;
  if (typeof value === 'string' && value.length > 0 && value.length <= 200) return value;
  warnings.push(`providerOptions.${key} ignored: not a string of 1 to 200 characters`);
  return fallback;
}

/**
 * The values each provider documents for the settings taken from `providerOptions` (API
 * references, as known when written). Azure and ElevenLabs have long, growing lists of output formats,
 * so theirs are checked by pattern: lowercase words joined by `-` (Azure, e.g.
 * `riff-24khz-16bit-mono-pcm`) or `_` (ElevenLabs, e.g. `mp3_44100_128`), at most 64 characters —
 * no space, CR, LF or other character that could leave the header or the query parameter. A value
 * outside these is left out with a warning and the default is used (as for every
 * `providerOptions` value of the wrong type or range).
 */
export const VOICE_OPTION_VALUES = {
  openaiResponseFormat: ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'],
  googleAudioEncoding: ['LINEAR16', 'MP3', 'OGG_OPUS', 'MULAW', 'ALAW'],
  pollyEngine: ['standard', 'neural', 'long-form', 'generative'],
  pollyOutputFormat: ['mp3', 'ogg_vorbis', 'pcm'],
  azureOutputFormat: /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
  elevenLabsOutputFormat: /^[a-z0-9]+(?:_[a-z0-9]+)*$/,
} as const;

/** A string option of `providerOptions` that must be one of `allowed` (or match it), else the default with a warning. */
function choiceOption(voice: VoiceConfiguration, key: string, fallback: string, allowed: readonly string[] | RegExp, provider: string, warnings: string[]): string {
  const value = stringOption(voice, key, fallback, warnings);
  if (value === fallback) return value;
  const ok = Array.isArray(allowed) ? allowed.includes(value) : value.length <= 64 && (allowed as RegExp).test(value);
  if (ok) return value;
  const what = Array.isArray(allowed) ? allowed.join(', ') : `a value of the form ${fallback || (allowed as RegExp).source}`;
  warnings.push(`providerOptions.${key} ${JSON.stringify(value.slice(0, 64))} ignored: ${provider} takes ${what}${fallback ? `; ${fallback} used` : ''}`);
  return fallback;
}

/** ElevenLabs voice ids are 20 letters and digits; anything placed as a path segment must be unreserved characters, and not `.` or `..`. */
const SAFE_PATH_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._~-]{1,200}$/;

/** A number option of `providerOptions` within a range, else undefined (out of range or of another type: ignored with a warning). */
function numberOption(voice: VoiceConfiguration, key: string, min: number, max: number, warnings: string[]): number | undefined {
  const value = voice.providerOptions?.[key];
  if (value === undefined) return undefined;
  if (typeof value === 'number' && value >= min && value <= max) return value;
  warnings.push(`providerOptions.${key} ignored: not a number from ${min} to ${max}`);
  return undefined;
}

function unsupported(voice: VoiceConfiguration, provider: VoiceProvider, fields: ('pitch' | 'volume' | 'emotion' | 'style')[], warnings: string[]): void {
  const defaults = { pitch: 0, volume: 1, emotion: undefined, style: undefined };
  for (const f of fields) if (voice[f] !== undefined && voice[f] !== defaults[f]) warnings.push(`${f} ${JSON.stringify(voice[f])} left out: ${provider} has no such setting`);
}

function checkInput(persona: PersonaConfiguration, text: unknown, options: VoiceRequestOptions): { voice: VoiceConfiguration; provider: VoiceProvider; text: string } {
  const issues: ValidationIssue[] = [];
  const voice = persona?.voiceConfig;
  if (!voice) issues.push({ path: 'voiceConfig', constraint: 'isDefined', message: 'the persona has no voiceConfig' });
  if (typeof text !== 'string') issues.push({ path: 'text', constraint: 'isString', message: 'text must be a string' });
  // Characters XML cannot hold are removed from SSML; a text of nothing else would be silence.
  else if (!text.replace(NOT_XML_CHAR, '').trim()) issues.push({ path: 'text', constraint: 'isNotEmpty', message: 'text must not be empty (characters XML cannot hold do not count)' });
  else if (text.length > MAX_VOICE_TEXT_LENGTH) issues.push({ path: 'text', constraint: 'maxLength', message: `text must be at most ${MAX_VOICE_TEXT_LENGTH.toLocaleString('en-US')} characters` });
  // Provider names are matched without regard to case ("ElevenLabs" is elevenlabs).
  const given = options?.provider ?? voice?.provider;
  const provider = typeof given === 'string' ? given.toLowerCase() : given;
  if (provider !== undefined && !(VOICE_PROVIDERS as readonly string[]).includes(provider)) {
    issues.push({ path: options?.provider !== undefined ? 'provider' : 'voiceConfig.provider', constraint: 'isIn', message: `voice provider must be one of: ${VOICE_PROVIDERS.join(', ')}` });
  }
  if (provider === 'elevenlabs' && voice && !(typeof voice.voiceId === 'string' && SAFE_PATH_SEGMENT.test(voice.voiceId))) {
    issues.push({ path: 'voiceConfig.voiceId', constraint: 'matches', message: 'an ElevenLabs voice id goes in the URL path: 1 to 200 letters, digits, ".", "_", "~" or "-", and not "." or ".."' });
  }
  if (issues.length) throw new PersonaValidationError(issues, 'voice request');
  return { voice: voice as VoiceConfiguration, provider: provider as VoiceProvider, text: text as string };
}

/**
 * The request that speaks `text` in the persona's voice: for OpenAI speech, ElevenLabs, Azure
 * (SSML with `prosody` and `mstts:express-as`), Google Cloud TTS (SSML input) or Amazon Polly
 * (SSML text). `options.provider` overrides `voiceConfig.provider`. Settings a provider cannot
 * take are clamped to its range or left out, each with a warning; the unit mappings are in
 * docs/runtime.md. `providerOptions` values a provider does not document
 * ({@link VOICE_OPTION_VALUES}) are left out with a warning and the default is used. A persona
 * without `voiceConfig`, an unknown provider, a text that is empty (after removing characters XML
 * cannot hold) or longer than {@link MAX_VOICE_TEXT_LENGTH}, or an ElevenLabs voice id that is not
 * a safe URL path segment is a `PersonaValidationError`; `options` null counts as none.
 */
export function voiceRequest(persona: PersonaConfiguration, text: string, given: VoiceRequestOptions | null = {}): VoiceRequest {
  const options = given ?? {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new PersonaValidationError([{ path: 'options', constraint: 'isObject', message: 'options must be an object' }], 'voice request');
  }
  const { voice, provider, text: input } = checkInput(persona, text, options);
  const warnings: string[] = [];
  if (input.length > TEXT_LIMITS[provider]) warnings.push(`text of ${input.length} characters is longer than ${provider} takes in one request (${TEXT_LIMITS[provider]}): split it`);
  if (options.provider !== undefined && provider !== voice.provider.toLowerCase()) warnings.push(`voiceConfig is for ${voice.provider}; voice id ${JSON.stringify(voice.voiceId)} may not exist at ${provider}`);
  switch (provider) {
    case 'openai':
      return { provider, path: '/v1/audio/speech', headers: { 'Content-Type': 'application/json' }, body: openAISpeech(voice, input, warnings), warnings };
    case 'elevenlabs': {
      // The output format is a query parameter; without it ElevenLabs answers mp3_44100_128.
      const format = choiceOption(voice, 'outputFormat', '', VOICE_OPTION_VALUES.elevenLabsOutputFormat, 'ElevenLabs', warnings);
      const path = `/v1/text-to-speech/${encodeURIComponent(voice.voiceId)}${format ? `?output_format=${encodeURIComponent(format)}` : ''}`;
      return { provider, path, headers: { 'Content-Type': 'application/json' }, body: elevenLabs(voice, input, warnings), warnings };
    }
    case 'azure':
      return {
        provider,
        path: '/cognitiveservices/v1',
        headers: { 'Content-Type': 'application/ssml+xml', 'X-Microsoft-OutputFormat': choiceOption(voice, 'outputFormat', 'audio-24khz-48kbitrate-mono-mp3', VOICE_OPTION_VALUES.azureOutputFormat, 'Azure', warnings) },
        body: azureSsml(voice, input, warnings),
        warnings,
      };
    case 'google':
      return { provider, path: '/v1/text:synthesize', headers: { 'Content-Type': 'application/json' }, body: googleSynthesize(voice, input, warnings), warnings };
    case 'polly':
      return { provider, path: '/v1/speech', headers: { 'Content-Type': 'application/json' }, body: pollySynthesize(voice, input, warnings), warnings };
  }
}

/** Emotion and style as a spoken instruction for OpenAI's steerable speech models. */
function speechInstructions(voice: VoiceConfiguration): string | undefined {
  const parts: string[] = [];
  if (voice.emotion) parts.push(`Emotion: ${voice.emotion}.`);
  if (voice.style) parts.push(`Style: ${voice.style}.`);
  return parts.length ? parts.join(' ') : undefined;
}

function openAISpeech(voice: VoiceConfiguration, input: string, warnings: string[]): OpenAISpeechBody {
  const model = stringOption(voice, 'model', 'gpt-4o-mini-tts', warnings);
  const format = choiceOption(voice, 'responseFormat', 'mp3', VOICE_OPTION_VALUES.openaiResponseFormat, 'OpenAI', warnings) as OpenAISpeechBody['response_format'];
  const body: OpenAISpeechBody = { model, voice: voice.voiceId, input, speed: voice.speed, response_format: format };
  const instructions = speechInstructions(voice);
  // Only the gpt-4o TTS models take instructions; tts-1 and tts-1-hd refuse them.
  if (instructions && model.startsWith('tts-1')) warnings.push(`emotion and style left out: ${model} takes no instructions (gpt-4o-mini-tts does)`);
  else if (instructions) body.instructions = instructions;
  unsupported(voice, 'openai', ['pitch', 'volume'], warnings);
  return body;
}

function elevenLabs(voice: VoiceConfiguration, input: string, warnings: string[]): ElevenLabsBody {
  const settings: ElevenLabsBody['voice_settings'] = { speed: clamp(voice.speed, 0.7, 1.2, 'speed', warnings) };
  const stability = numberOption(voice, 'stability', 0, 1, warnings);
  const similarity = numberOption(voice, 'similarityBoost', 0, 1, warnings);
  if (stability !== undefined) settings.stability = stability;
  if (similarity !== undefined) settings.similarity_boost = similarity;
  unsupported(voice, 'elevenlabs', ['pitch', 'volume', 'emotion', 'style'], warnings);
  return { text: input, model_id: stringOption(voice, 'modelId', 'eleven_multilingual_v2', warnings), voice_settings: settings };
}

/** Azure prosody: rate as a relative percentage (0.5–2 times), pitch in relative semitones (−12 to +7, Azure's −50% to +50%), volume 0–100. */
function azureSsml(voice: VoiceConfiguration, input: string, warnings: string[]): string {
  const rate = clamp(voice.speed, 0.5, 2, 'speed', warnings);
  const pitch = clamp(voice.pitch, -12, 7, 'pitch', warnings);
  const volume = Math.round(voice.volume * 10000) / 100;
  const prosody = `<prosody rate="${signedPercent((rate - 1) * 100)}" pitch="${pitch >= 0 ? '+' : ''}${pitch}st" volume="${volume}">${escapeXml(input)}</prosody>`;
  const style = voice.style ?? voice.emotion;
  if (voice.style && voice.emotion) warnings.push(`emotion ${JSON.stringify(voice.emotion)} left out: Azure takes one style, and style ${JSON.stringify(voice.style)} is set`);
  const degree = numberOption(voice, 'styleDegree', 0.01, 2, warnings);
  const role = voice.providerOptions?.role;
  const styled = style
    ? `<mstts:express-as style="${escapeXml(style)}"${degree !== undefined ? ` styledegree="${degree}"` : ''}${typeof role === 'string' && role ? ` role="${escapeXml(role)}"` : ''}>${prosody}</mstts:express-as>`
    : prosody;
  return (
    `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xmlns:mstts="https://www.w3.org/2001/mstts" xml:lang="${escapeXml(voice.language)}">` +
    `<voice name="${escapeXml(voice.voiceId)}">${styled}</voice></speak>`
  );
}

/** Google: speaking rate 0.25–4 and pitch −20–20 semitones as they are; volume as gain in dB (−96 to 0 for 0–1). */
function googleSynthesize(voice: VoiceConfiguration, input: string, warnings: string[]): GoogleSynthesizeBody {
  unsupported(voice, 'google', ['emotion', 'style'], warnings);
  return {
    input: { ssml: `<speak>${escapeXml(input)}</speak>` },
    voice: { languageCode: voice.language, name: voice.voiceId },
    audioConfig: {
      audioEncoding: choiceOption(voice, 'audioEncoding', 'MP3', VOICE_OPTION_VALUES.googleAudioEncoding, 'Google', warnings),
      speakingRate: voice.speed,
      pitch: voice.pitch,
      volumeGainDb: voice.volume === 0 ? -96 : Math.max(-96, decibels(voice.volume)),
    },
  };
}

/** Polly: rate 20–200% of normal; volume in relative dB (silent at 0); pitch as a relative percentage, standard engine only; style `news` or `conversational` as `amazon:domain`. */
function pollySynthesize(voice: VoiceConfiguration, input: string, warnings: string[]): PollySynthesizeBody {
  const engine = choiceOption(voice, 'engine', 'neural', VOICE_OPTION_VALUES.pollyEngine, 'Polly', warnings);
  const rate = clamp(voice.speed, 0.2, 2, 'speed', warnings);
  const attributes = [`rate="${Math.round(rate * 100)}%"`, `volume="${voice.volume === 0 ? 'silent' : signedDecibels(voice.volume)}"`];
  if (voice.pitch !== 0) {
    if (engine === 'standard') {
      // Semitones to a frequency change: +12 st doubles it; Polly takes −33.3% to +50%.
      const percent = clamp(Math.round((2 ** (voice.pitch / 12) - 1) * 10000) / 100, -33.3, 50, 'pitch (as %)', warnings);
      attributes.push(`pitch="${signedPercent(percent)}"`);
    } else warnings.push(`pitch ${voice.pitch} left out: Polly's ${engine} engine takes no pitch (the standard engine does)`);
  }
  let ssml = `<prosody ${attributes.join(' ')}>${escapeXml(input)}</prosody>`;
  const domain = voice.style === 'news' || voice.style === 'conversational' ? voice.style : undefined;
  if (domain && engine === 'neural') ssml = `<amazon:domain name="${domain}">${ssml}</amazon:domain>`;
  else if (voice.style) warnings.push(`style ${JSON.stringify(voice.style)} left out: Polly takes the styles news and conversational, with the neural engine`);
  unsupported(voice, 'polly', ['emotion'], warnings);
  return { Text: `<speak>${ssml}</speak>`, TextType: 'ssml', VoiceId: voice.voiceId, LanguageCode: voice.language, Engine: engine, OutputFormat: choiceOption(voice, 'outputFormat', 'mp3', VOICE_OPTION_VALUES.pollyOutputFormat, 'Polly', warnings) };
}
