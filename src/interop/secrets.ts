/**
 * Credentials in imported documents: found by the name of their key (compared after NFKC and a
 * fold of look-alike letters), by the name beside them in a name/value pair, by the look of their
 * value (inside URLs and multi-line text too), or inside strings of JSON, at any depth, in any
 * format, and removed before anything of the document is kept. Every check is linear in the
 * length of what it reads. See docs/interop.md ("Secrets") and docs/security.md ("Imports never
 * store credentials") for the rules.
 */

/**
 * Words that make a key a credential wherever they stand in it (`clientSecret`, `DB_PASSWORD`,
 * `x-auth-token`, `passwort`), unless a word of {@link MEASURES} says the value is about the
 * credential rather than the credential itself (`tokenType`, `passwordMinLength`).
 */
const CREDENTIAL_WORDS = new Set([
  'secret', 'secrets', 'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'passcode',
  'token', 'bearer', 'authorization', 'credential', 'credentials', 'cookie', 'cookies',
  'apikey', 'apikeys', 'privatekey', 'privkey', 'secretkey', 'accesskey', 'authtoken', 'jwt', 'mnemonic',
  // the same in other languages (after accents are taken off: `contraseña` is `contrasena`)
  'passwort', 'kennwort', 'contrasena', 'contrasenya', 'senha', 'wachtwoord', 'haslo', 'losenord', 'passord', 'salasana',
  'jelszo', 'sifre', 'motdepasse', 'parola',
]);

/** Credential words in scripts without Latin letters, found anywhere in a key (`пароль`, `密码`, `パスワード`). */
const OTHER_SCRIPT_WORDS = ['парол', 'лозинк', '密码', '密碼', '口令', 'パスワード', '비밀번호', 'κωδικ', 'סיסמ', 'كلمة المرور', 'كلمة السر'];

/** Measures that are a crypto token's public facts: with them, a key is never a credential, whatever its value. */
const PUBLIC_FACTS = new Set(['address', 'symbol', 'contract', 'decimals', 'mint', 'supply', 'chain', 'network', 'standard']);

/**
 * Words that make a credential-looking key a setting about the credential: counts, limits, sizes,
 * kinds and places (`token_count`, `tokenLimit`, `tokenType`, `tokenUrl`, `apiKeyEnv`,
 * `OPENAI_API_KEY_NAME`). Such a key is `weak` ({@link credentialKind}): its value is left out only
 * when it is itself shaped like a credential (a random token, a seed phrase).
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
  'integration', 'user', 'hmac', 'jwt', 'shared', 'seed', 'recovery', 'priv', 'pk', 'dsn',
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

/**
 * Letters of other scripts that imitate Latin ones (`аpiKey` with a Cyrillic а, `раsswоrd`), and
 * Latin letters that lose no accent to NFD (`hasło`), folded to the Latin letter they imitate.
 */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', г: 'r', е: 'e', к: 'k', м: 'm', н: 'h', о: 'o', п: 'n', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ь: 'b',
  і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h', ӏ: 'l', ѡ: 'w',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X', І: 'I', Ј: 'J', Ѕ: 'S',
  // Greek
  α: 'a', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', ϲ: 'c',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  // Latin letters without a decomposition
  ı: 'i', ł: 'l', Ł: 'L', ø: 'o', Ø: 'O', đ: 'd', Đ: 'D', ħ: 'h', ɑ: 'a', ɡ: 'g', ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE',
};
const CONFUSABLE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'g');
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * A key as its Latin look-alike: NFKC (full-width `ａｐｉＫｅｙ` is `apiKey`), accents and
 * invisible format characters taken off (`contraseña` is `contrasena`, `api\u200bKey` is
 * `apiKey`), and the look-alike letters of {@link CONFUSABLES} folded.
 */
export function normaliseKey(key: string): string {
  if (PRINTABLE_ASCII.test(key)) return key;
  return key
    .normalize('NFKC')
    .normalize('NFD')
    .replace(/[\p{M}\p{Cf}]/gu, '')
    .replace(CONFUSABLE, (c) => CONFUSABLES[c]);
}

/** Splits a key into lowercase words on camelCase, snake_case, kebab-case, dots and spaces; trailing digits go (`KEY2` is `key`). Look-alike letters count as the Latin ones ({@link normaliseKey}). */
export function keyWords(key: string): string[] {
  return splitWords(normaliseKey(key));
}

