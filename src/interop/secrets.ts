/**
 * Credentials in imported documents: found by the name of their key or by the look of their
 * value, at any depth, in any format, and removed before anything of the document is kept.
 * See docs/interop.md ("Secrets") for the rules and why they are these.
 */

/**
 * Words that make a key a credential wherever they stand in it (`clientSecret`, `DB_PASSWORD`,
 * `x-auth-token`), unless a word of {@link MEASURES} says the value is about the credential
 * rather than the credential itself (`maxTokens`, `tokenType`, `passwordMinLength`).
 */
const CREDENTIAL_WORDS = new Set([
  'secret', 'secrets', 'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'passcode',
  'token', 'bearer', 'authorization', 'credential', 'credentials', 'cookie', 'cookies',
  'apikey', 'apikeys', 'privatekey', 'secretkey', 'accesskey', 'authtoken', 'jwt', 'mnemonic',
]);

/**
 * Words that make a credential-looking key an ordinary setting: counts, limits, sizes, kinds and
 * places (`maxOutputTokens`, `token_count`, `tokenLimit`, `tokenType`, `tokenUrl`, `apiKeyEnv`).
 */
const MEASURES = new Set([
  'max', 'maximum', 'min', 'minimum', 'limit', 'limits', 'count', 'counts', 'num', 'number', 'size', 'length', 'len',
  'budget', 'threshold', 'total', 'usage', 'used', 'remaining', 'per', 'rate', 'ratio', 'window', 'cost', 'price',
  'estimate', 'estimated', 'target', 'reserve', 'reserved', 'multiplier', 'ttl', 'expiry', 'expires', 'expiration',
  'lifetime', 'type', 'url', 'uri', 'endpoint', 'env', 'path', 'file', 'required', 'enabled', 'disabled', 'mode', 'name',
  // a crypto token's public facts (Eliza's trading characters carry them)
  'address', 'symbol', 'contract', 'decimals', 'mint', 'supply', 'chain', 'network', 'standard',
]);

/**
 * Words before `key` (or `keys`, `token`s) that make it a credential: `apiKey`, `SECRET_ACCESS_KEY`,
 * `OPENAI_KEY`, `stripeKey`. Other `…Key`s are ordinary (`sortKey`, `secondary_keys`), except in
 * an environment-variable name (`ACME_KEY`), where a trailing `KEY` is a credential unless
 * {@link ORDINARY_KEY_QUALIFIERS} says otherwise.
 */
const KEY_QUALIFIERS = new Set([
  'api', 'access', 'refresh', 'auth', 'bot', 'bearer', 'session', 'oauth', 'client', 'secret', 'private', 'personal',
  'app', 'application', 'service', 'account', 'webhook', 'device', 'security', 'signing', 'encryption', 'decryption',
  'master', 'admin', 'root', 'deploy', 'ssh', 'gpg', 'pgp', 'wallet', 'license', 'licence', 'consumer', 'subscription',
  'integration', 'user', 'hmac', 'jwt', 'shared', 'seed',
  // providers whose keys Eliza and similar files carry under their own name
  'openai', 'anthropic', 'claude', 'groq', 'google', 'gemini', 'mistral', 'cohere', 'together', 'replicate', 'huggingface',
  'hf', 'elevenlabs', 'deepgram', 'stripe', 'twilio', 'sendgrid', 'discord', 'telegram', 'twitter', 'slack', 'github',
  'gitlab', 'aws', 'azure', 'gcp', 'supabase', 'pinecone', 'openrouter', 'perplexity', 'xai', 'grok', 'fireworks',
  'deepseek', 'nvidia', 'solana', 'sol', 'evm', 'eth', 'ethereum', 'near', 'sui', 'aptos', 'birdeye', 'alchemy', 'infura',
  'helius', 'tavily', 'serper', 'serpapi', 'brave', 'exa', 'firecrawl', 'fal', 'livekit', 'heurist', 'venice', 'ollama',
]);

/** Words before `KEY` in an environment-variable name that make it ordinary (`SORT_KEY`, `CACHE_KEY`). */
const ORDINARY_KEY_QUALIFIERS = new Set([
  'sort', 'primary', 'foreign', 'cache', 'partition', 'lookup', 'hot', 'shortcut', 'storage', 'unique', 'composite',
  'idempotency', 'routing', 'group', 'dedupe', 'row', 'index', 'map', 'translation', 'i18n', 'locale', 'object',
  'field', 'entry', 'search', 'match', 'trigger', 'activation', 'secondary', 'public', 'music', 'hash', 'shard',
  'event', 'message', 'state', 'list', 'item', 'column', 'table', 'bucket', 'query', 'namespace', 'prefix', 'model',
]);

