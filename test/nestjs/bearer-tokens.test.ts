import * as crypto from 'crypto';
import fc from 'fast-check';
import { PersonaValidationError } from '../../src/errors';
import { bearerActorResolver, bearerToken, generateToken, parseTokenUsers, tokenDigest, tokensEqual } from '../../src/nestjs/bearer-tokens';

// crypto's exports cannot be spied on in place: the module under test gets a counting timingSafeEqual.
jest.mock('crypto', () => {
  const actual = jest.requireActual('crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const users = parseTokenUsers([
  { token: 'alice-token-0123456789', id: 'alice', roles: ['admin'] },
  { token: 'bob-token-0123456789ab', id: 'bob' },
]);
const resolve = bearerActorResolver(users);
const asRequest = (authorization?: string | string[]) => ({ headers: { authorization } });

describe('bearer tokens', () => {
  it('compares tokens through their SHA-256 digests with crypto.timingSafeEqual, whatever their lengths', () => {
    const spy = crypto.timingSafeEqual as jest.MockedFunction<typeof crypto.timingSafeEqual>;
    spy.mockClear();
    {
      expect(tokensEqual('short', 'a much longer token than that')).toBe(false);
      expect(tokensEqual('same-token', 'same-token')).toBe(true);
      // Both sides always 32 bytes: the comparison cannot throw on, or reveal, a length difference.
      for (const [a, b] of spy.mock.calls) expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
      expect(spy).toHaveBeenCalledTimes(2);
    }
  });

  it('compares the given token with every known token, even after a match (no early exit)', () => {
    const spy = crypto.timingSafeEqual as jest.MockedFunction<typeof crypto.timingSafeEqual>;
    spy.mockClear();
    {
      expect(resolve(asRequest('Bearer alice-token-0123456789'))).toEqual({ id: 'alice', roles: ['admin'] });
      expect(spy).toHaveBeenCalledTimes(users.length);
      spy.mockClear();
      expect(resolve(asRequest('Bearer nobody-token-0123456789'))).toBeUndefined();
      expect(spy).toHaveBeenCalledTimes(users.length);
    }
  });

  it('agrees with plain equality on any pair of strings (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (a, b) => tokensEqual(a, b) === (a === b)));
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }), (a) => tokensEqual(a, a)));
  });

  it('reads the token of "Authorization: Bearer <token>" only', () => {
    expect(bearerToken('Bearer abc.DEF-_~+/=')).toBe('abc.DEF-_~+/=');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    for (const bad of [undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'Bearer a b', 'Bearerabc', `Bearer ${'a'.repeat(2000)}`, 'Bearer caf\u00e9']) {
      expect([bad, bearerToken(bad)]).toEqual([bad, undefined]);
    }
    expect(bearerToken(['Bearer first', 'Bearer second'])).toBe('first');
  });

  it('resolves each token to its own actor, and a near miss to nobody', () => {
    expect(resolve(asRequest('Bearer bob-token-0123456789ab'))).toEqual({ id: 'bob' });
    for (const near of ['Bearer bob-token-0123456789a', 'Bearer bob-token-0123456789abc', 'Bearer Bob-token-0123456789ab', undefined]) {
      expect(resolve(asRequest(near))).toBeUndefined();
    }
  });

  it('hands out copies: a handler changing the roles of its actor changes no later request', () => {
    const first = resolve(asRequest('Bearer alice-token-0123456789')) as { roles: string[] };
    first.roles.push('owner');
    expect(resolve(asRequest('Bearer alice-token-0123456789'))).toEqual({ id: 'alice', roles: ['admin'] });
  });

  it('generates 256-bit tokens, base64url, each different', () => {
    const tokens = new Set(Array.from({ length: 200 }, generateToken));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(tokenDigest(generateToken())).toHaveLength(32);
  });

  it('refuses a users file that is not an array of valid, distinct users, naming each path and no token', () => {
    const refused = (input: unknown) => {
      try {
        parseTokenUsers(input);
      } catch (error) {
        expect(error).toBeInstanceOf(PersonaValidationError);
        return (error as PersonaValidationError).issues;
      }
      throw new Error('accepted');
    };
    expect(refused({})).toEqual([expect.objectContaining({ path: '', constraint: 'isArray' })]);
    expect(refused([])).toEqual([expect.objectContaining({ constraint: 'arrayNotEmpty' })]);
    expect(refused(new Array(10_001).fill({ token: 'x'.repeat(16), id: 'a' }))).toEqual([expect.objectContaining({ constraint: 'arrayMaxSize' })]);
    const issues = refused([null, { token: 'secret-but-short', id: '' }, { token: 'another-secret-token', id: 'b', roles: 'admin' }, { token: 'another-secret-token', id: 'c' }]);
    expect(issues.map((i) => [i.path, i.constraint])).toEqual([
      ['[0]', 'isObject'],
      ['[1].id', 'isLength'],
      ['[2].roles', expect.stringMatching(/^(isArray|arrayMaxSize)$/)],
    ]);
    expect(refused([{ token: 'another-secret-token', id: 'b' }, { token: 'another-secret-token', id: 'c' }]).map((i) => [i.path, i.constraint])).toEqual([['[1].token', 'unique']]);
    expect(JSON.stringify(issues)).not.toContain('secret');
    // An inherited or prototype key is just an unknown field.
    expect(refused([JSON.parse('{"token":"a-long-enough-token-1","id":"a","__proto__":{"roles":["admin"]}}')]).map((i) => i.constraint)).toContain('whitelistValidation');
  });
});