/** 0 other, 1 lowercase, 2 uppercase, 3 digit (ASCII). */
function charKind(c: number): number {
  return c >= 97 && c <= 122 ? 1 : c >= 65 && c <= 90 ? 2 : c >= 48 && c <= 57 ? 3 : 0;
}

/**
 * The words of a key, in one pass: a word ends at any character but an ASCII letter or digit,
 * before an uppercase letter that follows a lowercase one or a digit (`apiKey`), and before the
 * last of a run of uppercase letters followed by a lowercase one (`XMLHttp`); lowercased, with
 * digits right after letters taken off the end.
 */
function splitWords(key: string): string[] {
  const words: string[] = [];
  let start = -1;
  const push = (end: number) => {
    if (start < 0) return;
    let w = key.slice(start, end).toLowerCase();
    let e = w.length;
    while (e > 0 && charKind(w.charCodeAt(e - 1)) === 3) e--;
    if (e > 0 && e < w.length && charKind(w.charCodeAt(e - 1)) === 1) w = w.slice(0, e);
    words.push(w);
    start = -1;
  };
  for (let i = 0; i < key.length; i++) {
    const kind = charKind(key.charCodeAt(i));
    if (kind === 0) push(i);
    else if (start < 0) start = i;
    else {
      const prev = charKind(key.charCodeAt(i - 1));
      if (kind === 2 && (prev === 1 || prev === 3)) {
        push(i);
        start = i;
      } else if (kind === 1 && prev === 2 && i - 1 > start && charKind(key.charCodeAt(i - 2)) === 2) {
        push(i - 1);
        start = i - 1;
      }
    }
  }
  push(key.length);
  return words;
}

/** True when the words of a key name a credential (before measures are looked at). */
function namesCredential(words: string[], envName: boolean): boolean {
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const before = i > 0 ? words[i - 1] : undefined;
    const next = words[i + 1];
    const last = i === words.length - 1;
    if (word === 'parola' && next === 'chiave') continue; // Italian for keyword
    if (CREDENTIAL_WORDS.has(word)) return true;
    if (word === 'key' && before !== undefined && (KEY_QUALIFIERS.has(before) || (envName && last && !ORDINARY_KEY_QUALIFIERS.has(before)))) return true;
    if ((word === 'keys' || word === 'tokens') && before !== undefined && KEY_QUALIFIERS.has(before)) return true;
    if (last && (word === 'auth' || word === 'pass')) return true;
    if (word === 'session' && ['id', 'key', 'cookie', 'string'].includes(next ?? '')) return true;
    if ((word === 'seed' || word === 'recovery') && (next === 'phrase' || next === 'words')) return true;
    if (word === 'header' && (before === 'auth' || before === 'authorization')) return true;
    if (word === 'mot' && next === 'de' && words[i + 2] === 'passe') return true;
  }
  return false;
}

/**
 * How a key marks its value: `name`, a credential whatever its value (`apiKey`, `password`,
 * `пароль`); `weak`, a credential only when its value looks like one by its shape, a random
 * token or a BIP-39 phrase (`OPENAI_API_KEY_NAME`, `tokenLimit`, a bare `key`, `WALLET_SEED`,
 * `seed`); undefined, an ordinary key (`maxOutputTokens`, `tokenizer`, `sortKey`, a crypto
 * token's `tokenAddress`, a flag such as `requireAuth`).
 */
export function credentialKind(key: string): 'name' | 'weak' | undefined {
  if (!PRINTABLE_ASCII.test(key)) {
    const lower = key.normalize('NFKC').toLowerCase();
    if (OTHER_SCRIPT_WORDS.some((w) => lower.includes(w))) return 'name';
  }
  const normal = normaliseKey(key);
  const words = splitWords(normal);
  if (!words.length || FLAG_WORDS.has(words[0])) return undefined;
  const envName = /^[A-Z0-9_]+$/.test(normal) && /[A-Z]/.test(normal);
  if (namesCredential(words, envName)) {
    const measures = words.filter((w) => MEASURES.has(w));
    if (!measures.length) return 'name';
    return measures.some((w) => PUBLIC_FACTS.has(w)) ? undefined : 'weak';
  }
  if (words.length === 1 && (words[0] === 'key' || words[0] === 'keys')) return 'weak';
  if (words.includes('seed')) return 'weak';
  // A wallet's value is a credential when it is shaped like one (a 64-hex private key), never its public address.
  if (words.includes('wallet') && !words.some((w) => PUBLIC_FACTS.has(w) || w === 'id' || w === 'name')) return 'weak';
  return undefined;
}

