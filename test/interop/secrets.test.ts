import fc from 'fast-check';
import {
  BehaviorRule,
  exportPersona,
  importPersona,
  KnowledgeDomain,
  MemoryConfiguration,
  PersonaConfiguration,
  PersonaFormat,
  PersonaMetrics,
  PersonaTemplate,
  PersonaTrait,
  ResponseStyle,
  schemaFields,
  toPlain,
  VoiceConfiguration,
} from '../../src';
import { BLANK_PNG, readTextChunks, writeTextChunks } from '../../src/interop/png';
import { isCredentialKey, isCredentialValue, stripCredentials } from '../../src/interop/secrets';
import { fixture } from '../fixtures';

type Doc = Record<string, any>;
const dropped = (warnings: string[]) => warnings.filter((w) => w.startsWith('left out ')).map((w) => w.slice('left out '.length, w.indexOf(': ')));

// Values a test can look for anywhere: long, random-looking, never produced by anything else.
const OPENAI = 'sk-proj-4f9Qx2LrT7vB1nKc8ZsW3yHd6Jm0aPeU';
const PG_PASSWORD = 'pg-S3cr3t-Pa55w0rd';
const DISCORD = 'MTA4NjQ1Mzk1NjE4NzY1NDEyMw.GxYz12.abcdefghijklmnopqrstuvwxyz0123456789AB';

function elizaWithCredentials(): Doc {
  return {
    name: 'Broker Bea',
    bio: ['Explains markets.'],
    system: 'Roleplay as Bea.',
    settings: {
      model: 'gpt-4o',
      maxOutputTokens: 300,
      MAX_TOKENS: 4096,
      tokenizer: 'o200k_base',
      OPENAI_KEY: 'not-even-shaped-like-a-key',
      DATABASE_URL: `postgres://bea:${PG_PASSWORD}@db.internal:5432/bea`,
      providers: [
        { name: 'openai', apiKey: OPENAI, temperature: 0.2 },
        { name: 'local', baseUrl: 'http://localhost:11434', keywords: ['market'] },
      ],
      voice: { model: 'en_US-female-medium' },
    },
    clientConfig: { discord: { token: DISCORD, shouldIgnoreBotMessages: true, keyboard: 'qwerty' } },
    secrets: { TWITTER_PASSWORD: 'hunter2hunter2' },
  };
}

