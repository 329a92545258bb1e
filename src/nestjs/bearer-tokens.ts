import { plainToInstance } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches, validateSync } from 'class-validator';
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import type { Actor } from '../actor';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { joinPath } from '../validation/paths';
import { mapErrors, VALIDATOR_OPTIONS } from '../validation/reference';
import type { ActorResolver } from './options';

/** Most users one `--users` file may hold. */
export const MAX_TOKEN_USERS = 10_000;

/**
 * One entry of a `--users` file: a bearer token and the actor it stands for. Tokens are 16 to
 * 512 printable ASCII characters without spaces (what an `Authorization: Bearer` header carries).
 */
export class TokenUser {
  @IsString()
  @Length(16, 512)
  @Matches(/^[\x21-\x7e]+$/, { message: 'token must be printable ASCII without spaces' })
  token!: string;

  @IsString()
  @Length(1, 255)
  id!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  roles?: string[];
}

const USER_KEYS = ['token', 'id', 'roles'];

/**
 * Checks the parsed content of a `--users` file (`[{ token, id, roles? }]`): every entry valid,
 * no token twice. Bad input is a PersonaValidationError naming each path (`[2].token`); the
 * messages never contain a token.
 */
export function parseTokenUsers(input: unknown): TokenUser[] {
  if (!Array.isArray(input)) throw new PersonaValidationError([{ path: '', constraint: 'isArray', message: 'the users file must be a JSON array of { token, id, roles }' }], 'users file');
  if (input.length === 0) throw new PersonaValidationError([{ path: '', constraint: 'arrayNotEmpty', message: 'the users file names no user' }], 'users file');
  if (input.length > MAX_TOKEN_USERS) {
    throw new PersonaValidationError([{ path: '', constraint: 'arrayMaxSize', message: `the users file may hold at most ${MAX_TOKEN_USERS} users` }], 'users file');
  }
  const issues: ValidationIssue[] = [];
  const users: TokenUser[] = [];
  const seen = new Map<string, number>();
  input.forEach((entry, i) => {
    const at = joinPath('', i);
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push({ path: at, constraint: 'isObject', message: `${at} must be an object { token, id, roles }` });
      return;
    }
    const before = issues.length;
    // Unknown keys, `__proto__` and `constructor` included, are refused before class-transformer sees them.
    for (const key of Object.keys(entry)) {
      if (!USER_KEYS.includes(key)) issues.push({ path: joinPath(at, key), constraint: 'whitelistValidation', message: `unknown field "${key}"` });
    }
    if (issues.length > before) return;
    const user = plainToInstance(TokenUser, { ...entry });
    mapErrors(validateSync(user, VALIDATOR_OPTIONS), at, issues);
    if (issues.length > before) return;
    const digest = tokenDigest(user.token).toString('hex');
    if (seen.has(digest)) {
      issues.push({ path: joinPath(at, 'token'), constraint: 'unique', message: `${joinPath(at, 'token')} is the token of ${joinPath('', seen.get(digest) as number)} too` });
      return;
    }
    seen.set(digest, i);
    users.push(user);
  });
  if (issues.length) throw new PersonaValidationError(issues, 'users file');
  return users;
}

/** SHA-256 of a token: a fixed-length value to compare, whatever the lengths of the inputs. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * True when `given` is `expected`, in time that depends on neither: both sides are hashed to 32
 * bytes first (so neither length nor a common prefix shows), then compared with
 * `crypto.timingSafeEqual`.
 */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(tokenDigest(given), tokenDigest(expected));
}

/** A new admin token: 32 random bytes from the operating system's CSPRNG, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.length > 1024) return undefined;
  const m = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(value);
  return m ? m[1] : undefined;
}

/**
 * An actor resolver for `Authorization: Bearer <token>`: the user whose token matches, else
 * undefined (401). Every known token is compared, in constant time each, whether or not an
 * earlier one matched, so the time taken does not say which user (or how much of a token) matched.
 */
export function bearerActorResolver(users: readonly TokenUser[]): ActorResolver {
  const known = users.map((u) => ({ digest: tokenDigest(u.token), actor: (u.roles?.length ? { id: u.id, roles: [...u.roles] } : { id: u.id }) as Actor }));
  return (request) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) return undefined;
    const digest = tokenDigest(token);
    let found: Actor | undefined;
    for (const k of known) {
      if (timingSafeEqual(digest, k.digest) && !found) found = k.actor;
    }
    return found ? { ...found, roles: found.roles ? [...found.roles] : undefined } : undefined;
  };
}