/**
 * True when a key names a credential: `apiKey`, `api_key`, `API-KEY`, `OPENAI_API_KEY`,
 * `OPENAI_KEY`, `clientSecret`, `password`, `pwd`, `accessToken`, `Authorization`, `Cookie`,
 * `privateKey`, `credentials`, `sessionId`, `basicAuth`, `passwort`, `contraseña`, `пароль`,
 * `密码`, `аpiKey` (Cyrillic а), `ａｐｉＫｅｙ`; not `maxOutputTokens`, `MAX_TOKENS`,
 * `tokenizer`, `tokenLimit`, `token_count`, `keywords`, `keyboard`, `monkey`, `secondary_keys`,
 * `requireAuth` (nor the `weak` keys of {@link credentialKind}, whose values decide).
 */
export function isCredentialKey(key: string): boolean {
  return credentialKind(key) === 'name';
}

/** Bits per character of `s` by its own letter frequencies. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

/**
 * True for a string shaped like a random token: 16–4,096 characters of a token alphabet, no
 * spaces, letters mixed with digits (or upper and lower case well mixed, not camelCase words),
 * varied enough (`Zq7vN3pLw9XtR2mK8sYdF4hJ6cB1aE5g`, a hex digest, a UUID); not a word, an
 * identifier such as `sortKeyAscending` or `OPENAI_API_KEY`, a path, a URL or a number.
 */
export function looksLikeRandomToken(value: string): boolean {
  if (value.length < 16 || value.length > 4096) return false;
  const s = value.trim();
  if (s.length < 16 || !/^[A-Za-z0-9+/=_.~-]+$/.test(s) || /^(?:\.{0,2}\/|~\/)/.test(s)) return false;
  let digits = 0;
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
  }
  if (upper + lower < 4) return false;
  if (!digits && !(upper >= s.length * 0.2 && lower >= s.length * 0.2)) return false;
  return entropy(s) >= 3;
}

/** True for a BIP-39-shaped phrase: 12, 15, 18, 21 or 24 words of 3–8 lowercase letters. */
export function isSeedPhrase(value: string): boolean {
  if (value.length < 47 || value.length > 400) return false;
  const words = value.trim().split(/\s+/);
  return [12, 15, 18, 21, 24].includes(words.length) && words.every((w) => /^[a-z]{3,8}$/.test(w));
}

/** What a `weak` key's value must look like to be a credential. */
function isWeakSecret(value: string): boolean {
  return looksLikeRandomToken(value) || isSeedPhrase(value);
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
  /^AIza[0-9A-Za-z_-]{30,}$/, // Google API keys
  /^hf_[A-Za-z0-9]{30,}$/, // Hugging Face
  /^gsk_[A-Za-z0-9]{20,}$/, // Groq
  /^xai-[A-Za-z0-9]{20,}$/, // xAI
  /^npm_[A-Za-z0-9]{30,}$/, // npm
  /^SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}$/, // SendGrid
  /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/, // JSON Web Tokens
  /^[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}$/, // Discord bot tokens
  /^\d{6,12}:(?=[\w-]{0,64}[A-Za-z])[A-Za-z0-9_-]{30,64}$/, // Telegram bot tokens (35 characters after the colon today)
  /^https?:\/\/[0-9A-Za-z]{6,64}(?::[0-9A-Za-z]{6,64})?@[\w.-]*\bsentry\.io\b/, // Sentry DSNs (the key is the user-info)
];

/** An Authorization header's value: a scheme and a token with a digit or of random shape (`Bearer abc123…`, not `Bearer of bad news`). */
const AUTHORIZATION_VALUE = /^(?:Bearer|Basic|Token|Bot|Digest)\s+([A-Za-z0-9._~+/=-]{16,})$/i;

/**
 * Credentials that may sit inside a longer string, a URL or a multi-line text (the whole string
 * is then left out). Each starts at a rare mark (a provider's prefix after a non-token character,
 * `-----BEGIN`, `?`, `&`, `;`, a webhook's host, `Authorization`), and every repetition is
 * bounded or stops at the end of its token, so a long text is one pass.
 */