describe('credentials never persist (issue #13, item 4)', () => {
  it('an Eliza file loses its keys, tokens and connection passwords, and keeps its ordinary settings', async () => {
    const { persona, warnings } = await importPersona(elizaWithCredentials());
    expect(dropped(warnings)).toEqual(['secrets', 'settings.OPENAI_KEY', 'settings.DATABASE_URL', 'settings.providers[0].apiKey', 'clientConfig.discord.token']);
    const stored = JSON.stringify(persona);
    for (const secret of [OPENAI, PG_PASSWORD, DISCORD, 'hunter2hunter2', 'not-even-shaped-like-a-key']) {
      expect(stored).not.toContain(secret);
      expect(warnings.join('\n')).not.toContain(secret);
    }
    const back = (await exportPersona(persona, { format: 'eliza' })) as Doc;
    expect(JSON.stringify(back)).not.toContain(OPENAI);
    const expected = elizaWithCredentials();
    delete expected.secrets;
    delete expected.settings.OPENAI_KEY;
    delete expected.settings.DATABASE_URL;
    delete expected.settings.providers[0].apiKey;
    delete expected.clientConfig.discord.token;
    expect(back).toEqual(expected);
    expect(back.settings).toMatchObject({ maxOutputTokens: 300, MAX_TOKENS: 4096, tokenizer: 'o200k_base' });
  });

  it('scans card extensions, the lorebook and the V1 root fields at any depth', async () => {
    const card = fixture('interop/card-v3-full');
    card.data.extensions.tools = { search: { headers: { Authorization: `Bearer ${OPENAI.slice(3)}1`, Accept: 'application/json' } } };
    card.data.extensions.chub = { full_path: 'bea/broker', webhook: 'https://discord.com/api/webhooks/1234567890/abcdefghijklmnopqrstuvwxyz_ABCDEF' };
    card.data.character_book.entries[0].extensions.sync = { endpoint: 'https://example.invalid/sync', access_token: 'tok-123456789', token_count: 120 };
    card.data.alternate_greetings.push(`ghp_${'a1B2c3D4e5'.repeat(4)}`);
    card.legacy_config = { db: `mysql://root:${PG_PASSWORD}@localhost/cards` };
    const { persona, warnings } = await importPersona(card);
    // parents before children, siblings in the order of the document
    expect(dropped(warnings)).toEqual([
      `data.alternate_greetings[${card.data.alternate_greetings.length - 1}]`,
      'data.extensions.tools.search.headers.Authorization',
      'data.extensions.chub.webhook',
      'data.character_book.entries[0].extensions.sync.access_token',
      'legacy_config.db',
    ]);
    const text = JSON.stringify(persona);
    for (const secret of [PG_PASSWORD, 'tok-123456789', 'a1B2c3D4e5', 'abcdefghijklmnopqrstuvwxyz_ABCDEF', OPENAI.slice(3)]) expect(text).not.toContain(secret);
    const back = (await exportPersona(persona, { format: 'card-v3' })) as Doc;
    expect(back.data.character_book.entries[0].extensions.sync).toEqual({ endpoint: 'https://example.invalid/sync', token_count: 120 });
    expect(back.data.extensions.tools.search.headers).toEqual({ Accept: 'application/json' });
  });

  it('scans our native JSON too (metadata, providerOptions)', async () => {
    const native = { ...fixture('personas/minimal'), metadata: { team: 'a', integrations: { slack: { botToken: 'xoxb-1234567890-abcdefghij' } } } };
    const { persona, warnings } = await importPersona(JSON.stringify(native), { format: 'native' });
    expect(dropped(warnings)).toEqual(['metadata.integrations.slack.botToken']);
    expect(persona.metadata).toEqual({ team: 'a', integrations: { slack: {} } });
  });

  it('names a key that is itself a credential without spelling it out', async () => {
    const { warnings, persona } = await importPersona({ name: 'K', bio: 'b', settings: { [OPENAI]: true } });
    expect(dropped(warnings)).toEqual(['settings[credential]']);
    expect(JSON.stringify(persona) + warnings.join('')).not.toContain(OPENAI);
  });

  it('knows credential names from ordinary settings that merely contain the words', () => {
    for (const name of [
      'apiKey', 'api_key', 'API-KEY', 'X-Api-Key', 'OPENAI_API_KEY', 'OPENAI_KEY', 'ANTHROPIC_KEY', 'stripeKey', 'secret', 'clientSecret',
      'SECRET_ACCESS_KEY', 'password', 'DB_PASSWORD', 'passwd', 'pwd', 'smtpPass', 'token', 'accessToken', 'refresh_token', 'DISCORD_BOT_TOKEN',
      'bearer', 'Authorization', 'Proxy-Authorization', 'authHeader', 'basicAuth', 'auth', 'privateKey', 'SOLANA_PRIVATE_KEY', 'credentials',
      'cookie', 'Set-Cookie', 'sessionId', 'session_key', 'mnemonic', 'seedPhrase', 'apiKeys', 'secrets', 'jwt', 'KEY2_OPENAI_KEY2',
    ]) expect([name, isCredentialKey(name)]).toEqual([name, true]);
    for (const name of [
      'maxTokens', 'maxOutputTokens', 'MAX_TOKENS', 'max_tokens', 'tokenizer', 'tokenLimit', 'token_count', 'tokens', 'summarizeAtTokens',
      'keywords', 'keyboard', 'monkey', 'key', 'keys', 'secondary_keys', 'sortKey', 'primaryKey', 'SORT_KEY', 'author', 'authority', 'passage',
      'bypass', 'compass', 'tokenType', 'tokenUrl', 'passwordMinLength', 'apiKeyEnv', 'tokenAddress', 'TOKEN_SYMBOL', 'requireAuth', 'oauthScopes',
      'sessionTimeout', 'secretary', 'tokenized', 'model', 'voice', 'temperature', 'name', 'useSecretsManager',
    ]) expect([name, isCredentialKey(name)]).toEqual([name, false]);
  });

  it('takes no field of our own models for a credential', () => {
    const classes = [PersonaConfiguration, PersonaTemplate, PersonaTrait, KnowledgeDomain, BehaviorRule, ResponseStyle, MemoryConfiguration, VoiceConfiguration, PersonaMetrics];
    expect(classes.flatMap((c) => schemaFields(c)).filter(isCredentialKey)).toEqual([]);
  });

  it('knows credentials by their look, and leaves prose and plain URLs alone', () => {
    for (const value of [
      OPENAI, 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345', 'xoxb-123456789012-abcdefghijkl', `ghp_${'x1'.repeat(18)}`, 'AKIAIOSFODNN7EXAMPLE',
      `AIza${'Sy'.repeat(17)}A`, 'Bearer abc123def456ghi789jkl', 'Basic dXNlcjpwYXNzd29yZDEyMzQ=',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', DISCORD,
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----',
      `postgres://user:${PG_PASSWORD}@host/db`, 'https://:token123@example.com', 'Server=db;Database=x;User Id=sa;Password=Passw0rd!;',
      'https://api.example.com/v1?api_key=abcdef123456', '  sk-abcdefghijklmnopqrstuvwxyz  ', 'hf_abcdefghijklmnopqrstuvwxyz0123456',
      'see the console at redis://:p4ssw0rd@cache:6379 for details',
    ]) expect([value, isCredentialValue(value)]).toEqual([value, true]);
    for (const value of [
      'Basic understanding of markets', 'Bearer of bad news', 'Token of appreciation given', 'sk-short', 'https://example.com/path?page=2',
      'postgres://db.internal:5432/app', 'mailto:someone@example.com', 'user@example.com', 'Eldoria is an ancient forest.', '{{char}}: Hi! ;)',
      'A;B;C', 'ssh-rsa AAAAB3NzaC1yc2E public', '-----BEGIN PUBLIC KEY-----', 'https://github.com/ghp_', 'The password is in the vault, she said.',
      'a'.repeat(100_000),
    ]) expect([value.slice(0, 60), isCredentialValue(value)]).toEqual([value.slice(0, 60), false]);
  });

  it('is linear on long hostile text', () => {
    const started = Date.now();
    for (const text of ['a.'.repeat(200_000), '://'.repeat(100_000), '?token'.repeat(50_000), ';x='.repeat(100_000), '-----BEGIN '.repeat(20_000)]) isCredentialValue(text);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps the lossless round trip of the fixtures: nothing in them is taken for a credential but the Eliza secrets', async () => {
    for (const name of ['card-v2-full', 'card-v3-full', 'eliza-v0']) expect(dropped((await importPersona(fixture(`interop/${name}`))).warnings)).toEqual([]);
    expect(dropped((await importPersona(fixture('interop/eliza-v1'))).warnings)).toEqual(['secrets', 'settings.OPENAI_API_KEY', 'settings.secrets', 'settings.discord.botToken']);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: secrets planted at random places of random documents never survive, and nothing else is lost.
// ---------------------------------------------------------------------------------------------

const ORDINARY_KEYS = ['model', 'temperature', 'maxOutputTokens', 'MAX_TOKENS', 'tokenizer', 'tokenLimit', 'token_count', 'keywords', 'keyboard', 'monkey', 'author', 'sortKey', 'mode', 'region', 'depth', 'notes', 'items', 'locale', 'baseUrl', 'tokenType'];
const CREDENTIAL_KEYS = ['apiKey', 'api_key', 'API-KEY', 'OPENAI_API_KEY', 'OPENAI_KEY', 'secret', 'clientSecret', 'password', 'passwd', 'pwd', 'token', 'accessToken', 'bearer', 'Authorization', 'privateKey', 'credentials', 'cookie', 'sessionId'];

const marker = fc.stringMatching(/^[A-Za-z0-9]{24}$/);
/** A planted secret: its key (when it goes into an object), its value, and the distinctive text that must never reappear. */
type Plant = { key?: string; value: unknown; needle: string };
const byName: fc.Arbitrary<Plant> = fc.tuple(fc.constantFrom(...CREDENTIAL_KEYS), marker, fc.boolean()).map(([key, m, nested]) => ({
  key,
  value: nested ? { user: 'u', value: `PLANT${m}` } : `PLANT${m}`,
  needle: `PLANT${m}`,
}));
const byValue: fc.Arbitrary<Plant> = fc
  .tuple(
    fc.constantFrom(
      (m: string) => `sk-${m}`,
      (m: string) => `xoxb-${m}`,
      (m: string) => `ghp_${m}`,
      (m: string) => `AKIA${m.slice(0, 16).toUpperCase()}`,
      (m: string) => `Bearer ${m}9`,
      (m: string) => `eyJ${m}.eyJ${m}.${m}`,
      (m: string) => `-----BEGIN PRIVATE KEY-----\n${m}\n-----END PRIVATE KEY-----`,
      (m: string) => `postgres://app:${m}@db:5432/app`,
    ),
    marker,
  )
  .map(([make, m]) => ({ value: make(m), needle: make(m).includes('AKIA') ? make(m) : m }));
const plantArb = fc.record({ plant: fc.oneof(byName, byValue), where: fc.nat(), inList: fc.boolean(), ordinaryKey: fc.constantFrom(...ORDINARY_KEYS) });

const ordinaryValue = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.boolean(), fc.constantFrom('gpt-4o', 'o200k_base', 'eu-west', 'plain words', 'https://example.invalid/x', ''));
const ordinaryJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, ordinaryValue, tie('object'), tie('list')),
  object: fc.dictionary(fc.constantFrom(...ORDINARY_KEYS), tie('node'), { maxKeys: 4 }),
  list: fc.array(tie('node'), { maxLength: 3 }),
})).node;
const ordinaryObject = fc.dictionary(fc.constantFrom(...ORDINARY_KEYS), ordinaryJson, { minKeys: 1, maxKeys: 4 });

