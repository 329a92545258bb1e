import { createHash } from 'crypto';
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
import { credentialKind, droppedWarning, isCredentialKey, isCredentialValue, joinSecretPath, looksLikeRandomToken, MAX_NESTED_JSON_LENGTH, stripCredentials } from '../../src/interop/secrets';
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
      'аpiKey', 'ａｐｉＫｅｙ', 'passwort', 'contraseña', 'mot de passe', 'motdepasse', 'parola', 'senha', 'пароль', '密码', 'パスワード', 'recoveryPhrase',
    ]) expect([name, isCredentialKey(name)]).toEqual([name, true]);
    for (const name of [
      'maxTokens', 'maxOutputTokens', 'MAX_TOKENS', 'max_tokens', 'tokenizer', 'tokenLimit', 'token_count', 'tokens', 'summarizeAtTokens',
      'keywords', 'keyboard', 'monkey', 'key', 'keys', 'secondary_keys', 'sortKey', 'primaryKey', 'SORT_KEY', 'author', 'authority', 'passage',
      'bypass', 'compass', 'tokenType', 'tokenUrl', 'passwordMinLength', 'apiKeyEnv', 'tokenAddress', 'TOKEN_SYMBOL', 'requireAuth', 'oauthScopes',
      'sessionTimeout', 'secretary', 'tokenized', 'model', 'voice', 'temperature', 'name', 'useSecretsManager',
      'seed', 'WALLET_SEED', 'OPENAI_API_KEY_NAME', 'SSH_KEY_PATH', 'parolaChiave', 'ключ',
    ]) expect([name, isCredentialKey(name)]).toEqual([name, false]);
    // …of which these are half-names: their value decides ({@link credentialKind} `weak`).
    for (const name of ['key', 'keys', 'seed', 'WALLET_SEED', 'OPENAI_API_KEY_NAME', 'SSH_KEY_PATH', 'tokenLimit', 'apiKeyEnv']) expect([name, credentialKind(name)]).toEqual([name, 'weak']);
    for (const name of ['maxOutputTokens', 'MAX_TOKENS', 'tokenizer', 'keywords', 'sortKey', 'secondary_keys', 'tokenAddress', 'requireAuth', 'author']) expect([name, credentialKind(name)]).toEqual([name, undefined]);
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
// The outside review's leaks: each holds a random secret the scanner used to keep.
// ---------------------------------------------------------------------------------------------

const SECRET = 'Zq7vN3pLw9XtR2mK8sYdF4hJ6cB1aE5g';
const NO_DIGITS = 'abcdefghijklmnopqrstuvwxyzABCDEF';
const GOOGLE = `AIza${'SyA1234567890abcdefghijklmnopqrstu'}`;
const SEED = 'abandon ability able about above absent absorb abstract absurd abuse access accident';

/** An Eliza file holding `extra` at its root (as the review's reproductions build them). */
const eliza = (extra: Doc): Doc => ({ name: 'Eve', bio: ['a bot'], lore: [], messageExamples: [], postExamples: [], topics: [], adjectives: [], style: { all: [], chat: [], post: [] }, ...extra });

/** Imports `doc` (as JSON text, like the review), checks no needle reaches the persona, its record, the warnings or any export, and returns the dropped paths. */
async function importWithout(doc: Doc, needles: string[], format?: PersonaFormat): Promise<{ paths: string[]; warnings: string[]; persona: PersonaConfiguration }> {
  const { persona, warnings } = await importPersona(JSON.stringify(doc), format ? { format } : {});
  const texts = [JSON.stringify(persona), JSON.stringify(toPlain(persona)), warnings.join('\n')];
  for (const f of ['card-v2', 'card-v3', 'eliza', 'native'] as const) texts.push(JSON.stringify(await exportPersona(persona, { format: f })));
  for (const needle of needles) for (const text of texts) expect(text).not.toContain(needle);
  return { paths: dropped(warnings), warnings, persona };
}