const CREDENTIAL_PARTS: RegExp[] = [
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/, // PEM and PGP private keys
  // in query strings and fragments (`…/models?key=AIza…`, `#access_token=…`)
  /[?&#](?:password|passwd|pwd|pass|secret|client_secret|token|access_token|refresh_token|id_token|auth|auth_token|private_token|api_key|apikey|api-key|x-api-key|key|sig|signature|sessionid|jwt|x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature|x-goog-credential)=[^&#\s]/i,
  // in connection strings, on any line (`Host=db;Password=…;`, Azure's `AccountKey=…`)
  /(?:^|;)[ \t]*(?:user ?)?(?:password|passwd|pwd|account ?key|shared ?access ?key|shared ?access ?signature|client ?secret)[ \t]*=[ \t]*[^;\s]/im,
  /https:\/\/(?:\w+\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[\w-]{20,}/, // Discord webhooks
  /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]{20,}/, // Slack webhooks
  // provider keys inside text or a URL (a digit required where the prefix could start a word)
  /(?<![\w-])sk-(?=[\w-]{0,256}\d)[\w-]{20,}/,
  /(?<![\w-])[sr]k_(?:live|test)_[A-Za-z0-9]{10,}/,
  /(?<![\w-])xox[abposr]-(?=[\w-]{0,256}\d)[A-Za-z0-9-]{10,}/,
  /(?<![\w-])xapp-(?=[\w-]{0,256}\d)[A-Za-z0-9-]{10,}/,
  /(?<![\w-])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/,
  /(?<![\w-])github_pat_\w{20,}/,
  /(?<![\w-])glpat-[\w-]{20,}/,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/,
  /(?<![\w-])AIza[\w-]{30,}/,
  /(?<![\w-])hf_(?=\w{0,256}\d)[A-Za-z0-9]{30,}/,
  /(?<![\w-])gsk_[A-Za-z0-9]{20,}/,
  /(?<![\w-])xai-(?=\w{0,256}\d)[A-Za-z0-9]{20,}/,
  /(?<![\w-])npm_[A-Za-z0-9]{30,}/,
  /(?<![\w-])SG\.[\w-]{16,}\.[\w-]{16,}/,
  /(?<![\w-])eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/,
  /(?<![\w.-])[MNO][\w-]{23,27}\.[\w-]{6,7}\.[\w-]{27,40}(?![\w-])/,
  /(?<![\w:])\d{6,12}:(?=[\w-]{0,64}[A-Za-z])[\w-]{30,64}(?![\w-])/,
  /\bhttps?:\/\/[0-9A-Za-z]{6,64}(?::[0-9A-Za-z]{6,64})?@[\w.-]{0,128}\bsentry\.io\b/, // Sentry DSNs in a text
  // headers written out in a text (`-H "Authorization: Bearer …"`, `x-api-key: …`)
  /\b(?:Proxy-)?Authorization["']?[ \t]*[:=][ \t]*["']?(?:Bearer|Basic|Token|Bot|Digest)[ \t]+[\w.~+/=-]{12,}/i,
];

/** `x-api-key: …`, `api_key = "…"` written out in a text; the token (to the end of its run, so matches never overlap) must hold a digit. */
const API_KEY_IN_TEXT = /\b(?:X-)?Api[-_]?Key["']?[ \t]*[:=][ \t]*["']?([\w.~+/=-]{16,})/gi;

function hasApiKeyInText(value: string): boolean {
  API_KEY_IN_TEXT.lastIndex = 0;
  for (let m = API_KEY_IN_TEXT.exec(value); m; m = API_KEY_IN_TEXT.exec(value)) if (/\d/.test(m[1])) return true;
  return false;
}

/** The user-info of a URL with a password (`postgres://user:pass@host`, `https://:token@host`). */
const URL_PASSWORD = /^[^\s/?#@:]{0,256}:[^\s/?#@]{1,1024}@/;

/** True when a URL anywhere in `value` carries a password. */
function hasUrlWithPassword(value: string): boolean {
  for (let at = value.indexOf('://'); at >= 0; at = value.indexOf('://', at + 3)) {
    if (URL_PASSWORD.test(value.slice(at + 3, at + 3 + 1300))) return true;
  }
  return false;
}

/** A line that sets a name (`OPENAI_API_KEY=…`, `export TOKEN=…`, `X-Api-Key: …`, `api_key: "…"`). */
const ASSIGNMENT_LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][\w.-]{0,127})[ \t]*([=:])[ \t]*(\S[^\r\n]*)$/gm;

/** A superset of the ASCII names {@link credentialKind} marks: the others need not be looked at. */
const MAYBE_CREDENTIAL_NAME = /secret|pass|pwd|token|bearer|auth|credential|cookie|key|jwt|mnemonic|seed|session|kennwort|contrase|senha|wachtwoord|haslo|losenord|salasana|jelszo|sifre|parola/i;

/** {@link credentialKind} of names met in a text, remembered for the one text. */
function nameKind(name: string, seen: Map<string, ReturnType<typeof credentialKind>>): ReturnType<typeof credentialKind> {
  if (PRINTABLE_ASCII.test(name) && !MAYBE_CREDENTIAL_NAME.test(name)) return undefined;
  if (!seen.has(name)) seen.set(name, credentialKind(name));
  return seen.get(name);
}

const unquote = (s: string) => s.trim().replace(/^(["'])(.*)\1[,;]?$/, '$2');

/**
 * True when a line of `value` gives a credential a value: `NAME=value` where the name is a
 * credential (`DB_PASSWORD=…`, `export OPENAI_API_KEY=…`); a header line with a credential
 * name (`X-Api-Key: …`, `Authorization: …`); `name: value` where the value is a random token.
 * Prose (`Password: the one she never told`) is not such a line.
 */
function hasCredentialLine(value: string): boolean {
  if (!value.includes('=') && !value.includes(':')) return false;
  const seen = new Map<string, ReturnType<typeof credentialKind>>();
  ASSIGNMENT_LINE.lastIndex = 0;
  for (let m = ASSIGNMENT_LINE.exec(value); m; m = ASSIGNMENT_LINE.exec(value)) {
    const [, name, sep, rest] = m;
    const kind = nameKind(name, seen);
    if (!kind) continue;
    const bare = unquote(rest);
    if (isWeakSecret(bare)) return true;
    if (kind !== 'name' || /^(?:true|false|null|yes|no|on|off|none|\{\}|\[\])$/i.test(bare)) continue;
    if (sep === '=' || name.includes('-') || /^(?:authorization|cookie)$/i.test(name)) return true;
    // `api_key: S18supersecret`: one token with a digit or a sign, or quoted, is a value; a word or prose is not.
    if (/^\S{6,}$/.test(bare) && (/[^A-Za-z]/.test(bare) || bare !== rest.trim())) return true;
  }
  return false;
}

/** True when a string looks like a credential by itself: an API key, a token, a private key, a URL or connection string with a password, a line that sets one. Linear in the length of the string. */
export function isCredentialValue(value: string): boolean {
  if (value.length < 8) return false;
  if (value.length <= 4096) {
    const trimmed = value.trim();
    if (CREDENTIAL_VALUES.some((re) => re.test(trimmed))) return true;
    const auth = AUTHORIZATION_VALUE.exec(trimmed);
    if (auth && (/\d/.test(auth[1]) || looksLikeRandomToken(auth[1]))) return true;
  }
  return CREDENTIAL_PARTS.some((re) => re.test(value)) || hasApiKeyInText(value) || hasUrlWithPassword(value) || hasCredentialLine(value);
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

/**
 * One credential left out: where it was, and what gave it away: its key's name (`name`), its
 * value (`value`), its key's name and the shape of its value together (`shape`), the name beside
 * it in a name/value pair (`pair`), or a credential inside it, a string of JSON (`nested`, with
 * where in that JSON, at most three paths).
 */
export type DroppedCredential = { path: string; by: 'name' | 'value' | 'shape' | 'pair' | 'nested'; inner?: string[] };

/** Strings of JSON are read (to look inside them) up to this length… */
export const MAX_NESTED_JSON_LENGTH = 64 * 1024;
/** …and this many strings deep (JSON in a string in JSON in a string …). */
export const MAX_NESTED_JSON_LEVELS = 4;

/** Fields that name the entry of a name/value pair (`{ name: 'X-API-Key', value: … }`), and the fields that then hold the value. */
const PAIR_NAMES = new Set(['name', 'key', 'header', 'headername', 'field', 'fieldname', 'param', 'parameter', 'paramname', 'variable', 'var', 'varname', 'env', 'envvar', 'envname', 'setting', 'option', 'property', 'prop']);
const PAIR_VALUES = new Set(['value', 'val', 'default', 'defaultvalue']);
/** Fields that may hold prose (a lorebook entry's `content`): a credential only when they hold no prose. */
const PAIR_TEXTS = new Set(['content', 'text', 'data']);
const pairField = (key: string) => key.toLowerCase().replace(/[-_ ]/g, '');
/** One token, or an Authorization scheme and a token (`Bearer abc…`): no prose. */
const NOT_PROSE = /^\s*(?:(?:Bearer|Basic|Token|Bot|Digest)\s+)?\S+\s*$/i;

/** A JSON object, list or string written as a string: what it holds, or undefined. */
function parseJsonText(value: string): unknown {
  const first = value.match(/^\s*(\S)/)?.[1];
  if (first !== '{' && first !== '[' && first !== '"') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && (typeof parsed === 'object' || typeof parsed === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A quoted name followed by a colon in JSON text (`"apiKey":`, or `\"apiKey\":` in JSON text
 * within JSON text), and the start of its value: a string (read when it holds no escapes), or
 * `t`, `f`, `n` of `true`, `false`, `null`. For JSON too long or too deep to read.
 */
const JSON_NAME = /"((?:[^"\\\r\n]|\\u[0-9a-fA-F]{4}){1,128})\\*"\s*:\s*(?:\\*"([^"\\\r\n]{0,4096})\\*"|(\\*")|([tfn])|.)/g;

/** Paths in `value` (JSON text not read) of names that mark a credential; a weak name counts unless its value is a plain string of ordinary shape. */
function credentialNamesInJsonText(value: string): string[] {
  const seen = new Map<string, ReturnType<typeof credentialKind>>();
  const found: string[] = [];
  JSON_NAME.lastIndex = 0;
  for (let m = JSON_NAME.exec(value); m && found.length < 3; m = JSON_NAME.exec(value)) {
    const [, raw, plain, escaped, flag] = m;
    let name = raw;
    if (name.includes('\\')) {
      try {
        name = JSON.parse(`"${name}"`) as string;
      } catch {
        continue;
      }
    }
    const kind = nameKind(name, seen);
    const marked = kind === 'name' ? !flag : kind === 'weak' && (escaped !== undefined || (plain !== undefined && isWeakSecret(plain)));
    if (marked) found.push(joinSecretPath('', name));
  }
  return found;
}

/** Why a string is left out, if it is: it looks like a credential, or it is JSON that holds one. */
function stringVerdict(value: string, level: number): Omit<DroppedCredential, 'path'> | undefined {
  if (isCredentialValue(value)) return { by: 'value' };
  if (value.length < 8 || !/^\s*["[{]/.test(value)) return undefined;
  if (value.length > MAX_NESTED_JSON_LENGTH || level >= MAX_NESTED_JSON_LEVELS) {
    // Too long or too deep to read: the names in it decide.
    const inner = /^\s*[[{]/.test(value) ? credentialNamesInJsonText(value) : [];
    return inner.length ? { by: 'nested', inner } : undefined;
  }
  const parsed = parseJsonText(value);
  if (parsed === undefined) return undefined;
  const inner = walk(parsed, '', level + 1);
  return inner.length ? { by: 'nested', inner: inner.slice(0, 3).map((d) => d.path || '(the whole text)') } : undefined;
}

/**
 * Removes every credential from `doc` in place, at any depth: object entries whose key names a
 * credential (unless the value is a boolean or null: a flag such as `requireAuth: true` is not
 * one) or half-names one and whose value is shaped like one (`OPENAI_API_KEY_NAME`, a bare
 * `key` holding a random token, `WALLET_SEED` holding a seed phrase), the value of a name/value
 * pair whose name is a credential (`{ name: 'X-API-Key', value: … }`, `[['Authorization', …]]`),
 * strings that look like one or are JSON holding one (object entries and list items alike; a
 * list closes up), and keys that themselves look like one (their path says `[credential]`, not
 * the key). Keys are compared after NFKC and a fold of look-alike letters. Iterative; the caller
 * has bounded the depth. Returns what was removed, paths from `root`.
 */
export function stripCredentials(doc: unknown, root = ''): DroppedCredential[] {
  return walk(doc, root, 0);
}

function walk(doc: unknown, root: string, level: number): DroppedCredential[] {
  const dropped: DroppedCredential[] = [];
  if (typeof doc === 'string') {
    const why = stringVerdict(doc, level);
    return why ? [{ path: root, ...why }] : [];
  }
  type Pending = { node: object; path: string; inList: boolean };
  const stack: Pending[] = doc !== null && typeof doc === 'object' ? [{ node: doc, path: root, inList: false }] : [];
  while (stack.length) {
    const { node, path, inList } = stack.pop() as Pending;
    // Children are pushed in reverse: siblings are looked at in the order of the document.
    const children: Pending[] = [];
    if (Array.isArray(node)) {
      // A `[name, value]` pair in a list of pairs (headers as entries).
      let pairValue: number | undefined;
      if (inList && node.length === 2 && typeof node[0] === 'string' && typeof node[1] === 'string' && node[0].length <= 128 && /^\S+$/.test(node[0])) {
        const kind = credentialKind(node[0]);
        if ((kind === 'name' && node[1].trim() !== '') || (kind === 'weak' && isWeakSecret(node[1]))) pairValue = 1;
      }
      const keep: unknown[] = [];
      node.forEach((item, i) => {
        const itemPath = joinSecretPath(path, i);
        if (i === pairValue) return void dropped.push({ path: itemPath, by: 'pair' });
        if (typeof item === 'string') {
          const why = stringVerdict(item, level);
          if (why) return void dropped.push({ path: itemPath, ...why });
        }
        keep.push(item);
        if (item !== null && typeof item === 'object') children.push({ node: item, path: itemPath, inList: true });
      });
      if (keep.length !== node.length) node.splice(0, node.length, ...keep);
    } else {
      const record = node as Record<string, unknown>;
      const keys = Object.keys(record);
      // The strongest mark among the fields that name this entry, if it is a name/value pair.
      let pair: ReturnType<typeof credentialKind>;
      for (const key of keys) {
        const name = record[key];
        if (pair === 'name' || typeof name !== 'string' || name.length > 128 || !PAIR_NAMES.has(pairField(key))) continue;
        // A header or variable name has no spaces; a label with them (`The Secret`) marks only a value shaped like a credential.
        const kind = credentialKind(name);
        if (kind) pair = kind === 'name' && !/\s/.test(name.trim()) ? 'name' : 'weak';
      }
      for (const key of keys) {
        const value = record[key];
        let why: Omit<DroppedCredential, 'path'> | undefined;
        const kind = credentialKind(key);
        if (isCredentialValue(key)) why = { by: 'value' };
        else if (kind === 'name' && value !== null && typeof value !== 'boolean') why = { by: 'name' };
        else if (kind === 'weak' && typeof value === 'string' && isWeakSecret(value)) why = { by: 'shape' };
        else if (pair && isPairValue(pair, pairField(key), value)) why = { by: 'pair' };
        else if (typeof value === 'string') why = stringVerdict(value, level);
        if (why) {
          // A key that is itself a credential is not spelled out.
          dropped.push({ path: isCredentialValue(key) ? `${path || '(root)'}[credential]` : joinSecretPath(path, key), ...why });
          delete record[key];
        } else if (value !== null && typeof value === 'object') children.push({ node: value, path: joinSecretPath(path, key), inList: false });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return dropped;
}

/** True when `field` holds the value of a name/value pair whose name is marked `pair`. */
function isPairValue(pair: 'name' | 'weak', field: string, value: unknown): boolean {
  const text = PAIR_TEXTS.has(field);
  if (!text && !PAIR_VALUES.has(field)) return false;
  if (pair === 'weak') return typeof value === 'string' && isWeakSecret(value);
  if (text) return typeof value === 'string' && value.trim() !== '' && value.length <= 4096 && NOT_PROSE.test(value);
  return value !== null && typeof value !== 'boolean' && value !== '';
}

const REASONS: Record<DroppedCredential['by'], string> = {
  name: 'its name says it is a credential',
  value: 'its value looks like a credential',
  shape: 'its name and the shape of its value say it is a credential',
  pair: 'the name beside it says it is a credential',
  nested: 'it is JSON text that holds a credential',
};

/** The warning for one credential left out: its path and why, never its value. */
export function droppedWarning(d: DroppedCredential): string {
  const inner = d.by === 'nested' && d.inner?.length ? ` (at ${d.inner.join(', ')})` : '';
  return `left out ${d.path}: ${REASONS[d.by]}${inner} (secrets are never imported)`;
}
