import { DOMParser } from '@xmldom/xmldom';
import fc from 'fast-check';
import type { SpeechCreateParams } from 'openai/resources/audio/speech';
import { ElevenLabsBody, escapeXml, GoogleSynthesizeBody, VOICE_OPTION_VALUES, OpenAISpeechBody, PersonaConfiguration, PersonaValidationError, PollySynthesizeBody, voiceRequest } from '../../src';
import { fixture } from '../fixtures';
import { Exact, validationIssues } from '../support/validation';

const issues = validationIssues;

const exactlyOpenAISpeech: Exact<OpenAISpeechBody, SpeechCreateParams> = true;

function personaWith(voiceConfig: Record<string, unknown> | undefined) {
  return PersonaConfiguration.create({ ...fixture('personas/minimal'), voiceConfig });
}

const base = { provider: 'azure', voiceId: 'en-US-JennyNeural', language: 'en-US' };

/** Parses XML strictly: any warning or error fails. */
function parseXml(xml: string) {
  return new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}\n${xml}`);
    },
  }).parseFromString(xml, 'text/xml');
}

/** Every element of a document, in document order, as `name[attr=value,…]`. */
function elements(xml: string): string[] {
  const out: string[] = [];
  const walk = (node: any) => {
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1) {
        const attrs = Array.from({ length: c.attributes.length }, (_, i) => c.attributes[i].name).sort();
        out.push(`${c.nodeName}[${attrs.join(',')}]`);
        walk(c);
      }
    }
  };
  walk(parseXml(xml));
  return out;
}

describe('voiceRequest', () => {
  it('OpenAI speech: model, voice, input, speed, instructions from emotion and style (type-checked against the SDK)', () => {
    const r = voiceRequest(personaWith({ provider: 'openai', voiceId: 'alloy', speed: 1.25, emotion: 'cheerful', style: 'newscast' }), 'Hello there');
    const body: SpeechCreateParams = r.body as OpenAISpeechBody;
    expect(exactlyOpenAISpeech).toBe(true);
    expect(r).toEqual({
      provider: 'openai',
      path: '/v1/audio/speech',
      headers: { 'Content-Type': 'application/json' },
      body: { model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'Hello there', speed: 1.25, instructions: 'Emotion: cheerful. Style: newscast.', response_format: 'mp3' },
      warnings: [],
    });
    expect(body.input).toBe('Hello there');
  });

  it('OpenAI speech: warns about what it cannot take (pitch, volume; instructions on tts-1)', () => {
    const r = voiceRequest(personaWith({ provider: 'openai', voiceId: 'alloy', pitch: 3, volume: 0.5, emotion: 'sad', providerOptions: { model: 'tts-1' } }), 'Hi');
    expect(r.body).not.toHaveProperty('instructions');
    expect(r.warnings).toEqual(['emotion and style left out: tts-1 takes no instructions (gpt-4o-mini-tts does)', 'pitch 3 left out: openai has no such setting', 'volume 0.5 left out: openai has no such setting']);
  });

  it('ElevenLabs: the voice id in the path, text, model_id, voice_settings with speed clamped to 0.7–1.2', () => {
    const r = voiceRequest(personaWith({ provider: 'elevenlabs', voiceId: 'EXAVITQu4vr4xnSDxMaL', speed: 2, providerOptions: { stability: 0.4, similarityBoost: 0.8 } }), 'Hi');
    expect(r.path).toBe('/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL');
    expect(r.body).toEqual({ text: 'Hi', model_id: 'eleven_multilingual_v2', voice_settings: { speed: 1.2, stability: 0.4, similarity_boost: 0.8 } });
    expect(r.warnings).toEqual(['speed 2 clamped to 1.2 (the provider takes 0.7 to 1.2)']);
    expect(voiceRequest(personaWith({ provider: 'elevenlabs', voiceId: 'v', providerOptions: { outputFormat: 'pcm_16000' } }), 'Hi').path).toBe('/v1/text-to-speech/v?output_format=pcm_16000');
  });

  it('Azure: an SSML document with voice, mstts:express-as and prosody; the output format as a header', () => {
    const r = voiceRequest(personaWith({ ...base, speed: 1.1, pitch: 2, volume: 0.8, emotion: 'cheerful', providerOptions: { styleDegree: 1.5 } }), 'Tom & Jerry <3');
    expect(r.path).toBe('/cognitiveservices/v1');
    expect(r.headers).toEqual({ 'Content-Type': 'application/ssml+xml', 'X-Microsoft-OutputFormat': 'audio-24khz-48kbitrate-mono-mp3' });
    expect(r.body).toBe(
      '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xmlns:mstts="https://www.w3.org/2001/mstts" xml:lang="en-US">' +
        '<voice name="en-US-JennyNeural"><mstts:express-as style="cheerful" styledegree="1.5">' +
        '<prosody rate="+10%" pitch="+2st" volume="80">Tom &amp; Jerry &lt;3</prosody></mstts:express-as></voice></speak>',
    );
    expect(r.warnings).toEqual([]);
    const extreme = voiceRequest(personaWith({ ...base, speed: 4, pitch: -20, style: 'newscast', emotion: 'sad' }), 'x');
    expect(extreme.body).toContain('<mstts:express-as style="newscast"><prosody rate="+100%" pitch="-12st" volume="100">');
    expect(extreme.warnings).toEqual([
      'speed 4 clamped to 2 (the provider takes 0.5 to 2)',
      'pitch -20 clamped to -12 (the provider takes -12 to 7)',
      'emotion "sad" left out: Azure takes one style, and style "newscast" is set',
    ]);
  });

  it('Google Cloud TTS: input.ssml, voice, audioConfig with rate, pitch and volume gain in dB', () => {
    const r = voiceRequest(personaWith({ provider: 'google', voiceId: 'en-GB-Neural2-A', language: 'en-GB', speed: 0.9, pitch: -3, volume: 0.5 }), 'a < b');
    const body = r.body as GoogleSynthesizeBody;
    expect(r.path).toBe('/v1/text:synthesize');
    expect(body).toEqual({
      input: { ssml: '<speak>a &lt; b</speak>' },
      voice: { languageCode: 'en-GB', name: 'en-GB-Neural2-A' },
      audioConfig: { audioEncoding: 'MP3', speakingRate: 0.9, pitch: -3, volumeGainDb: -6.02 },
    });
    expect((voiceRequest(personaWith({ provider: 'google', voiceId: 'v', volume: 0 }), 'x').body as GoogleSynthesizeBody).audioConfig.volumeGainDb).toBe(-96);
  });

  it('Amazon Polly: Text as SSML with prosody, TextType ssml, VoiceId, LanguageCode, Engine, OutputFormat', () => {
    const r = voiceRequest(personaWith({ provider: 'polly', voiceId: 'Joanna', speed: 1.5, pitch: 2, volume: 0.5, style: 'news' }), 'Breaking');
    expect(r.path).toBe('/v1/speech');
    expect(r.body).toEqual({
      Text: '<speak><amazon:domain name="news"><prosody rate="150%" volume="-6.02dB">Breaking</prosody></amazon:domain></speak>',
      TextType: 'ssml',
      VoiceId: 'Joanna',
      LanguageCode: 'en-US',
      Engine: 'neural',
      OutputFormat: 'mp3',
    });
    expect(r.warnings).toEqual(["pitch 2 left out: Polly's neural engine takes no pitch (the standard engine does)"]);
    const standard = voiceRequest(personaWith({ provider: 'polly', voiceId: 'Joanna', pitch: 12, volume: 0, providerOptions: { engine: 'standard' } }), 'x');
    expect((standard.body as PollySynthesizeBody).Text).toBe('<speak><prosody rate="100%" volume="silent" pitch="+50%">x</prosody></speak>');
    expect(standard.warnings).toEqual(['pitch (as %) 100 clamped to 50 (the provider takes -33.3 to 50)']);
    expect((voiceRequest(personaWith({ provider: 'polly', voiceId: 'Joanna' }), 'x').body as PollySynthesizeBody).Text).toBe('<speak><prosody rate="100%" volume="+0dB">x</prosody></speak>');
  });

  it('matches provider names without regard to case', () => {
    const r = voiceRequest(personaWith({ provider: 'ElevenLabs', voiceId: 'v' }), 'x', { provider: 'elevenlabs' });
    expect(r).toMatchObject({ provider: 'elevenlabs', path: '/v1/text-to-speech/v', warnings: [] });
  });

  it('takes options.provider over the configured one, with a warning about the voice id', () => {
    const r = voiceRequest(personaWith({ ...base }), 'x', { provider: 'google' });
    expect(r.provider).toBe('google');
    expect(r.warnings).toEqual(['voiceConfig is for azure; voice id "en-US-JennyNeural" may not exist at google']);
  });

  it('refuses a persona without voice, an unknown provider, and an empty or huge text, with their paths', () => {
    expect(validationIssues(() => voiceRequest(personaWith(undefined), 'x'))).toEqual([expect.objectContaining({ path: 'voiceConfig', constraint: 'isDefined' })]);
    expect(validationIssues(() => voiceRequest(personaWith({ ...base, provider: 'acme' }), 'x'))).toEqual([expect.objectContaining({ path: 'voiceConfig.provider', constraint: 'isIn' })]);
    expect(validationIssues(() => voiceRequest(personaWith(base), 'x', { provider: 'acme' }))[0].path).toBe('provider');
    expect(validationIssues(() => voiceRequest(personaWith(base), '  '))[0]).toMatchObject({ path: 'text', constraint: 'isNotEmpty' });
    expect(validationIssues(() => voiceRequest(personaWith(base), 42 as never))[0]).toMatchObject({ path: 'text', constraint: 'isString' });
    expect(validationIssues(() => voiceRequest(personaWith(base), 'x'.repeat(100_001)))[0]).toMatchObject({ path: 'text', constraint: 'maxLength' });
  });

  it('refuses a text made only of characters XML cannot hold (it would be silence), at text', () => {
    for (const provider of ['openai', 'elevenlabs', 'azure', 'google', 'polly']) {
      expect(issues(() => voiceRequest(personaWith({ ...base, provider, voiceId: 'abc' }), '\u0001\u0002 \uFFFF\uD800'))).toEqual([expect.objectContaining({ path: 'text', constraint: 'isNotEmpty' })]);
    }
  });

  it('takes null options as none, and refuses options that are not an object', () => {
    expect(voiceRequest(personaWith(base), 'x', null).provider).toBe('azure');
    expect(issues(() => voiceRequest(personaWith(base), 'x', 'google' as never))[0]).toMatchObject({ path: 'options', constraint: 'isObject' });
  });

  it('refuses an ElevenLabs voice id that is not a safe URL path segment; a good one stays the only path segment', () => {
    for (const voiceId of ['..', '.', 'a/b', '../../v1/voices', 'a?b=1', 'a#b', 'a b', 'a%2F']) {
      expect(issues(() => voiceRequest(personaWith({ provider: 'elevenlabs', voiceId }), 'hi'))).toEqual([expect.objectContaining({ path: 'voiceConfig.voiceId', constraint: 'matches' })]);
    }
    // The same id is fine for a provider that does not put it in the URL.
    expect(voiceRequest(personaWith({ provider: 'azure', voiceId: '..' }), 'hi').path).toBe('/cognitiveservices/v1');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (voiceId) => {
        let persona: PersonaConfiguration;
        try {
          persona = personaWith({ provider: 'elevenlabs', voiceId });
        } catch {
          return;
        }
        let r;
        try {
          r = voiceRequest(persona, 'hi');
        } catch (e) {
          expect(e).toBeInstanceOf(PersonaValidationError);
          return;
        }
        const url = new URL(r.path, 'https://api.elevenlabs.io');
        expect(url.pathname).toBe(`/v1/text-to-speech/${voiceId}`);
        expect(url.search).toBe('');
      }),
    );
  });

  describe('providerOptions a provider does not document are left out with a warning, and the default used', () => {
    it('Azure output format: a CR/LF or any character outside lowercase words and hyphens never reaches the header', () => {
      for (const outputFormat of ['riff-8khz\r\nX-Evil: injected', 'a b', 'RIFF-8KHZ', 'x'.repeat(65), 'a--b']) {
        const r = voiceRequest(personaWith({ ...base, providerOptions: { outputFormat } }), 'x');
        expect(r.headers['X-Microsoft-OutputFormat']).toBe('audio-24khz-48kbitrate-mono-mp3');
        expect(r.warnings).toEqual([expect.stringMatching(/^providerOptions\.outputFormat .* ignored: Azure takes/)]);
        expect(() => new Headers(r.headers)).not.toThrow();
      }
      expect(voiceRequest(personaWith({ ...base, providerOptions: { outputFormat: 'riff-24khz-16bit-mono-pcm' } }), 'x').headers['X-Microsoft-OutputFormat']).toBe('riff-24khz-16bit-mono-pcm');
    });

    it('header values and query parameters are always plain tokens (property)', () => {
      fc.assert(
        fc.property(fc.constantFrom('azure', 'elevenlabs'), fc.string({ unit: 'binary', maxLength: 70 }), (provider, outputFormat) => {
          let persona: PersonaConfiguration;
          try {
            persona = personaWith({ provider, voiceId: 'abc', providerOptions: { outputFormat } });
          } catch {
            return; // the persona itself refuses U+0000 and lone surrogates
          }
          const r = voiceRequest(persona, 'x');
          for (const v of Object.values(r.headers)) expect(v).toMatch(/^[A-Za-z0-9/+.-]+$/);
          expect(r.path).toMatch(/^[A-Za-z0-9/._~?=-]+$/);
        }),
      );
    });

    it('ElevenLabs output format goes in the query only when it is a token such as mp3_44100_128', () => {
      expect(voiceRequest(personaWith({ provider: 'elevenlabs', voiceId: 'abc', providerOptions: { outputFormat: 'pcm_16000' } }), 'x').path).toBe('/v1/text-to-speech/abc?output_format=pcm_16000');
      const r = voiceRequest(personaWith({ provider: 'elevenlabs', voiceId: 'abc', providerOptions: { outputFormat: 'mp3&x=1' } }), 'x');
      expect(r.path).toBe('/v1/text-to-speech/abc');
      expect(r.warnings[0]).toMatch(/^providerOptions\.outputFormat "mp3&x=1" ignored: ElevenLabs takes/);
      expect((r.body as ElevenLabsBody).text).toBe('x');
    });

    it('Polly engine and output format, Google audio encoding, OpenAI response format: the documented values only', () => {
      for (const engine of VOICE_OPTION_VALUES.pollyEngine) expect((voiceRequest(personaWith({ provider: 'polly', voiceId: 'Joanna', providerOptions: { engine } }), 'x').body as PollySynthesizeBody).Engine).toBe(engine);
      const polly = voiceRequest(personaWith({ provider: 'polly', voiceId: 'Joanna', providerOptions: { engine: 'turbo', outputFormat: 'wav' } }), 'x');
      expect(polly.body).toMatchObject({ Engine: 'neural', OutputFormat: 'mp3' });
      expect(polly.warnings).toEqual([
        'providerOptions.engine "turbo" ignored: Polly takes standard, neural, long-form, generative; neural used',
        'providerOptions.outputFormat "wav" ignored: Polly takes mp3, ogg_vorbis, pcm; mp3 used',
      ]);
      const google = voiceRequest(personaWith({ provider: 'google', voiceId: 'en-US-Neural2-A', providerOptions: { audioEncoding: 'mp3' } }), 'x');
      expect((google.body as GoogleSynthesizeBody).audioConfig.audioEncoding).toBe('MP3');
      expect(google.warnings).toEqual(['providerOptions.audioEncoding "mp3" ignored: Google takes LINEAR16, MP3, OGG_OPUS, MULAW, ALAW; MP3 used']);
      expect((voiceRequest(personaWith({ provider: 'google', voiceId: 'v', providerOptions: { audioEncoding: 'OGG_OPUS' } }), 'x').body as GoogleSynthesizeBody).audioConfig.audioEncoding).toBe('OGG_OPUS');
      const openai = voiceRequest(personaWith({ provider: 'openai', voiceId: 'alloy', providerOptions: { responseFormat: 'ogg' } }), 'x');
      expect((openai.body as OpenAISpeechBody).response_format).toBe('mp3');
      expect(openai.warnings).toEqual(['providerOptions.responseFormat "ogg" ignored: OpenAI takes mp3, opus, aac, flac, wav, pcm; mp3 used']);
    });
  });

  it('warns when the text is longer than the provider takes in one request', () => {
    expect(voiceRequest(personaWith({ provider: 'polly', voiceId: 'Joanna' }), 'x'.repeat(3001)).warnings).toEqual(['text of 3001 characters is longer than polly takes in one request (3000): split it']);
  });

  describe('SSML cannot be injected', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(fc.constantFrom('<', '>', '&', '"', "'", '</prosody>', '<break time="9s"/>', ']]>', '<!--', '<?xml ?>', '&amp;', '\u0000', '\uD800', 'a', ' '), { maxLength: 20 }).map((p) => p.join('')),
    );
    const setting = fc.oneof(fc.constant(undefined), fc.string({ unit: 'binary', minLength: 1, maxLength: 50 }), fc.constantFrom('"><evil/>', "x' y='1", 'a&b'));

    it('no text and no setting adds or closes an element; the text comes back as it was (property)', () => {
      let built = 0;
      fc.assert(
        fc.property(
          fc.constantFrom('azure', 'google', 'polly'),
          hostile.filter((t) => t.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '').trim().length > 0),
          setting,
          setting,
          fc.string({ unit: 'binary', minLength: 1, maxLength: 50 }),
          (provider, text, emotion, style, voiceId) => {
            const voice = { provider, voiceId, emotion, style, providerOptions: provider === 'polly' ? { engine: 'standard' } : {} };
            let plain: PersonaConfiguration;
            try {
              plain = personaWith(voice);
            } catch {
              return; // a setting the persona itself refuses never reaches a request
            }
            built++;
            const r = voiceRequest(plain, text);
            const ssml = provider === 'azure' ? (r.body as string) : provider === 'google' ? (r.body as GoogleSynthesizeBody).input.ssml : (r.body as PollySynthesizeBody).Text;
            const safe = voiceRequest(plain, 'x');
            const safeSsml = provider === 'azure' ? (safe.body as string) : provider === 'google' ? (safe.body as GoogleSynthesizeBody).input.ssml : (safe.body as PollySynthesizeBody).Text;
            const parsed = elements(ssml);
            expect(parsed).toEqual(elements(safeSsml));
            const doc = parseXml(ssml);
            const expected = text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
            expect(doc.documentElement!.textContent).toBe(expected);
            if (provider === 'azure') {
              const express = doc.getElementsByTagName('mstts:express-as')[0];
              if (style ?? emotion) expect(express.getAttribute('style')).toBe((style ?? emotion)!.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
              expect(doc.getElementsByTagName('voice')[0].getAttribute('name')).toBe(voiceId.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
            }
          },
        ),
        { numRuns: 500 },
      );
      expect(built).toBeGreaterThan(250);
    });

    it('escapeXml leaves no markup character', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (s) => {
          expect(escapeXml(s)).not.toMatch(/[<>"']/);
          expect(escapeXml(s)).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#9|#10|#13);)/);
        }),
      );
    });
  });
});