describe('the review leaks are closed', () => {
  it('private keys by short names, Sentry DSNs, Telegram bot tokens, key: value lines in a string, wallet keys', async () => {
    const telegram = `123456789:AA${'x1Y2z3'.repeat(5)}abc`; // 35 characters after the colon
    const wallet = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
    const { persona, warnings } = await importPersona(
      eliza({
        settings: {
          privKey: 'S12deadbeef',
          sentry: 'https://S11abc123@o1.ingest.sentry.io/1',
          bot: telegram,
          config: 'api_key: S18supersecret',
          wallet: `0x${wallet}`,
          WALLET_PRIVATE_KEY: wallet,
        },
      }),
    );
    expect(dropped(warnings).sort()).toEqual(['settings.WALLET_PRIVATE_KEY', 'settings.bot', 'settings.config', 'settings.privKey', 'settings.sentry', 'settings.wallet']);
    expect(JSON.stringify(persona)).not.toMatch(/S12|S11|S18|4c0883a6|x1Y2z3/);
    const letta = await importPersona({ agents: [{ name: 'A', agent_type: 'x', block_ids: ['b'] }], blocks: [{ id: 'b', label: 'ops', value: `The bot runs as ${telegram} on the ops channel.` }], tools: [] });
    expect(JSON.stringify(letta.persona)).not.toContain('x1Y2z3');
  });

  it('keeps hex colours, UUIDs, git SHAs, wallet addresses, times, ratios and prose about keys', async () => {
    const settings = {
      color: '#ff00aa',
      accent: '#A0B1C2',
      runId: '123e4567-e89b-12d3-a456-426614174000',
      commit: 'a3f9c2e1b4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9',
      walletAddress: '0x52908400098527886E0F7030069857D2E4169EE7',
      walletName: 'savings',
      time: '12:30:45',
      ratio: '16:9',
      chatId: '-1001234567890',
      note: 'Password: the one she never told',
      help: 'api_key: see the docs',
      flags: 'api_key: required',
      sentryOrg: 'https://sentry.io/organizations/acme/issues/',
      maxOutputTokens: 300,
      tokenizer: 'o200k_base',
      MAX_TOKENS: 4096,
    };
    const { persona, warnings } = await importPersona(eliza({ settings }));
    expect(dropped(warnings)).toEqual([]);
    expect((persona.interop as Doc).remainder.settings).toMatchObject(settings);
  });

  it('name/value pairs: a name, key or header field naming a credential makes its value one', async () => {
    const headers = [
      { name: 'Authorization', value: `Bearer ${NO_DIGITS}` },
      { name: 'X-API-Key', value: SECRET },
      { key: 'OPENAI_API_KEY', value: 'short' },
      { header: 'Cookie', content: 'sid=abc' },
      { name: 'Accept', value: 'application/json' },
    ];
    const { paths, persona } = await importWithout(eliza({ settings: { headers, entries: [['Authorization', `Bearer ${NO_DIGITS}`], ['Accept', 'text/html']] } }), [SECRET, NO_DIGITS, 'sid=abc']);
    expect(paths).toEqual(['settings.headers[0].value', 'settings.headers[1].value', 'settings.headers[2].value', 'settings.headers[3].content', 'settings.entries[0][1]']);
    expect((toPlain(persona) as Doc).interop.remainder.settings).toEqual({
      headers: [{ name: 'Authorization' }, { name: 'X-API-Key' }, { key: 'OPENAI_API_KEY' }, { header: 'Cookie' }, { name: 'Accept', value: 'application/json' }],
      entries: [['Authorization'], ['Accept', 'text/html']],
    });
  });

  it('keeps the prose of a lorebook entry whose name is a credential word, and labels with spaces', async () => {
    const doc = { entries: [{ name: 'Password', content: 'The password to the vault is swordfish, she said.' }, { name: 'The Secret', content: 'Nobody knows.' }, { name: 'Secret Level', value: 3 }] };
    expect(stripCredentials(doc)).toEqual([]);
    expect(stripCredentials({ name: 'The Secret', value: SECRET })).toEqual([{ path: 'value', by: 'pair' }]);
  });

  it('a bare `key` holding a random token, in a provider or anywhere; a bare key with an ordinary value stays', async () => {
    const { paths, persona } = await importWithout(eliza({ settings: { providers: [{ provider: 'openai', key: SECRET }], sort: { key: 'sortKey' }, entry: { key: 'dragon' }, keys: ['dragon', 'castle'] } }), [SECRET]);
    expect(paths).toEqual(['settings.providers[0].key']);
    expect((toPlain(persona) as Doc).interop.remainder.settings).toEqual({ providers: [{ provider: 'openai' }], sort: { key: 'sortKey' }, entry: { key: 'dragon' }, keys: ['dragon', 'castle'] });
    for (const value of ['sortKey', 'dragon', 'shadow beasts', 'sortKeyAscendingOrderByName', 'OPENAI_API_KEY', '/home/bea/.ssh/id_ed25519', '2024-07-18T10:00:00Z', '123456789012345678', 'https://example.invalid/x'])
      expect([value, looksLikeRandomToken(value)]).toEqual([value, false]);
    for (const value of [SECRET, NO_DIGITS.split('').reverse().join('') + 'Q', 'a3f9c2e1b4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9', '123e4567-e89b-12d3-a456-426614174000', 'dXNlcjpwYXNzd29yZGxvbmdlcg=='])
      expect([value, looksLikeRandomToken(value)]).toEqual([value, true]);
  });

  it('nested JSON strings are read (bounded) and dropped whole when they hold a credential, the warning naming both paths', async () => {
    const { paths, warnings } = await importWithout(
      eliza({ settings: { config: JSON.stringify({ apiKey: SECRET }), list: JSON.stringify([1, { deep: JSON.stringify({ token: `t${SECRET}` }) }]), twice: JSON.stringify(JSON.stringify({ password: `p${SECRET}` })), ok: JSON.stringify({ model: 'gpt-4o', maxTokens: 10 }) } }),
      [SECRET],
    );
    expect(paths).toEqual(['settings.config', 'settings.list', 'settings.twice']);
    expect(warnings.find((w) => w.includes('settings.list'))).toContain('(at [1].deep)');
    // Too long to read (over 64 KiB): the names in the text decide.
    const long = JSON.stringify({ pad: 'x'.repeat(MAX_NESTED_JSON_LENGTH), clientSecret: SECRET });
    expect(stripCredentials({ long })).toEqual([{ path: 'long', by: 'nested', inner: ['clientSecret'] }]);
    expect(stripCredentials({ long: JSON.stringify({ pad: 'x'.repeat(MAX_NESTED_JSON_LENGTH), maxTokens: 3, requireAuth: true }) })).toEqual([]);
    // Nested past the limit of levels: read by its names too.
    let deep: string = JSON.stringify({ apiKey: SECRET });
    for (let i = 0; i < 10; i++) deep = JSON.stringify({ inner: deep });
    expect(stripCredentials({ deep }).map((d) => d.path)).toEqual(['deep']);
  });

  it('credentials in URL query strings and inside URLs', async () => {
    const urls = {
      google: `https://generativelanguage.googleapis.com/v1beta/models?key=${GOOGLE}`,
      bareGoogle: `https://example.invalid/v1/${GOOGLE}/x`,
      xApiKey: `https://example.com/hook?x-api-key=${SECRET}`,
      sig: `https://acct.blob.core.windows.net/c/b?sv=2020&sig=${SECRET}`,
      token: `https://example.com/cb#access_token=${SECRET}&state=1`,
      secret: `https://example.com/?a=1&secret=${SECRET}`,
      password: `https://example.com/?password=${SECRET}`,
      apikey: `https://example.com/?apikey=${SECRET}`,
      api_key: `https://example.com/?api_key=${SECRET}`,
      signature: `https://example.com/?signature=${SECRET}`,
      plain: 'https://example.com/path?page=2&sort=asc',
    };
    const { paths } = await importWithout(eliza({ settings: urls }), [SECRET, GOOGLE]);
    expect(paths).toEqual(Object.keys(urls).filter((k) => k !== 'plain').map((k) => `settings.${k}`));
  });

  it('multi-line text: connection strings, env files, header lines, YAML', async () => {
    const texts = {
      dsn: `Host=db;Username=app;Password=${SECRET};\n`,
      split: `Host=db;\nUsername=app;\nPassword=${SECRET};`,
      crlf: `Server=db;Database=x;\r\nPassword=${SECRET};\r\n`,
      azure: `DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${SECRET}==;`,
      env: `# settings\nMODEL=gpt-4o\nexport OPENAI_API_KEY=${SECRET}\n`,
      curl: `curl https://api.example.invalid \\\n  -H "Authorization: Bearer ${NO_DIGITS}"`,
      header: `Accept: text/html\nX-Api-Key: ${SECRET}\n`,
      yaml: `provider:\n  name: openai\n  api_key: "${SECRET}"\n`,
      embedded: `line one\nsk-proj-${SECRET}\nline three`,
    };
    const { paths } = await importWithout(eliza({ settings: texts }), [SECRET, NO_DIGITS]);
    expect(paths).toEqual(Object.keys(texts).map((k) => `settings.${k}`));
    for (const prose of ['Password: swordfish', 'Notes:\nThe password is swordfish.', 'She spoke of a token of love;\nthe password was forgotten.', 'Token: a coin of the realm\nMAX_TOKENS=4096\ntokenizer=o200k_base'])
      expect([prose, isCredentialValue(prose)]).toEqual([prose, false]);
  });

  it('look-alike, full-width and foreign names of credentials', async () => {
    const names = ['аpiKey', 'ａｐｉＫｅｙ', 'раssword', 'ΑΡΙ_ΚΕΥ', 'api\u200bKey', 'passwort', 'Kennwort', 'contraseña', 'mot de passe', 'motdepasse', 'parola', 'senha', 'пароль', 'Пароль', '密码', 'パスワード', 'ﾊﾟｽﾜｰﾄﾞ', '비밀번호', 'hasło'];
    for (const name of names) expect([name, isCredentialKey(name)]).toEqual([name, true]);
    const settings = Object.fromEntries(names.map((n, i) => [n, `${SECRET}${i}`]));
    const { paths } = await importWithout(eliza({ settings }), [SECRET]);
    expect(paths).toEqual(names.map((n) => joinSecretPath('settings', n)));
    for (const name of ['parolaChiave', 'schlüssel', 'ключ', 'модель', 'mot', 'passe', 'tokenizér']) expect([name, isCredentialKey(name)]).toEqual([name, false]);
  });

  it('…KEY_NAME, …KEY_PATH and other half-names: ordinary unless the value itself looks like a credential', async () => {
    const { paths } = await importWithout(
      eliza({ settings: { OPENAI_API_KEY_NAME: SECRET, ANTHROPIC_KEY_NAME: 'ANTHROPIC_API_KEY', SSH_KEY_PATH: '/home/bea/.ssh/id_ed25519', tokenType: 'Bearer', apiKeyEnv: 'OPENAI_API_KEY', tokenUrl: 'https://auth.example.invalid/token', tokenAddress: 'So11111111111111111111111111111111111111112' } }),
      [SECRET],
    );
    expect(paths).toEqual(['settings.OPENAI_API_KEY_NAME']);
    expect(credentialKind('OPENAI_API_KEY_NAME')).toBe('weak');
    expect(credentialKind('tokenAddress')).toBeUndefined();
  });

  it('seed phrases and seeds: BIP-39-shaped phrases and random seeds go, a sampling seed stays', async () => {
    const hex = createHash('sha256').update('seed').digest('hex');
    const { paths, persona } = await importWithout(
      eliza({ settings: { WALLET_SEED: SEED, seed: SEED.split(' ').slice(0, 12).reverse().join(' '), seedPhrase: 'x', mnemonic: `${SEED} ${SEED}`, SOLANA_SEED_HEX: hex, samplingSeed: 42, randomSeed: '12345' } }),
      [SEED, 'accident access abuse', hex],
    );
    expect(paths).toEqual(['settings.WALLET_SEED', 'settings.seed', 'settings.seedPhrase', 'settings.mnemonic', 'settings.SOLANA_SEED_HEX']);
    expect((toPlain(persona) as Doc).interop.remainder.settings).toEqual({ samplingSeed: 42, randomSeed: '12345' });
  });

  it('card-v2 extensions: a nested key and a JSON string are left out on import, and export finds what import finds', async () => {
    const card = fixture('interop/card-v2-full');
    card.data.extensions.myext = { endpoints: [{ url: 'https://x.invalid', key: SECRET }], cfg: JSON.stringify({ token: SECRET }) };
    const { paths, persona } = await importWithout(card, [SECRET]);
    expect(paths).toEqual(['data.extensions.myext.cfg', 'data.extensions.myext.endpoints[0].key']);
    expect((toPlain(persona) as Doc).interop.remainder.data.extensions.myext).toEqual({ endpoints: [{ url: 'https://x.invalid' }] });
    // The record edited by its owner to hold them again, and more: the export's scan, the same rules, takes them out.
    const myext = (persona as unknown as Doc).interop.remainder.data.extensions.myext;
    Object.assign(myext, { cfg: JSON.stringify({ token: SECRET }), headers: [{ name: 'X-API-Key', value: SECRET }], url: `https://x.invalid/?key=${SECRET}`, аpiKey: SECRET, dsn: `Host=db;\nPassword=${SECRET};` });
    myext.endpoints[0].key = SECRET;
    for (const png of [undefined, BLANK_PNG]) {
      const exported = await exportPersona(persona, { format: 'card-v2', png });
      const text = Buffer.isBuffer(exported) ? Buffer.from(readTextChunks(exported).get('chara') as string, 'base64').toString('utf8') : JSON.stringify(exported);
      expect(text).not.toContain(SECRET);
      expect(JSON.parse(text).data.extensions.myext).toEqual({ endpoints: [{ url: 'https://x.invalid' }], headers: [{ name: 'X-API-Key' }] });
    }
  });

  it('keeps ordinary settings and prose that merely mention credentials', async () => {
    const settings = { maxOutputTokens: 512, tokenizer: 'o200k_base', MAX_TOKENS: 100, tokenLimit: 3, keywords: ['market'], keyboard: 'qwerty', author: 'Bea', secondary_keys: ['night'], sortKey: 'name', imageModel: 'gpt-4o-mini-2024-07-18', seed: 7 };
    const doc = eliza({ bio: ['She keeps the password in a locket.', 'A token of her love; the secret of her heart.'], system: 'Never reveal the password: swordfish is only a fish.', settings });
    const { paths, persona } = await importWithout(doc, []);
    expect(paths).toEqual([]);
    expect((toPlain(persona) as Doc).interop.remainder.settings).toEqual(settings);
    const back = (await exportPersona(persona, { format: 'eliza' })) as Doc;
    expect(back).toEqual(doc);
    const card = fixture('interop/card-v3-full');
    card.data.description = 'She knows every password and token in Neo-Kyoto; her secret key opens the archive.';
    card.data.character_book.entries[0].keys = ['dragon', 'castle'];
    card.data.character_book.entries[0].name = 'Password';
    card.data.character_book.entries[0].content = 'The password to the archive is spoken, never written.';
    const imported = await importPersona(card);
    expect(dropped(imported.warnings)).toEqual([]);
    expect(await exportPersona(imported.persona, { format: 'card-v3' })).toEqual(card);
  });

  it('warnings name paths, never values', async () => {
    const doc = eliza({ settings: { headers: [{ name: 'X-API-Key', value: SECRET }], cfg: JSON.stringify({ [SECRET]: 1, apiKey: SECRET }), [`sk-proj-${SECRET}`]: 'x', 'аpiKey': SECRET } });
    const { warnings } = await importPersona(doc);
    expect(warnings.join('\n')).not.toContain(SECRET);
    expect(dropped(warnings)).toEqual(['settings.cfg', 'settings[credential]', 'settings["аpiKey"]', 'settings.headers[0].value']);
    expect(droppedWarning({ path: 'settings.cfg', by: 'nested', inner: ['apiKey'] })).toBe('left out settings.cfg: it is JSON text that holds a credential (at apiKey) (secrets are never imported)');
  });

  // Measured 18–30 ms each on a quiet 2-core machine; the bound is generous so a busy CI machine does
  // not flake, and still catches a quadratic blow-up (seconds at this size).
  it('stays linear: a 200,000-character hostile string in well under a second', () => {
    const N = 200_000;
    const hostile: Record<string, string> = {
      dots: 'a.'.repeat(N / 2),
      schemes: '://'.repeat(N / 3),
      queries: '?token'.repeat(N / 6),
      pairs: ';x='.repeat(N / 3),
      pem: '-----BEGIN '.repeat(N / 11),
      newlines: '\n'.repeat(N),
      assignments: 'a=b\n'.repeat(N / 4),
      credentialNames: Array.from({ length: N / 10 }, (_, i) => `key${i}=b`).join('\n'),
      headerNames: Array.from({ length: N / 10 }, (_, i) => `tok${i}x: v`).join('\n'),
      prefixes: 'sk-'.repeat(N / 3),
      prefixRuns: `sk-${'a'.repeat(N)}`,
      jwt: 'eyJ'.repeat(N / 3),
      discord: `M${'a'.repeat(26)} `.repeat(N / 28),
      telegram: '123456789:'.repeat(N / 10),
      quotes: '"'.repeat(N),
      jsonOpen: `{"${'a'.repeat(N)}`,
      jsonNames: `{${Array.from({ length: N / 8 }, (_, i) => `"k${i}":1`).join(',')}}`,
      authorization: 'Authorization: Bearer '.repeat(N / 22),
      apiKeys: 'api_key='.repeat(N / 8),
      aws: 'AKIA'.repeat(N / 4),
      google: 'AIza'.repeat(N / 4),
      spaces: ' '.repeat(N),
      passwords: '\npassword'.repeat(N / 9),
      nestedLists: '['.repeat(N / 2) + ']'.repeat(N / 2),
      longNames: `${'a'.repeat(127)}\n`.repeat(N / 128),
      backslashes: `{"a${'\\'.repeat(N)}`,
      escapedNames: `{${`"a${'\\'.repeat(100)}":`.repeat(N / 104)}`,
      homoglyphLines: `аpiKey${'а'.repeat(100)}=x\n`.repeat(N / 110),
      seedish: `${'abc '.repeat(N / 4)}`,
    };
    for (const [name, text] of Object.entries(hostile)) {
      let best = Infinity;
      for (let run = 0; run < 3; run++) {
        const started = process.hrtime.bigint();
        stripCredentials({ text });
        best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
      }
      expect([name, best < 1000]).toEqual([name, true]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Property: secrets planted at random places of random documents never survive, and nothing else is lost.
// ---------------------------------------------------------------------------------------------

const ORDINARY_KEYS = ['model', 'temperature', 'maxOutputTokens', 'MAX_TOKENS', 'tokenizer', 'tokenLimit', 'token_count', 'keywords', 'keyboard', 'monkey', 'author', 'sortKey', 'mode', 'region', 'depth', 'notes', 'items', 'locale', 'baseUrl', 'tokenType'];
const CREDENTIAL_KEYS = ['apiKey', 'api_key', 'API-KEY', 'OPENAI_API_KEY', 'OPENAI_KEY', 'secret', 'clientSecret', 'password', 'passwd', 'pwd', 'token', 'accessToken', 'bearer', 'Authorization', 'privateKey', 'credentials', 'cookie', 'sessionId', 'privKey'];

const marker = fc.stringMatching(/^[A-Za-z0-9]{24}$/);
/**
 * A planted secret: its key (when it goes into an object), its value, the distinctive text that
 * must never reappear, what is left of it once its credential is out (`residue`, e.g. the name of
 * a name/value pair; none when all of it goes) and where under it the warning points (`suffix`).
 */
type Plant = { key?: string; value: unknown; needle: string; residue?: unknown; suffix?: string };
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
      (m: string) => `123456789:AA${m}${m.slice(0, 9)}`, // Telegram bot token: 35 characters after the colon
      (m: string) => `https://${m}@o1.ingest.sentry.io/1`, // Sentry DSN
      (m: string) => `notes for the bot\napi_key: ${m}9`, // a key: value line inside a string
    ),
    marker,
  )
  .map(([make, m]) => ({ value: make(m), needle: make(m).includes('AKIA') ? make(m) : m }));

/** A random-looking token made from a marker (whatever the marker, even `AAAA…`): 32 characters of base64url. */
const tokenOf = (m: string) => createHash('sha256').update(m).digest('base64url').slice(0, 32);
/** Letters only, of mixed case: an Authorization value without a digit. */
const lettersOf = (m: string) => createHash('sha256').update(`letters${m}`).digest('hex').replace(/[0-9]/g, '').split('').map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('').padEnd(20, 'xY');
/** A BIP-39-shaped phrase (12 words of 5 lowercase letters) made from a marker. */
const phraseOf = (m: string) => createHash('sha256').update(`phrase${m}`).digest('hex').slice(0, 60).replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)]).match(/.{5}/g)!.join(' ');

const PAIR_HEADERS = ['Authorization', 'Proxy-Authorization', 'X-API-Key', 'x-auth-token', 'OPENAI_API_KEY', 'Cookie', 'api_key', 'аpiKey', 'password'];
/** `{ name: 'X-API-Key', value: … }` (or `key`/`header`), and `[['Authorization', …]]` entries. */
const byPair: fc.Arbitrary<Plant> = fc.tuple(fc.constantFrom(...PAIR_HEADERS), fc.constantFrom('name', 'key', 'header'), marker, fc.boolean(), fc.boolean()).map(([header, field, m, bearer, tuple]) => {
  const secret = bearer ? `Bearer ${lettersOf(m)}` : `PLANT${m}`;
  const needle = bearer ? lettersOf(m) : `PLANT${m}`;
  return tuple
    ? { value: [[header, secret]], residue: [[header]], suffix: '[0][1]', needle }
    : { value: { [field]: header, value: secret }, residue: { [field]: header }, suffix: '.value', needle };
});
/** JSON text holding a credential, once or twice nested. */
const byNestedJson: fc.Arbitrary<Plant> = fc.tuple(fc.constantFrom(...CREDENTIAL_KEYS), marker, fc.constantFrom(0, 1, 2)).map(([key, m, shape]) => {
  const inner = { mode: 'x', [key]: `PLANT${m}` };
  const value = shape === 0 ? JSON.stringify(inner) : shape === 1 ? JSON.stringify([1, inner]) : JSON.stringify({ cfg: JSON.stringify(inner) });
  return { value, needle: `PLANT${m}` };
});
const QUERY_PARAMS = ['key', 'x-api-key', 'apikey', 'api_key', 'access_token', 'token', 'sig', 'signature', 'secret', 'password'];
/** A credential in a URL's query string, or a Google key inside a URL. */
const byUrl: fc.Arbitrary<Plant> = fc.tuple(fc.constantFrom(...QUERY_PARAMS, 'google'), marker).map(([param, m]) =>
  param === 'google'
    ? { value: `https://generativelanguage.googleapis.com/v1beta/models/AIza${tokenOf(m)}abc/x`, needle: tokenOf(m) }
    : { value: `https://api.example.invalid/v1/models?alt=json&${param}=PLANT${m}`, needle: `PLANT${m}` },
);
/** A connection string or env text over several lines. */
const byConnection: fc.Arbitrary<Plant> = fc
  .tuple(
    fc.constantFrom(
      (s: string) => `Host=db;Username=app;Password=${s};\n`,
      (s: string) => `Host=db;\nUsername=app;\nPassword=${s};\n`,
      (s: string) => `Server=db;Database=x;\r\nUser Id=sa;Pwd=${s};\r\n`,
      (s: string) => `# env\nMODEL=gpt-4o\nDB_PASSWORD=${s}\n`,
    ),
    marker,
  )
  .map(([make, m]) => ({ value: make(`PLANT${m}`), needle: `PLANT${m}` }));
const LOOKALIKE_KEYS = ['аpiKey', 'ａｐｉＫｅｙ', 'раssword', 'ΑΡΙ_ΚΕΥ', 'Ｔｏｋｅｎ', 'passwort', 'contraseña', 'mot de passe', 'motdepasse', 'parola', 'senha', 'пароль', '密码', 'パスワード'];
/** Keys that imitate credential names, or name them in another language. */
const byLookalike: fc.Arbitrary<Plant> = fc.tuple(fc.constantFrom(...LOOKALIKE_KEYS), marker).map(([key, m]) => ({ key, value: `PLANT${m}`, needle: `PLANT${m}` }));
/** Half-names whose value decides: a random token under `key` or `…_KEY_NAME`, a seed phrase under `WALLET_SEED`. */
const byShape: fc.Arbitrary<Plant> = fc.tuple(fc.constantFrom('key', 'OPENAI_API_KEY_NAME', 'WALLET_SEED', 'seed', 'wallet'), marker).map(([key, m]) => {
  const value = key.toLowerCase().includes('seed') ? phraseOf(m) : key === 'wallet' ? `0x${createHash('sha256').update(m).digest('hex')}` : tokenOf(m);
  return { key, value, needle: value };
});

const plantArb = fc.record({
  plant: fc.oneof(byName, byValue, byPair, byNestedJson, byUrl, byConnection, byLookalike, byShape),
  where: fc.nat(),
  inList: fc.boolean(),
  ordinaryKey: fc.constantFrom(...ORDINARY_KEYS),
});

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
  it.each(formats)('$format: no planted secret (by name, by look, in name/value pairs, nested JSON, URLs, multi-line text, look-alike keys, by shape) reaches the persona, its record or any export; warnings name exactly the planted paths; ordinary settings survive', async ({ format, base, roots }) => {
    await fc.assert(
      fc.asyncProperty(ordinaryObject, fc.array(plantArb, { minLength: 1, maxLength: 6 }), fc.constantFrom('object', 'text', 'png'), async (ordinary, plants, via) => {
        const doc = base();
        const freeRoot = roots[0].split('.').reduce((n: any, k) => n[k], doc);
        Object.assign(freeRoot, ordinary);
        // What must come back: the document as it was, with what is left of each plant.
        const clean = JSON.parse(JSON.stringify(doc));
        // Plant into the containers of the clean document (never into another plant), and the residues into its twin.
        const places = containers(doc, roots);
        const twins = containers(clean, roots);
        const expectedPaths: string[] = [];
        const planted: string[] = [];
        for (const { plant, where, inList, ordinaryKey } of plants) {
          const at = where % places.length;
          const { node, path } = places[at];
          const twin = twins[at].node;
          const copy = () => JSON.parse(JSON.stringify(plant.value));
          if (Array.isArray(node)) {
            // A list item has no name: only a credential by its look, or a pair, can go there;
            // a pair's residue only where a card allows any item (its extensions).
            if (plant.key !== undefined || !inList) continue;
            if (plant.residue !== undefined && format.startsWith('card') && !path.includes('extensions')) continue;
            expectedPaths.push(`${path}[${node.length}]${plant.suffix ?? ''}`);
            node.push(copy());
            if (plant.residue !== undefined) twin.push(plant.residue);
          } else {
            const key = plant.key ?? `${ordinaryKey}Planted${expectedPaths.length}`;
            if (key in node) continue;
            expectedPaths.push(`${joinSecretPath(path, key)}${plant.suffix ?? ''}`);
            node[key] = copy();
            if (plant.residue !== undefined) twin[key] = plant.residue;
          }
          planted.push(plant.needle);
        }
        const input =
          via === 'object' || (via === 'png' && !format.startsWith('card'))
            ? doc
            : via === 'text'
              ? JSON.stringify(doc)
              : writeTextChunks(BLANK_PNG, { [format === 'card-v3' ? 'ccv3' : 'chara']: Buffer.from(JSON.stringify(doc)).toString('base64') });
        const { persona, warnings } = await importPersona(input as never, { format });
        // Warnings name exactly the planted paths, and never a planted value.
        expect(dropped(warnings).sort()).toEqual([...expectedPaths].sort());
        const stored = JSON.stringify(persona) + JSON.stringify(toPlain(persona)) + warnings.join('\n');
        const exportText = async (f: PersonaFormat, png?: Buffer) => {
          const out = await exportPersona(persona, { format: f, png });
          return Buffer.isBuffer(out) ? Buffer.from(readTextChunks(out).get(f === 'card-v3' ? 'ccv3' : 'chara') as string, 'base64').toString('utf8') : JSON.stringify(out);
        };
        const exportedText = await exportText(format, format.startsWith('card') ? BLANK_PNG : undefined);
        // Every export, in every format, is free of them too.
        const others = await Promise.all((['card-v2', 'card-v3', 'eliza', 'native'] as const).filter((f) => f !== format).map((f) => exportText(f)));
        for (const needle of planted) {
          expect(JSON.stringify(doc)).toContain(needle.replace(/\n/g, '\\n'));
          expect(stored).not.toContain(needle);
          expect(exportedText).not.toContain(needle);
          for (const text of others) expect(text).not.toContain(needle);
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
