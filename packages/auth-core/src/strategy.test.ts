import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';
import { AUTH_ERROR_CODES, AuthError, ConfigurationError, isAuthErrorCode } from './errors.js';
import type { AuthEvent } from './events.js';
import { createMemoryEphemeralStore } from './memory-stores.js';
import { absent, authenticated, refusalError, rejected, rejectedCredential, type AuthOutcome, type AuthRefusal } from './outcome.js';
import { createFetchRequestAdapter, type AuthRequest } from './request.js';
import type { EphemeralStore } from './stores.js';
import { allOf, authenticateSafely, createAuthGuard, firstOf, renderingOf, renderSuccess, withOutcomeEvents, type AuthStrategy } from './strategy.js';
import { withFailureThrottle, withStrategyGuards } from './throttle.js';

const toAuthRequest = createFetchRequestAdapter();
const request = (headers: Record<string, string> = {}, remoteAddress = '203.0.113.1'): AuthRequest =>
  toAuthRequest(new Request('http://x/', { headers }), { remoteAddress });

/** A scheme's own rendering, for tests: the strategy id and the code, so a test sees whose envelope answered. */
const renderAs = (id: string) => (refusal: AuthRefusal) => ({
  httpStatus: refusalError(refusal).httpStatus,
  headers: { 'x-scheme': id },
  body: { scheme: id, code: refusalError(refusal).code },
});

/** A test strategy with a rendering, from its id and authenticate function. */
function strategyOf(id: string, authenticate: AuthStrategy['authenticate']): AuthStrategy {
  return { id, authenticate, renderRefusal: renderAs(id) };
}

function headerKey(id: string, header: string, secret: string, principalId = 'alice', scopes: readonly string[] = []): AuthStrategy {
  return {
    id,
    async authenticate(req) {
      const value = req.header(header);
      if (value === null) return absent();
      if (value !== secret) return rejected('CREDENTIALS_INVALID');
      return authenticated({ id: principalId }, { id: `${id}-cred`, kind: 'api-key', scopes });
    },
    renderRefusal: renderAs(id),
    renderSuccess: (payload, options) => ({ httpStatus: options?.httpStatus ?? 200, headers: {}, body: { scheme: id, payload } }),
  };
}

const throwing: AuthStrategy = strategyOf('throwing', async () => {
  throw new Error('database exploded with secret s3cr3t');
});