/** First words that make a key a setting about credentials, not one (`requireAuth`, `useSecretsManager`, `rememberPassword`). */
const FLAG_WORDS = new Set([
  'use', 'uses', 'require', 'requires', 'enable', 'disable', 'is', 'has', 'should', 'allow', 'skip', 'needs', 'no', 'without',
  'show', 'hide', 'mask', 'redact', 'rotate', 'validate', 'verify', 'store', 'remember', 'include', 'exclude', 'strip',
]);

/** Splits a key into lowercase words on camelCase, snake_case, kebab-case, dots and spaces; trailing digits go (`KEY2` is `key`). */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((w) => w.replace(/(?<=[a-z])\d+$/, ''))
    .filter(Boolean);
}

/**
 * True when a key names a credential: `apiKey`, `api_key`, `API-KEY`, `OPENAI_API_KEY`,
 * `OPENAI_KEY`, `clientSecret`, `password`, `pwd`, `accessToken`, `Authorization`, `Cookie`,
 * `privateKey`, `credentials`, `sessionId`, `basicAuth`; not `maxOutputTokens`, `MAX_TOKENS`,
 * `tokenizer`, `tokenLimit`, `token_count`, `keywords`, `keyboard`, `monkey`, `secondary_keys`,
 * `requireAuth`.
 */
export function isCredentialKey(key: string): boolean {
  const words = keyWords(key);
  if (!words.length || FLAG_WORDS.has(words[0]) || words.some((w) => MEASURES.has(w))) return false;
  const envName = /^[A-Z0-9_]+$/.test(key) && /[A-Z]/.test(key);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const before = i > 0 ? words[i - 1] : undefined;
    const last = i === words.length - 1;
    if (CREDENTIAL_WORDS.has(word)) return true;
    if (word === 'key' && before !== undefined && (KEY_QUALIFIERS.has(before) || (envName && last && !ORDINARY_KEY_QUALIFIERS.has(before)))) return true;
    if ((word === 'keys' || word === 'tokens') && before !== undefined && KEY_QUALIFIERS.has(before)) return true;
    if (last && (word === 'auth' || word === 'pass')) return true;
    if (word === 'session' && ['id', 'key', 'cookie', 'string'].includes(words[i + 1] ?? '')) return true;
    if (word === 'seed' && words[i + 1] === 'phrase') return true;
    if (word === 'header' && (before === 'auth' || before === 'authorization')) return true;
  }
  return false;
}

/** Strings that are credentials by their look alone, whatever their key (whole value, trimmed). */
const CREDENTIAL_VALUES: RegExp[] = [
  /^sk-[A-Za-z0-9_-]{20,}$/, // OpenAI, Anthropic (sk-ant-…), DeepSeek, OpenRouter (sk-or-…)
  /^[sr]k_(?:live|test)_[A-Za-z0-9]{10,}$/, // Stripe secret and restricted keys
  /^xox[abposr]-[A-Za-z0-9-]{10,}$/, // Slack tokens
  /^xapp-[A-Za-z0-9-]{10,}$/, // Slack app tokens
  /^(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}$/, // GitHub tokens
  /^github_pat_[A-Za-z0-9_]{20,}$/,
  /^glpat-[A-Za-z0-9_-]{20,}$/, // GitLab
  /^(?:AKIA|ASIA)[A-Z0-9]{16}$/, // AWS access key ids
  /^AIza[0-9A-Za-z_-]{35}$/, // Google API keys
  /^hf_[A-Za-z0-9]{30,}$/, // Hugging Face
  /^gsk_[A-Za-z0-9]{20,}$/, // Groq
  /^xai-[A-Za-z0-9]{20,}$/, // xAI
  /^npm_[A-Za-z0-9]{30,}$/, // npm
  /^SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}$/, // SendGrid
  /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/, // JSON Web Tokens
  /^[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}$/, // Discord bot tokens
  /^\d{8,10}:[A-Za-z0-9_-]{35}$/, // Telegram bot tokens
  /^(?:Bearer|Basic|Token|Bot)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{16,}$/i, // Authorization header values
];

/**
 * Credentials that may sit inside a longer string (the whole string is then left out). Each
 * starts at a rare mark (`-----BEGIN`, `?`, `&`, a webhook's host), so a long text is one pass.
 */