/** Every object and list of `doc` under the free parts `roots`, with their paths (as the warnings spell them). */
function containers(doc: Doc, roots: string[]): { node: any; path: string }[] {
  const out: { node: any; path: string }[] = [];
  const visit = (node: any, path: string) => {
    if (node === null || typeof node !== 'object') return;
    out.push({ node, path });
    if (Array.isArray(node)) node.forEach((v, i) => visit(v, `${path}[${i}]`));
    else for (const [k, v] of Object.entries(node)) visit(v, `${path}.${k}`);
  };
  for (const root of roots) visit(root.split('.').reduce((n: any, k) => n?.[k], doc), root);
  return out;
}

const formats: { format: PersonaFormat; base: () => Doc; roots: string[] }[] = [
  { format: 'card-v2', base: () => fixture('interop/card-v2-full'), roots: ['data.extensions', 'data.character_book.extensions'] },
  { format: 'card-v3', base: () => fixture('interop/card-v3-full'), roots: ['data.extensions', 'data.character_book.entries'] },
  { format: 'eliza', base: () => ({ ...fixture('interop/eliza-v0'), clientConfig: {} }), roots: ['settings', 'clientConfig'] },
  { format: 'native', base: () => ({ ...fixture('personas/minimal'), metadata: {} }), roots: ['metadata'] },
];