describe('AuthError', () => {
  it('keeps every code, status and message stable', () => {
    expect(Object.fromEntries(Object.entries(AUTH_ERROR_CODES).map(([code, entry]) => [code, entry.httpStatus]))).toEqual({
      CREDENTIALS_MISSING: 401,
      CREDENTIALS_MALFORMED: 400,
      CREDENTIALS_INVALID: 401,
      CREDENTIALS_EXPIRED: 401,
      CREDENTIALS_AMBIGUOUS: 400,
      CREDENTIALS_NOT_ACCEPTED_HERE: 403,
      IP_NOT_ALLOWED: 403,
      SCOPE_DENIED: 403,
      NONCE_REPLAYED: 401,
      TIMESTAMP_OUT_OF_RANGE: 401,
      RATE_LIMITED: 429,
      LIMIT_EXCEEDED: 403,
      OPERATION_NOT_PERMITTED: 403,
      REQUEST_MALFORMED: 400,
      REQUEST_TOO_LARGE: 413,
      PARAMETER_INVALID: 400,
      CREDENTIAL_NOT_FOUND: 404,
      ROUTE_NOT_FOUND: 404,
      METHOD_NOT_ALLOWED: 405,
      STORE_UNAVAILABLE: 503,
      INTERNAL_ERROR: 500,
    });
  });

  it('carries a generic message and keeps the cause out of its JSON', () => {
    const error = new AuthError('STORE_UNAVAILABLE', { cause: new Error('password=hunter2') });
    expect(error.message).toBe('The credential store is unavailable.');
    expect(JSON.stringify(error)).toBe('{"code":"STORE_UNAVAILABLE","httpStatus":503,"message":"The credential store is unavailable."}');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('recognises only declared codes, not inherited property names', () => {
    expect(isAuthErrorCode('RATE_LIMITED')).toBe(true);
    expect(isAuthErrorCode('toString')).toBe(false);
    expect(isAuthErrorCode('__proto__')).toBe(false);
    expect(() => new AuthError('toString' as never)).toThrow(TypeError);
  });

  it('names the option in a ConfigurationError', () => {
    expect(new ConfigurationError('maxAgeInSeconds', 'must be positive').message).toBe('Invalid option `maxAgeInSeconds`: must be positive');
  });
});

describe('firstOf', () => {
  const a = headerKey('a', 'x-a', 'good-a');
  const b = headerKey('b', 'x-b', 'good-b', 'bob');

  it('returns the first outcome that is not absent', async () => {
    const either = firstOf([a, b]);
    expect((await either.authenticate(request({ 'x-b': 'good-b' }))).type).toBe('authenticated');
    expect(await either.authenticate(request({ 'x-a': 'bad', 'x-b': 'good-b' }))).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('is absent when no strategy finds credentials', async () => {
    expect((await firstOf([a, b]).authenticate(request())).type).toBe('absent');
  });

  it('turns a throwing strategy into an INTERNAL_ERROR rejection instead of crashing or passing', async () => {
    const outcome = await firstOf([throwing, a]).authenticate(request({ 'x-a': 'good-a' }));
    expect(outcome).toMatchObject({ type: 'rejected', error: { code: 'INTERNAL_ERROR', httpStatus: 500 } });
    expect(outcome.type === 'rejected' && outcome.error.message).not.toContain('s3cr3t');
  });

  it('refuses an empty list, naming the option', () => {
    expect(() => firstOf([])).toThrow(/`strategies`/);
  });

  it('refuses a member without a rendering with a ConfigurationError naming the entry', () => {
    const bare = { id: 'bare', authenticate: async () => absent() } as unknown as AuthStrategy;
    expect(() => firstOf([a, bare])).toThrow(ConfigurationError);
    expect(() => firstOf([a, bare])).toThrow(/`strategies\[1\]`: must have a renderRefusal\(\) method/);
    expect(() => firstOf('nope' as never)).toThrow(ConfigurationError);
  });

  it('says which member answered, and renders a refusal in that member envelope', async () => {
    const either = firstOf([a, b]);
    const accepted = await either.authenticate(request({ 'x-b': 'good-b' }));
    expect(accepted).toMatchObject({ type: 'authenticated', strategyId: 'b' });
    const refused = await either.authenticate(request({ 'x-b': 'bad' }));
    expect(refused).toMatchObject({ type: 'rejected', strategyId: 'b' });
    expect(either.renderRefusal(refused as AuthRefusal).body).toEqual({ scheme: 'b', code: 'CREDENTIALS_INVALID' });
    // Nobody found credentials: the first member answers.
    expect(either.renderRefusal(absent() as AuthRefusal).body).toEqual({ scheme: 'a', code: 'CREDENTIALS_MISSING' });
    expect(renderSuccess(either, { n: 1 }, { strategyId: 'b' }).body).toEqual({ scheme: 'b', payload: { n: 1 } });
  });

  it('routes a refusal through a wrapper of the application own to the nested member envelope', async () => {
    const inner = firstOf([b, headerKey('c', 'x-c', 'good-c')]);
    const wrapper: AuthStrategy = { ...renderingOf(inner), id: 'mine', authenticate: (request) => inner.authenticate(request) };
    const outer = firstOf([a, wrapper]);
    const refused = await outer.authenticate(request({ 'x-c': 'bad' }));
    expect(outer.renderRefusal(refused as AuthRefusal).body).toEqual({ scheme: 'c', code: 'CREDENTIALS_INVALID' });
  });

  it('keeps the innermost member when compositions nest', async () => {
    const nested = firstOf([a, firstOf([b, headerKey('c', 'x-c', 'good-c')])]);
    const refused = await nested.authenticate(request({ 'x-c': 'bad' }));
    expect(refused).toMatchObject({ strategyId: 'c' });
    expect(nested.renderRefusal(refused as AuthRefusal).body).toEqual({ scheme: 'c', code: 'CREDENTIALS_INVALID' });
  });
});

describe('allOf', () => {
  const a = headerKey('a', 'x-a', 'good-a');
  const b = headerKey('b', 'x-b', 'good-b');
  const bob = headerKey('b', 'x-b', 'good-b', 'bob');

  it('authenticates only when every strategy authenticates the same principal', async () => {
    expect((await allOf([a, b]).authenticate(request({ 'x-a': 'good-a', 'x-b': 'good-b' }))).type).toBe('authenticated');
    expect(await allOf([a, bob]).authenticate(request({ 'x-a': 'good-a', 'x-b': 'good-b' }))).toMatchObject({ error: { code: 'CREDENTIALS_AMBIGUOUS' } });
  });

  it('rejects with CREDENTIALS_MISSING, in the envelope of the member whose credentials are missing', async () => {
    const both = allOf([a, b]);
    const refused = await both.authenticate(request({ 'x-a': 'good-a' }));
    expect(refused).toMatchObject({ error: { code: 'CREDENTIALS_MISSING' }, strategyId: 'b' });
    expect(both.renderRefusal(refused as AuthRefusal).body).toEqual({ scheme: 'b', code: 'CREDENTIALS_MISSING' });
    expect((await both.authenticate(request())).type).toBe('absent');
  });
});

describe('createAuthGuard', () => {
  const scoped = headerKey('nvx', 'x-key', 'good', 'alice', ['Trading']);

  it('lets an authenticated request through with who it is and which strategy answered', async () => {
    const decision = await createAuthGuard(scoped)(request({ 'x-key': 'good' }));
    expect(decision).toEqual({
      type: 'allowed',
      auth: { principal: { id: 'alice' }, credential: { id: 'nvx-cred', kind: 'api-key', scopes: ['Trading'] }, strategyId: 'nvx' },
    });
  });

  it('refuses an absent or rejected request with the strategy own reply', async () => {
    const guard = createAuthGuard(scoped);
    expect(await guard(request())).toMatchObject({ type: 'refused', reply: { httpStatus: 401, headers: { 'x-scheme': 'nvx' }, body: { code: 'CREDENTIALS_MISSING' } } });
    expect(await guard(request({ 'x-key': 'bad' }))).toMatchObject({ type: 'refused', reply: { body: { code: 'CREDENTIALS_INVALID' } } });
  });

  it('lets a request without credentials through with no auth when optional, but still refuses a wrong one', async () => {
    const guard = createAuthGuard(scoped, { optional: true });
    expect(await guard(request())).toEqual({ type: 'allowed', auth: null });
    expect(await guard(request({ 'x-key': 'bad' }))).toMatchObject({ type: 'refused' });
  });

  it('refuses a credential without a required permission with SCOPE_DENIED in the scheme envelope', async () => {
    expect((await createAuthGuard(scoped, { require: 'Trading' })(request({ 'x-key': 'good' }))).type).toBe('allowed');
    const refused = await createAuthGuard(scoped, { require: ['Trading', 'Withdraw'] })(request({ 'x-key': 'good' }));
    expect(refused).toMatchObject({ type: 'refused', reply: { httpStatus: 403, body: { scheme: 'nvx', code: 'SCOPE_DENIED' } } });
  });

  it('renders a refusal in the answering member envelope behind firstOf, and reports that member id', async () => {
    const guard = createAuthGuard(firstOf([headerKey('a', 'x-a', 'good-a'), headerKey('b', 'x-b', 'good-b')]));
    expect(await guard(request({ 'x-b': 'good-b' }))).toMatchObject({ type: 'allowed', auth: { strategyId: 'b' } });
    expect(await guard(request({ 'x-b': 'bad' }))).toMatchObject({ reply: { body: { scheme: 'b', code: 'CREDENTIALS_INVALID' } } });
    expect(await guard(request())).toMatchObject({ reply: { body: { scheme: 'a', code: 'CREDENTIALS_MISSING' } } });
  });

  it('refuses with INTERNAL_ERROR, never lets through, when the strategy or its renderer throws', async () => {
    expect(await createAuthGuard(throwing)(request())).toMatchObject({ type: 'refused', reply: { httpStatus: 500 } });
    const badRenderer: AuthStrategy = { ...scoped, renderRefusal: () => { throw new Error('boom'); } };
    expect(await createAuthGuard(badRenderer)(request({ 'x-key': 'bad' }))).toMatchObject({ type: 'refused', reply: { httpStatus: 500 } });
  });

  it('refuses an outcome of the wrong shape instead of trusting it: scopes as a string, a missing credential', async () => {
    const substring = strategyOf('s', async () => ({ type: 'authenticated', principal: { id: 'p' }, credential: { id: 'c', kind: 'k', scopes: 'Trading-disabled' } }) as never);
    expect(await createAuthGuard(substring, { require: 'Trading' })(request())).toMatchObject({ type: 'refused', reply: { body: { code: 'INTERNAL_ERROR' } } });
    const bare = strategyOf('b', async () => ({ type: 'authenticated', principal: { id: 'p' } }) as never);
    expect(await createAuthGuard(bare)(request())).toMatchObject({ type: 'refused', reply: { httpStatus: 500 } });
    const notAnError = strategyOf('e', async () => ({ type: 'rejected', error: { code: 'CREDENTIALS_INVALID' } }) as never);
    expect(await createAuthGuard(notAnError)(request())).toMatchObject({ type: 'refused', reply: { body: { code: 'INTERNAL_ERROR' } } });
  });

  it('refuses an unknown option, so a misspelt check is never silently off', () => {
    expect(() => createAuthGuard(scoped, { required: 'Trading' } as never)).toThrow(/`required`: is not an option/);
  });

  it('refuses bad options with a ConfigurationError naming them', () => {
    expect(() => createAuthGuard(scoped, { optional: 'yes' as never })).toThrow(/`optional`/);
    expect(() => createAuthGuard(scoped, { require: [''] })).toThrow(/`require`/);
    expect(() => createAuthGuard({ id: 'x' } as never)).toThrow(/`strategy`/);
  });
});

describe('authenticateSafely', () => {
  it('rejects an outcome of the wrong shape', async () => {
    const broken = strategyOf('broken', async () => ({ type: 'ok' }) as unknown as AuthOutcome);
    expect(await authenticateSafely(broken, request())).toMatchObject({ error: { code: 'INTERNAL_ERROR' } });
  });

  it('passes a thrown AuthError through as the rejection', async () => {
    const failing = strategyOf('f', async (): Promise<AuthOutcome> => { throw new AuthError('STORE_UNAVAILABLE'); });
    expect(await authenticateSafely(failing, request())).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
  });
});

describe('withOutcomeEvents', () => {
  it('reports ids, codes and the client IP, never the secret', async () => {
    const events: AuthEvent[] = [];
    const clock = createManualClock(1_000);
    const observed = withOutcomeEvents(headerKey('a', 'x-a', 'good-a-secret'), { onEvent: (event) => events.push(event), clock });
    await observed.authenticate(request({ 'x-a': 'good-a-secret' }));
    await observed.authenticate(request({ 'x-a': 'wrong-secret' }));
    await observed.authenticate(request());
    expect(events).toEqual([
      { type: 'authenticated', strategyId: 'a', at: 1_000, principalId: 'alice', credentialId: 'a-cred', credentialKind: 'api-key', clientIp: '203.0.113.1' },
      { type: 'rejected', strategyId: 'a', at: 1_000, code: 'CREDENTIALS_INVALID', clientIp: '203.0.113.1' },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/secret/);
  });

  it('names the refused credential in a rejection event when the strategy identified one', async () => {
    const events: AuthEvent[] = [];
    const identifying = strategyOf('k', async () => rejectedCredential('c_9', 'IP_NOT_ALLOWED'));
    await withOutcomeEvents(identifying, { onEvent: (event) => events.push(event), clock: createManualClock(5) }).authenticate(request());
    expect(events).toEqual([{ type: 'rejected', strategyId: 'k', at: 5, code: 'IP_NOT_ALLOWED', clientIp: '203.0.113.1', credentialId: 'c_9' }]);
  });

  it('keeps the outcome when the hook throws', async () => {
    const observed = withOutcomeEvents(headerKey('a', 'x-a', 'k'), { onEvent: () => { throw new Error('logger down'); } });
    expect((await observed.authenticate(request({ 'x-a': 'k' }))).type).toBe('authenticated');
  });
});

describe('withFailureThrottle', () => {
  it('refuses wrong credentials from an IP past maxFailures in the window with RATE_LIMITED, until the window ends', async () => {
    const clock = createManualClock(0);
    const store = createMemoryEphemeralStore({ clock });
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), store, { maxFailures: 3, windowInSeconds: 60 });
    for (let i = 0; i < 3; i++) expect(await guarded.authenticate(request({ 'x-a': 'bad' }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect(await guarded.authenticate(request({ 'x-a': 'bad' }))).toMatchObject({ error: { code: 'RATE_LIMITED', httpStatus: 429 } });
    expect(await guarded.authenticate(request({ 'x-a': 'bad' }, '203.0.113.2'))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    clock.advanceBySeconds(61);
    expect(await guarded.authenticate(request({ 'x-a': 'bad' }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('lets a valid credential through from an IP past the limit, so junk from a shared address locks out nobody', async () => {
    const store = createMemoryEphemeralStore();
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), store, { maxFailures: 3 });
    for (let i = 0; i < 101; i++) await guarded.authenticate(request({ 'x-a': `random-${i}` }));
    expect((await guarded.authenticate(request({ 'x-a': 'good' }))).type).toBe('authenticated');
    expect(await guarded.authenticate(request({ 'x-a': 'bad' }))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('refuses every request from an IP past the limit, the valid one included, with ipLimit refuse-all (low-entropy secrets)', async () => {
    const store = createMemoryEphemeralStore();
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), store, { maxFailures: 3, ipLimit: 'refuse-all' });
    for (let i = 0; i < 3; i++) await guarded.authenticate(request({ 'x-a': 'bad' }));
    expect(await guarded.authenticate(request({ 'x-a': 'good' }))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(() => withFailureThrottle(headerKey('a', 'x-a', 'good'), store, { ipLimit: 'sometimes' as never })).toThrow(/`ipLimit`/);
  });

  it('fails closed with STORE_UNAVAILABLE when a failure cannot be counted, never a throttle that quietly stops counting', async () => {
    const memory = createMemoryEphemeralStore();
    const broken = { ...memory, increment: async () => { throw new Error('read-only'); } } as EphemeralStore;
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), broken, { maxFailures: 3 });
    expect(await guarded.authenticate(request({ 'x-a': 'bad' }))).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
    expect((await guarded.authenticate(request({ 'x-a': 'good' }))).type).toBe('authenticated');
  });

  it('does not count successes or absent requests', async () => {
    const store = createMemoryEphemeralStore();
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), store, { maxFailures: 1 });
    for (let i = 0; i < 5; i++) await guarded.authenticate(request({ 'x-a': 'good' }));
    for (let i = 0; i < 5; i++) await guarded.authenticate(request());
    expect((await guarded.authenticate(request({ 'x-a': 'good' }))).type).toBe('authenticated');
  });

  it('denies access with STORE_UNAVAILABLE when the throttle store fails and its answer matters', async () => {
    const down = async (): Promise<never> => {
      throw new Error('down');
    };
    const broken = { ...createMemoryEphemeralStore(), get: down, increment: down } as EphemeralStore;
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), broken);
    expect(await guarded.authenticate(request({ 'x-a': 'bad' }))).toMatchObject({ error: { code: 'STORE_UNAVAILABLE', httpStatus: 503 } });
    expect((await guarded.authenticate(request())).type).toBe('absent');
    const refuseAll = withFailureThrottle(headerKey('a', 'x-a', 'good'), broken, { ipLimit: 'refuse-all' });
    expect(await refuseAll.authenticate(request({ 'x-a': 'good' }))).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
    const perCredential = withFailureThrottle(signedKey, broken, { maxFailuresPerCredential: 5 });
    expect(await perCredential.authenticate(attempt('k1', 'secret-k1', '192.0.2.1'))).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('grants a valid credential no limit applies to without asking the store, so it keeps working while the store is down', async () => {
    let reads = 0;
    const broken = {
      ...createMemoryEphemeralStore(),
      get: async (): Promise<never> => {
        reads++;
        throw new Error('down');
      },
    } as EphemeralStore;
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), broken, { ipLimit: 'refuse-unproven' });
    expect((await guarded.authenticate(request({ 'x-a': 'good' }))).type).toBe('authenticated');
    expect(reads).toBe(0);
  });

  it('keeps a throttled client without credentials absent, so the next strategy in firstOf can answer', async () => {
    const store = createMemoryEphemeralStore();
    const guarded = withFailureThrottle(headerKey('a', 'x-a', 'good'), store, { maxFailures: 1 });
    await guarded.authenticate(request({ 'x-a': 'bad' }));
    expect(await guarded.authenticate(request({ 'x-a': 'bad' }))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    const either = firstOf([guarded, headerKey('b', 'x-b', 'good-b')]);
    expect((await either.authenticate(request({ 'x-b': 'good-b' }))).type).toBe('authenticated');
  });

  /** Keys `k1` and `k2` with their secrets in `x-secret`; a known key with a wrong secret is refused by id. */
  const signedKey = strategyOf('signed', async (req) => {
    const key = req.header('x-key');
    if (key === null) return absent();
    if (key !== 'k1' && key !== 'k2') return rejected('CREDENTIALS_INVALID');
    if (req.header('x-secret') !== `secret-${key}`) return rejectedCredential(key, 'CREDENTIALS_INVALID');
    return authenticated({ id: `owner-${key}` }, { id: key, kind: 'api-key', scopes: [] });
  });
  const attempt = (key: string, secret: string, ip: string): AuthRequest => request({ 'x-key': key, 'x-secret': secret }, ip);

  it('refuses a credential after maxFailuresPerCredential failures from any IPs, the right secret included, until the window ends', async () => {
    const clock = createManualClock(0);
    const store = createMemoryEphemeralStore({ clock });
    const guarded = withFailureThrottle(signedKey, store, { maxFailures: 100, maxFailuresPerCredential: 3, windowInSeconds: 60 });
    for (let i = 1; i <= 3; i++) {
      expect(await guarded.authenticate(attempt('k1', 'guess', `198.51.100.${i}`))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' }, credentialId: 'k1' });
    }
    expect(await guarded.authenticate(attempt('k1', 'secret-k1', '198.51.100.200'))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(await guarded.authenticate(attempt('k1', 'guess', '198.51.100.201'))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // Another credential, and the same IPs with it, are not affected.
    expect((await guarded.authenticate(attempt('k2', 'secret-k2', '198.51.100.1'))).type).toBe('authenticated');
    clock.advanceBySeconds(61);
    expect((await guarded.authenticate(attempt('k1', 'secret-k1', '198.51.100.200'))).type).toBe('authenticated');
  });

  it('counts per credential only the refusals that identified one', async () => {
    const store = createMemoryEphemeralStore();
    const guarded = withFailureThrottle(signedKey, store, { maxFailures: 100, maxFailuresPerCredential: 2 });
    // Unknown keys identify nothing: they count against each IP only.
    for (let i = 1; i <= 5; i++) await guarded.authenticate(attempt('unknown', 'x', `192.0.2.${i}`));
    expect((await guarded.authenticate(attempt('k1', 'secret-k1', '192.0.2.50'))).type).toBe('authenticated');
    await guarded.authenticate(attempt('k1', 'guess', '192.0.2.51'));
    await guarded.authenticate(attempt('k1', 'guess', '192.0.2.52'));
    expect(await guarded.authenticate(attempt('k1', 'secret-k1', '192.0.2.53'))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('counts nothing per credential unless maxFailuresPerCredential is given', async () => {
    const store = createMemoryEphemeralStore();
    const guarded = withFailureThrottle(signedKey, store, { maxFailures: 2 });
    for (let i = 1; i <= 5; i++) await guarded.authenticate(attempt('k1', 'guess', `192.0.2.${i}`));
    expect((await guarded.authenticate(attempt('k1', 'secret-k1', '192.0.2.50'))).type).toBe('authenticated');
  });

  it('answers a throttled request in the wrapped strategy envelope, and in the member envelope behind firstOf', async () => {
    const store = createMemoryEphemeralStore();
    const guarded = withFailureThrottle(firstOf([headerKey('a', 'x-a', 'good-a'), headerKey('b', 'x-b', 'good-b')]), store, { maxFailures: 1 });
    await guarded.authenticate(request({ 'x-b': 'bad' }));
    const throttled = await guarded.authenticate(request({ 'x-b': 'bad' }));
    expect(throttled).toMatchObject({ error: { code: 'RATE_LIMITED' }, strategyId: 'b' });
    expect(guarded.renderRefusal(throttled as AuthRefusal).body).toEqual({ scheme: 'b', code: 'RATE_LIMITED' });
  });

  it('refuses bad options, naming them', () => {
    const store = createMemoryEphemeralStore();
    expect(() => withFailureThrottle(headerKey('a', 'x', 'y'), store, { maxFailuresPerCredential: 0 })).toThrow(/`maxFailuresPerCredential`/);
    expect(() => withFailureThrottle(headerKey('a', 'x', 'y'), store, { maxFailures: 0 })).toThrow(/`maxFailures`/);
    expect(() => withFailureThrottle(headerKey('a', 'x', 'y'), store, { windowInSeconds: Number.NaN })).toThrow(/`windowInSeconds`/);
  });
});

describe('withStrategyGuards', () => {
  it('returns the strategy itself without guards, and reports throttled answers when both are given', async () => {
    const strategy = headerKey('a', 'x-a', 'good');
    expect(withStrategyGuards(strategy, {})).toBe(strategy);
    const events: AuthEvent[] = [];
    const guarded = withStrategyGuards(strategy, {
      failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 1 },
      onEvent: (event) => events.push(event),
      clock: createManualClock(7),
    });
    await guarded.authenticate(request({ 'x-a': 'bad' }));
    await guarded.authenticate(request({ 'x-a': 'bad' }));
    expect(events.map((event) => (event.type === 'rejected' ? `${event.code}@${event.at}` : event.type))).toEqual(['CREDENTIALS_INVALID@7', 'RATE_LIMITED@7']);
  });
});