const CREDENTIAL_PARTS: RegExp[] = [
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/, // PEM and PGP private keys
  /[?&](?:password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|api_key|apikey|auth|sig|signature)=[^&#\s]/i, // in query strings
  /https:\/\/(?:\w+\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[\w-]{20,}/, // Discord webhooks
  /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]{20,}/, // Slack webhooks
];

/** The user-info of a URL with a password (`postgres://user:pass@host`, `https://:token@host`). */
const URL_PASSWORD = /^[^\s/?#@:]{0,256}:[^\s/?#@]{1,1024}@/;

/** True when a URL anywhere in `value` carries a password. */
function hasUrlWithPassword(value: string): boolean {
  for (let at = value.indexOf('://'); at >= 0; at = value.indexOf('://', at + 3)) {
    if (URL_PASSWORD.test(value.slice(at + 3, at + 3 + 1300))) return true;
  }
  return false;
}

/** True for a `key=value;` connection string with a password (`Server=db;User Id=sa;Password=…;`). */
function isConnectionStringWithPassword(value: string): boolean {
  if (!value.includes(';') || value.includes('\n')) return false;
  let password = false;
  for (const part of value.split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq < 1) return false;
    const key = part.slice(0, eq).trim().toLowerCase();
    if ((key === 'password' || key === 'pwd') && part.slice(eq + 1).trim()) password = true;
  }
  return password;
}

/** True when a string looks like a credential by itself: an API key, a token, a private key, a URL or connection string with a password. */
export function isCredentialValue(value: string): boolean {
  if (value.length < 8) return false;
  const trimmed = value.length <= 4096 ? value.trim() : '';
  if (trimmed && CREDENTIAL_VALUES.some((re) => re.test(trimmed))) return true;
  return hasUrlWithPassword(value) || isConnectionStringWithPassword(value) || CREDENTIAL_PARTS.some((re) => re.test(value));
}

/** A key as a path segment: `.name`, or `["odd key"]` when it is not a plain identifier. */
function segment(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A path for warnings: `settings.providers[0].apiKey`. */
export function joinSecretPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const s = segment(key);
  return parent ? parent + s : s.startsWith('.') ? s.slice(1) : s;
}

/** One credential left out: where it was, and whether its key's name or its value gave it away. */
export type DroppedCredential = { path: string; by: 'name' | 'value' };

/**
 * Removes every credential from `doc` in place, at any depth: object entries whose key names a
 * credential (unless the value is a boolean or null: a flag such as `requireAuth: true` is not
 * one), strings that look like one (object entries and list items alike; a list closes up), and
 * keys that themselves look like one (their path says `[credential]`, not the key). Iterative;
 * the caller has bounded the depth. Returns what was removed, paths from `root`.
 */
export function stripCredentials(doc: unknown, root = ''): DroppedCredential[] {
  const dropped: DroppedCredential[] = [];
  if (typeof doc === 'string' && isCredentialValue(doc)) return [{ path: root, by: 'value' }];
  type Pending = { node: object; path: string };
  const stack: Pending[] = doc !== null && typeof doc === 'object' ? [{ node: doc, path: root }] : [];
  while (stack.length) {
    const { node, path } = stack.pop() as Pending;
    // Children are pushed in reverse: siblings are looked at in the order of the document.
    const children: Pending[] = [];
    if (Array.isArray(node)) {
      const keep: unknown[] = [];
      node.forEach((item, i) => {
        if (typeof item === 'string' && isCredentialValue(item)) return void dropped.push({ path: joinSecretPath(path, i), by: 'value' });
        keep.push(item);
        if (item !== null && typeof item === 'object') children.push({ node: item, path: joinSecretPath(path, i) });
      });
      if (keep.length !== node.length) node.splice(0, node.length, ...keep);
    } else {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const value = record[key];
        let by: DroppedCredential['by'] | undefined;
        if (isCredentialValue(key)) by = 'value';
        else if (isCredentialKey(key) && value !== null && typeof value !== 'boolean') by = 'name';
        else if (typeof value === 'string' && isCredentialValue(value)) by = 'value';
        if (by) {
          // A key that is itself a credential is not spelled out.
          dropped.push({ path: isCredentialValue(key) ? `${path || '(root)'}[credential]` : joinSecretPath(path, key), by });
          delete record[key];
        } else if (value !== null && typeof value === 'object') children.push({ node: value, path: joinSecretPath(path, key) });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return dropped;
}

/** The warning for one credential left out: its path and why, never its value. */
export function droppedWarning(d: DroppedCredential): string {
  return `left out ${d.path}: ${d.by === 'name' ? 'its name says it is a credential' : 'its value looks like a credential'} (secrets are never imported)`;
}