describe('planted secrets (property)', () => {
  it.each(formats)('$format: no planted secret reaches the persona, its record or the export; warnings name exactly the planted paths; ordinary settings survive', async ({ format, base, roots }) => {
    await fc.assert(
      fc.asyncProperty(ordinaryObject, fc.array(plantArb, { minLength: 1, maxLength: 6 }), fc.constantFrom('object', 'text', 'png'), async (ordinary, plants, via) => {
        const doc = base();
        const freeRoot = roots[0].split('.').reduce((n: any, k) => n[k], doc);
        Object.assign(freeRoot, ordinary);
        const clean = JSON.parse(JSON.stringify(doc));
        // Plant into the containers of the clean document (never into another plant).
        const places = containers(doc, roots);
        const expectedPaths: string[] = [];
        for (const { plant, where, inList, ordinaryKey } of plants) {
          const { node, path } = places[where % places.length];
          if (Array.isArray(node)) {
            // A list item has no name: only a credential by its look can go there.
            if (plant.key !== undefined || !inList) continue;
            expectedPaths.push(`${path}[${node.length}]`);
            node.push(plant.value);
          } else {
            const key = plant.key ?? `${ordinaryKey}Planted${expectedPaths.length}`;
            if (key in node) continue;
            expectedPaths.push(`${path}.${key}`);
            node[key] = plant.value;
          }
        }
        const needles = plants.map((p) => p.plant.needle);
        const input =
          via === 'object' || (via === 'png' && !format.startsWith('card'))
            ? doc
            : via === 'text'
              ? JSON.stringify(doc)
              : writeTextChunks(BLANK_PNG, { [format === 'card-v3' ? 'ccv3' : 'chara']: Buffer.from(JSON.stringify(doc)).toString('base64') });
        const { persona, warnings } = await importPersona(input as never, { format });
        expect(dropped(warnings).sort()).toEqual([...expectedPaths].sort());
        const stored = JSON.stringify(persona) + JSON.stringify(toPlain(persona)) + warnings.join('\n');
        const exported = await exportPersona(persona, { format, png: format.startsWith('card') ? BLANK_PNG : undefined });
        const exportedText = Buffer.isBuffer(exported)
          ? Buffer.from(readTextChunks(exported).get(format === 'card-v3' ? 'ccv3' : 'chara') as string, 'base64').toString('utf8')
          : JSON.stringify(exported);
        for (const needle of needles.filter((n) => doc && JSON.stringify(doc).includes(n))) {
          expect(stored).not.toContain(needle);
          expect(exportedText).not.toContain(needle);
        }
        // What was not a credential comes back as it was.
        const back = JSON.parse(exportedText);
        if (format === 'native') expect(back.metadata).toEqual(clean.metadata);
        else expect(back).toEqual(clean);
      }),
      { numRuns: 60 },
    );
  });

  it('stripCredentials works in place at any depth, iteratively', () => {
    let deep: any = { apiKey: OPENAI };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    const found = stripCredentials(deep);
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe(`${'next.'.repeat(10_000)}apiKey`);
  });
});
