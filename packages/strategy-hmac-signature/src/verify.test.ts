import {
  AUTH_ERROR_CODES,
  AuthError,
  createAuthGuard,
  createFetchRequestAdapter,
  createManualClock,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthErrorCode,
  type AuthEvent,
  type AuthRefusal,
  type AuthRequest,
  type CredentialStore,
  type EphemeralStore,
  renderSuccess,
} from '@gatehouse/auth-core';
import { createSecretSealer } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import {
  createHmacKeyManager,
  hmacSession,
  hmacSignature,
  HMAC_WIRE_ERRORS,
  readAuthenticateUser,
  renderApexError,
  renderApexSuccess,
  renderAuthenticateUserError,
  requirePermission,
  signAuthenticateUser,
  type HmacNoncePolicy,
  type HmacSignatureOptions,
} from './index.js';

const toAuthRequest = createFetchRequestAdapter();
const sealer = createSecretSealer([new Uint8Array(32).fill(9)]);
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function setup(overrides: Partial<HmacSignatureOptions> = {}, store: CredentialStore = createMemoryCredentialStore()) {
  const clock = createManualClock(NOW);
  const ephemeral = createMemoryEphemeralStore({ clock });
  const events: AuthEvent[] = [];
  const verifier = hmacSignature({ store, sealer, ephemeralStore: ephemeral, clock, onEvent: (event) => events.push(event), ...overrides });
  const sessions = hmacSession({ store, clock });
  const manager = createHmacKeyManager({ store, sealer, clock, permissions: ['Trading', 'Deposit', 'Withdraw'] });
  return { store, clock, ephemeral, events, verifier, sessions, manager };
}

async function issueKey(manager: ReturnType<typeof setup>['manager'], userId = '1', input: { permissions?: string[]; allowedIps?: string[] } = {}) {
  const created = await manager.issue(userId, { permissions: ['Trading'], userName: 'demo', ...input });
  if (!created.ok) throw created.error;
  return created.value;
}

function authenticateRequest(headers: Record<string, string>, options: { body?: unknown; remoteAddress?: string } = {}): AuthRequest {
  return toAuthRequest(
    new Request('http://x/AuthenticateUser', {
      method: 'POST',
      headers: { ...headers, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    }),
    { remoteAddress: options.remoteAddress ?? '127.0.0.1' },
  );
}

const signed = (key: { APIKey: string; APISecret: string; UserId: string }, nonce: string | number, extra: { timestamp?: number; userId?: string } = {}) =>
  signAuthenticateUser({ apiKey: key.APIKey, apiSecret: key.APISecret, userId: extra.userId ?? key.UserId, nonce, ...(extra.timestamp === undefined ? {} : { timestamp: extra.timestamp }) });

describe('hmacSignature: AuthenticateUser', () => {
  it('authenticates the four headers of KiiEx "Authenticate with API Key", with the key as credential and its permissions as scopes', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'n-1').headers))).toMatchObject({
      type: 'authenticated',
      principal: { id: '1', attributes: { userName: 'demo' } },
      credential: { id: key.id, kind: 'api-key', scopes: ['Trading'] },
    });
  });

  it('authenticates the same values as a JSON body, UserId and Nonce as numbers too', async () => {
    const { verifier, manager } = setup({ noncePolicy: 'increasing' });
    const key = await issueKey(manager);
    const { body } = signed(key, 1_700_000_000);
    expect((await verifier.authenticate(authenticateRequest({}, { body: { ...body, UserId: 1, Nonce: 1_700_000_000 } }))).type).toBe('authenticated');
  });

  it('accepts an upper-case hex signature (older AlphaPoint clients)', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    expect((await verifier.authenticate(authenticateRequest({ ...headers, Signature: headers.Signature!.toUpperCase() }))).type).toBe('authenticated');
  });

  it('rejects a wrong signature as invalid and truncated, odd-length or non-hex ones as malformed', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    const good = headers.Signature!;
    const wrong = `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`;
    expect(await verifier.authenticate(authenticateRequest({ ...headers, Signature: wrong }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    for (const bad of [good.slice(0, 62), good.slice(0, 63), `${good.slice(0, 63)}z`, '']) {
      expect(await verifier.authenticate(authenticateRequest({ ...headers, Signature: bad }))).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_MALFORMED' } });
    }
  });

  it("rejects another user's UserId with a valid key and signature, with the same reply as an unknown key", async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager, '1');
    await issueKey(manager, '12');
    const foreign = await verifier.authenticate(authenticateRequest(signed(key, 'n-1', { userId: '12' }).headers));
    expect(foreign).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    const unknown = await verifier.authenticate(authenticateRequest(signed({ ...key, APIKey: 'ab'.repeat(16) }, 'n-2').headers));
    expect(foreign.type === 'rejected' && unknown.type === 'rejected' && renderAuthenticateUserError(foreign.error)).toEqual(unknown.type === 'rejected' && renderAuthenticateUserError(unknown.error));
  });

  it('closes the Nonce + UserId ambiguity: nonce "12" for user "3" does not pass as nonce "1" for user "23"', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager, '3');
    await issueKey(manager, '23');
    const { Signature } = signed(key, '12').headers;
    expect(await verifier.authenticate(authenticateRequest({ APIKey: key.APIKey, Signature: Signature!, UserId: '23', Nonce: '1' }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('rejects a removed key', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    await manager.revoke('1', { id: key.id });
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'n-1').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('rejects a request missing any one of the four values', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    for (const name of ['APIKey', 'Signature', 'UserId', 'Nonce']) {
      const partial = Object.fromEntries(Object.entries(headers).filter(([header]) => header !== name));
      expect(await verifier.authenticate(authenticateRequest(partial))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    }
  });

  it('is absent when none of the four values is sent', async () => {
    const { verifier } = setup();
    expect((await verifier.authenticate(authenticateRequest({ 'x-other': '1' }))).type).toBe('absent');
  });

  it('rejects headers and body that disagree, and accepts them when they agree', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const one = signed(key, 'n-1');
    const two = signed(key, 'n-2');
    expect(await verifier.authenticate(authenticateRequest(one.headers, { body: two.body }))).toMatchObject({ error: { code: 'CREDENTIALS_AMBIGUOUS' } });
    expect((await verifier.authenticate(authenticateRequest(one.headers, { body: one.body }))).type).toBe('authenticated');
  });

  it('rejects JSON values that are objects, arrays, floats, negatives or null', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const { body } = signed(key, 'n-1');
    for (const UserId of [{ $gt: '' }, ['1'], 1.5, -1, null, true]) {
      expect(await verifier.authenticate(authenticateRequest({}, { body: { ...body, UserId } }))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    }
  });

  it('rejects 1 MB values without a store lookup', async () => {
    const store = createMemoryCredentialStore();
    let lookups = 0;
    const { verifier, manager } = setup({}, { ...store, findByDigest: async (digest: string) => (lookups++, store.findByDigest(digest)) });
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    expect(await verifier.authenticate(authenticateRequest({ ...headers, Nonce: 'n'.repeat(1 << 20) }))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    expect(await verifier.authenticate(authenticateRequest({ ...headers, APIKey: 'a'.repeat(1 << 20) }))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    expect(await verifier.authenticate(authenticateRequest({}, { body: { ...headers, Signature: 'a'.repeat(1 << 20) } }))).toMatchObject({ error: { code: 'REQUEST_TOO_LARGE' } });
    expect(lookups).toBe(0);
  });

  it('rejects a client IP outside the key\'s allowed IPs, after the signature is proven', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager, '1', { allowedIps: ['10.9.9.0/24', '::ffff:192.0.2.1'] });
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'n-1').headers, { remoteAddress: '127.0.0.1' }))).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
    expect((await verifier.authenticate(authenticateRequest(signed(key, 'n-2').headers, { remoteAddress: '10.9.9.77' }))).type).toBe('authenticated');
    expect((await verifier.authenticate(authenticateRequest(signed(key, 'n-3').headers, { remoteAddress: '::ffff:192.0.2.1' }))).type).toBe('authenticated');
  });

  it('fails closed with STORE_UNAVAILABLE when the credential store or the nonce store throws', async () => {
    const broken = { ...createMemoryCredentialStore(), findByDigest: async () => { throw new Error('down'); } };
    const first = setup({}, broken);
    const outcome = await first.verifier.authenticate(authenticateRequest({ APIKey: 'ab'.repeat(16), Signature: 'ab'.repeat(32), UserId: '1', Nonce: '1' }));
    expect(outcome).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
    expect(outcome.type === 'rejected' && renderAuthenticateUserError(outcome.error)).toMatchObject({ httpStatus: 503, body: { Authenticated: false } });

    const store = createMemoryCredentialStore();
    const failingNonces = { ...createMemoryEphemeralStore(), setIfAbsent: async () => { throw new Error('redis down'); } } as EphemeralStore;
    const second = setup({ ephemeralStore: failingNonces }, store);
    const key = await issueKey(second.manager);
    expect(await second.verifier.authenticate(authenticateRequest(signed(key, 'n-1').headers))).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
  });

  it('reports events without the secret or the signature', async () => {
    const { verifier, manager, events } = setup();
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    await verifier.authenticate(authenticateRequest(headers));
    await verifier.authenticate(authenticateRequest(headers));
    expect(events.map((event) => (event.type === 'rejected' ? event.code : event.type))).toEqual(['authenticated', 'NONCE_REPLAYED']);
    expect(JSON.stringify(events)).not.toContain(key.APISecret);
    expect(JSON.stringify(events)).not.toContain(headers.Signature);
  });
});

describe('hmacSignature: a value sent twice in one JSON body', () => {
  it('is ambiguous, so a body never has one UserId checked and another used', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager, '1');
    const { body } = signed(key, 'n-dup');
    const text = JSON.stringify(body).replace('"UserId":"1"', '"UserId":"2","UserId":"1"');
    expect(text).toContain('"UserId":"2","UserId":"1"');
    expect(await verifier.authenticate(authenticateRequest({}, { body: text }))).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_AMBIGUOUS' } });
    expect((await verifier.authenticate(authenticateRequest({}, { body }))).type).toBe('authenticated');
  });
});

describe('hmacSignature: failures per key', () => {
  it('names a live key refused for its signature, UserId or nonce, and no key for an unknown APIKey', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const wrongSecret = { ...key, APISecret: 'f'.repeat(64) };
    expect(await verifier.authenticate(authenticateRequest(signed(wrongSecret, 'p-1').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' }, credentialId: key.id });
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'p-2', { userId: '2' }).headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' }, credentialId: key.id });
    const once = signed(key, 'p-3').headers;
    expect((await verifier.authenticate(authenticateRequest(once))).type).toBe('authenticated');
    expect(await verifier.authenticate(authenticateRequest(once))).toMatchObject({ error: { code: 'NONCE_REPLAYED' }, credentialId: key.id });
    const otherApiKey = `${key.APIKey.slice(0, -1)}${key.APIKey.endsWith('0') ? '1' : '0'}`;
    const unknown = await verifier.authenticate(authenticateRequest(signed({ ...key, APIKey: otherApiKey }, 'p-4').headers));
    expect(unknown).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect(unknown).not.toHaveProperty('credentialId');
  });

  it('refuses a key whose signature was guessed from many IPs, the correct signature included, while other keys work', async () => {
    const { verifier, manager } = setup({ failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 100, maxFailuresPerCredential: 3 } });
    const key = await issueKey(manager);
    const other = await issueKey(manager, '2');
    const wrongSecret = { ...key, APISecret: 'f'.repeat(64) };
    for (let i = 1; i <= 3; i++) {
      await verifier.authenticate(authenticateRequest(signed(wrongSecret, `g-${i}`).headers, { remoteAddress: `198.51.100.${i}` }));
    }
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'g-ok').headers, { remoteAddress: '192.0.2.10' }))).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect((await verifier.authenticate(authenticateRequest(signed(other, 'g-other').headers, { remoteAddress: '198.51.100.1' }))).type).toBe('authenticated');
  });
});

describe('hmacSignature: nonce policies', () => {
  it("'unique' (the default) accepts a nonce once and rejects its replay", async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    expect((await verifier.authenticate(authenticateRequest(headers))).type).toBe('authenticated');
    expect(await verifier.authenticate(authenticateRequest(headers))).toMatchObject({ error: { code: 'NONCE_REPLAYED' } });
  });

  it("'unique' lets exactly one of 100 parallel requests with one nonce through", async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const { headers } = signed(key, 'same-nonce');
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => verifier.authenticate(authenticateRequest(headers))));
    expect(outcomes.filter((outcome) => outcome.type === 'authenticated')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.type === 'rejected' && outcome.error.code === 'NONCE_REPLAYED')).toHaveLength(99);
  });

  it("'unique' forgets a nonce after the retention window", async () => {
    const { verifier, manager, clock } = setup({ nonceRetentionInSeconds: 600 });
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    await verifier.authenticate(authenticateRequest(headers));
    clock.advanceBySeconds(601);
    expect((await verifier.authenticate(authenticateRequest(headers))).type).toBe('authenticated');
  });

  it("'increasing' accepts strictly larger integers only, atomically", async () => {
    const { verifier, manager } = setup({ noncePolicy: 'increasing' });
    const key = await issueKey(manager);
    expect((await verifier.authenticate(authenticateRequest(signed(key, 100).headers))).type).toBe('authenticated');
    for (const nonce of [100, 99, 0]) {
      expect(await verifier.authenticate(authenticateRequest(signed(key, nonce).headers))).toMatchObject({ error: { code: 'NONCE_REPLAYED' } });
    }
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'abc').headers))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    expect(await verifier.authenticate(authenticateRequest(signed(key, '0101').headers))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    const parallel = await Promise.all(Array.from({ length: 50 }, () => verifier.authenticate(authenticateRequest(signed(key, 200).headers))));
    expect(parallel.filter((outcome) => outcome.type === 'authenticated')).toHaveLength(1);
  });

  it("'issued' accepts the nonce shown at creation again and again (replayable, as KiiEx documents it) and no other", async () => {
    const { verifier, manager } = setup({ noncePolicy: 'issued' });
    const key = await issueKey(manager);
    const { headers } = signed(key, key.Nonce);
    expect((await verifier.authenticate(authenticateRequest(headers))).type).toBe('authenticated');
    expect((await verifier.authenticate(authenticateRequest(headers))).type).toBe('authenticated');
    expect(await verifier.authenticate(authenticateRequest(signed(key, '999').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('requires an ephemeral store for the replay-safe policies, naming the option', () => {
    const store = createMemoryCredentialStore();
    expect(() => hmacSignature({ store, sealer })).toThrow(/`ephemeralStore`.*'unique' \(the default\)/);
    expect(() => hmacSignature({ store, sealer, noncePolicy: 'increasing' })).toThrow(/`ephemeralStore`/);
    expect(() => hmacSignature({ store, sealer, noncePolicy: 'issued' })).not.toThrow();
    expect(() => hmacSignature({ store, sealer, noncePolicy: 'random' as HmacNoncePolicy })).toThrow(/`noncePolicy`/);
    expect(() => hmacSignature({ store } as HmacSignatureOptions)).toThrow(/`sealer`/);
  });
});

describe('hmacSignature: the hardened timestamp mode', () => {
  const nowSeconds = NOW / 1000;

  it('accepts a signed timestamp inside ±300 s, in both directions', async () => {
    const { verifier, manager } = setup({ timestamp: {} });
    const key = await issueKey(manager);
    for (const [index, offset] of [0, 300, -300].entries()) {
      expect((await verifier.authenticate(authenticateRequest(signed(key, `n-${index}`, { timestamp: nowSeconds + offset }).headers))).type).toBe('authenticated');
    }
  });

  it('rejects a timestamp at ±301 s and at 0 as out of range', async () => {
    const { verifier, manager } = setup({ timestamp: {} });
    const key = await issueKey(manager);
    for (const [index, timestamp] of [nowSeconds + 301, nowSeconds - 301, 0].entries()) {
      expect(await verifier.authenticate(authenticateRequest(signed(key, `n-${index}`, { timestamp }).headers))).toMatchObject({ error: { code: 'TIMESTAMP_OUT_OF_RANGE' } });
    }
  });

  it('rejects a negative, fractional, NaN or missing timestamp as malformed', async () => {
    const { verifier, manager } = setup({ timestamp: {} });
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1', { timestamp: nowSeconds });
    for (const Timestamp of ['-1', `${nowSeconds}.5`, 'NaN', '1e9', ' ']) {
      expect(await verifier.authenticate(authenticateRequest({ ...headers, Timestamp }))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    }
    const { Timestamp: _omitted, ...withoutTimestamp } = headers;
    expect(await verifier.authenticate(authenticateRequest(withoutTimestamp))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
  });

  it('rejects a timestamp that was not signed (a plain KiiEx signature with a Timestamp header)', async () => {
    const { verifier, manager } = setup({ timestamp: {} });
    const key = await issueKey(manager);
    const { headers } = signed(key, 'n-1');
    expect(await verifier.authenticate(authenticateRequest({ ...headers, Timestamp: String(nowSeconds) }))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('refuses a nonce retention shorter than twice the tolerance', () => {
    expect(() => hmacSignature({ store: createMemoryCredentialStore(), sealer, ephemeralStore: createMemoryEphemeralStore(), timestamp: { toleranceInSeconds: 300 }, nonceRetentionInSeconds: 500 })).toThrow(/`nonceRetentionInSeconds`/);
  });
});

describe('secret rotation', () => {
  it('accepts both secrets during the overlap and only the new one after it', async () => {
    const { verifier, manager, clock } = setup();
    const key = await issueKey(manager);
    const rotated = await manager.rotate('1', { id: key.id }, { overlapInSeconds: 600 });
    if (!rotated.ok) throw rotated.error;
    expect(rotated.value).toEqual({ id: key.id, APISecret: rotated.value.APISecret, UserId: '1', previousSecretValidUntil: NOW + 600_000 });
    expect(rotated.value.APISecret).not.toBe(key.APISecret);
    expect((await verifier.authenticate(authenticateRequest(signed(key, 'old-1').headers))).type).toBe('authenticated');
    expect((await verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: rotated.value.APISecret }, 'new-1').headers))).type).toBe('authenticated');
    clock.advanceBySeconds(599);
    expect((await verifier.authenticate(authenticateRequest(signed(key, 'old-2').headers))).type).toBe('authenticated');
    clock.advanceBySeconds(1);
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'old-3').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect((await verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: rotated.value.APISecret }, 'new-2').headers))).type).toBe('authenticated');
  });

  it('drops the old secret at once without an overlap', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const rotated = await manager.rotate('1', { id: key.id });
    if (!rotated.ok) throw rotated.error;
    expect(rotated.value.previousSecretValidUntil).toBeNull();
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'old').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect((await verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: rotated.value.APISecret }, 'new').headers))).type).toBe('authenticated');
  });

  it('keeps the APIKey, the issued nonce and the permissions, named by the APIKey as token', async () => {
    const context = setup({ noncePolicy: 'issued' });
    const key = await issueKey(context.manager, '1', { permissions: ['Trading', 'Deposit'] });
    const rotated = await context.manager.rotate('1', { token: key.APIKey });
    if (!rotated.ok) throw rotated.error;
    expect(rotated.value.id).toBe(key.id);
    expect(await context.verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: rotated.value.APISecret }, key.Nonce).headers))).toMatchObject({
      type: 'authenticated',
      credential: { id: key.id, kind: 'api-key', scopes: ['Trading', 'Deposit'], expiresAt: null },
    });
  });

  /** Starts an `aptoken` session for `key` signed with `secret`, and a probe that tells whether it still works. */
  async function sessionOf(context: ReturnType<typeof setup>, key: { APIKey: string; UserId: string }, secret: string, nonce: string) {
    const outcome = await context.verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: secret }, nonce).headers));
    if (outcome.type !== 'authenticated') throw new Error(outcome.type === 'rejected' ? outcome.error.code : outcome.type);
    const started = await context.manager.startSession(outcome);
    if (!started.ok) throw started.error;
    const works = async (): Promise<string> => {
      const result = await context.sessions.authenticate(
        toAuthRequest(new Request('http://x/ap/GetUserInfo', { method: 'POST', headers: { aptoken: started.value.token } }), { remoteAddress: '127.0.0.1' }),
      );
      return result.type === 'rejected' ? result.error.code : result.type;
    };
    return { outcome, session: started.value, works };
  }

  it("ends every live session of the key at once when rotated without an overlap, and only that key's", async () => {
    const context = setup();
    const key = await issueKey(context.manager);
    const otherKey = await issueKey(context.manager);
    const first = await sessionOf(context, key, key.APISecret, 's-1');
    const second = await sessionOf(context, key, key.APISecret, 's-2');
    const unrelated = await sessionOf(context, otherKey, otherKey.APISecret, 's-3');
    const web = await context.manager.startWebSession({ userId: '1', userName: 'demo' });
    if (!web.ok) throw web.error;
    const rotated = await context.manager.rotate('1', { id: key.id });
    if (!rotated.ok) throw rotated.error;
    expect(await first.works()).toBe('CREDENTIALS_INVALID');
    expect(await second.works()).toBe('CREDENTIALS_INVALID');
    expect(await unrelated.works()).toBe('authenticated');
    expect((await context.store.findById(web.value.credentialId))?.revokedAt).toBeNull();
    // The new secret starts sessions that live their full lifetime.
    const fresh = await sessionOf(context, key, rotated.value.APISecret, 's-4');
    expect(fresh.session.expiresAt).toBe(NOW + 86_400_000);
    expect(await fresh.works()).toBe('authenticated');
  });

  it("cuts every live session of the key to the overlap's end when rotated with an overlap", async () => {
    const context = setup();
    const key = await issueKey(context.manager);
    const otherKey = await issueKey(context.manager);
    const before = await sessionOf(context, key, key.APISecret, 'o-1');
    const unrelated = await sessionOf(context, otherKey, otherKey.APISecret, 'o-2');
    expect(before.session.expiresAt).toBe(NOW + 86_400_000);
    const rotated = await context.manager.rotate('1', { id: key.id }, { overlapInSeconds: 600 });
    if (!rotated.ok) throw rotated.error;
    expect((await context.store.findById(before.session.credentialId))?.expiresAt).toBe(NOW + 600_000);
    expect((await context.store.findById(unrelated.session.credentialId))?.expiresAt).toBe(NOW + 86_400_000);
    context.clock.advanceBySeconds(599);
    expect(await before.works()).toBe('authenticated');
    context.clock.advanceBySeconds(1);
    expect(await before.works()).toBe('CREDENTIALS_INVALID');
    expect(await unrelated.works()).toBe('authenticated');
  });

  it('never lengthens a session that ends before the overlap does', async () => {
    const context = setup();
    const manager = createHmacKeyManager({ store: context.store, sealer, clock: context.clock, sessionMaxAgeInSeconds: 300 });
    const key = await issueKey(manager);
    const short = await sessionOf({ ...context, manager }, key, key.APISecret, 'l-1');
    expect((await manager.rotate('1', { id: key.id }, { overlapInSeconds: 600 })).ok).toBe(true);
    expect((await context.store.findById(short.session.credentialId))?.expiresAt).toBe(NOW + 300_000);
  });

  it('ends a session started during the overlap with the previous secret when the overlap ends; the new secret starts full sessions', async () => {
    const context = setup();
    const key = await issueKey(context.manager);
    const rotated = await context.manager.rotate('1', { id: key.id }, { overlapInSeconds: 600 });
    if (!rotated.ok) throw rotated.error;
    context.clock.advanceBySeconds(100);
    const withPrevious = await sessionOf(context, key, key.APISecret, 'p-1');
    // The credential reports the previous secret's end, and the session it starts ends then too.
    expect(withPrevious.outcome).toMatchObject({ credential: { id: key.id, expiresAt: NOW + 600_000 } });
    expect(withPrevious.session.expiresAt).toBe(NOW + 600_000);
    const withCurrent = await sessionOf(context, key, rotated.value.APISecret, 'p-2');
    expect(withCurrent.outcome).toMatchObject({ credential: { id: key.id, expiresAt: null } });
    expect(withCurrent.session.expiresAt).toBe(NOW + 100_000 + 86_400_000);
    context.clock.advanceBySeconds(499);
    expect(await withPrevious.works()).toBe('authenticated');
    context.clock.advanceBySeconds(1);
    expect(await withPrevious.works()).toBe('CREDENTIALS_INVALID');
    expect(await withCurrent.works()).toBe('authenticated');
  });
});

describe('hmacSignature: a body consumed before authentication', () => {
  /** An AuthenticateUser request whose body a handler or body parser already read. */
  async function consumed(headers: Record<string, string>, body: unknown): Promise<AuthRequest> {
    const request = new Request('http://x/AuthenticateUser', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await request.text();
    return toAuthRequest(request, { remoteAddress: '127.0.0.1' });
  }

  it('is refused with INTERNAL_ERROR and a cause that says how to fix it, never MALFORMED, even with every value in the headers', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const one = signed(key, 'u-1');
    for (const request of [await consumed(one.headers, one.body), await consumed({}, one.body)]) {
      const outcome = await verifier.authenticate(request);
      expect(outcome).toMatchObject({ type: 'rejected', error: { code: 'INTERNAL_ERROR' } });
      expect(outcome).not.toHaveProperty('credentialId');
      const cause = outcome.type === 'rejected' ? outcome.error.cause : undefined;
      expect(cause).toBeInstanceOf(Error);
      expect((cause as Error).message).toMatch(/consumed before authentication/);
      expect((cause as Error).message).toMatch(/req\.rawBody|readBody/);
      expect(verifier.renderRefusal(outcome as AuthRefusal)).toEqual({
        httpStatus: 500,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: { Authenticated: false, errormsg: 'Internal error' },
      });
    }
  });

  it('spends no nonce: the same values authenticate once the body reaches the adapter', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    const { headers, body } = signed(key, 'u-2');
    expect(await verifier.authenticate(await consumed(headers, body))).toMatchObject({ error: { code: 'INTERNAL_ERROR' } });
    expect((await verifier.authenticate(authenticateRequest(headers, { body }))).type).toBe('authenticated');
  });

  it('is read as invalid with code INTERNAL_ERROR by readAuthenticateUser', async () => {
    const read = await readAuthenticateUser(await consumed({ APIKey: 'ab'.repeat(16) }, {}));
    expect(read).toMatchObject({ type: 'invalid', code: 'INTERNAL_ERROR' });
    expect(read.type === 'invalid' && read.cause?.message).toMatch(/body/);
  });
});

describe('rendering', () => {
  const CODES = Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[];
  const refused = (code: AuthErrorCode): AuthRefusal => ({ type: 'rejected', error: new AuthError(code) });
  const ABSENT: AuthRefusal = { type: 'absent' };
  const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
  const store = createMemoryCredentialStore();
  const guards = { failureThrottle: { store: createMemoryEphemeralStore() }, onEvent: () => undefined };
  const verifiers = {
    plain: hmacSignature({ store, sealer, noncePolicy: 'issued' }),
    guarded: hmacSignature({ store, sealer, noncePolicy: 'issued', ...guards }),
  };
  const sessionStrategies = { plain: hmacSession({ store }), guarded: hmacSession({ store, ...guards }) };

  it("renders every AuthErrorCode and absence through each strategy's renderRefusal exactly as its named renderer does", () => {
    for (const [name, verifier] of Object.entries(verifiers)) {
      for (const code of CODES) {
        const wire = HMAC_WIRE_ERRORS[code];
        const expected = { httpStatus: wire.httpStatus, headers: JSON_HEADERS, body: { Authenticated: false, errormsg: wire.authenticateUser } };
        expect(verifier.renderRefusal(refused(code)), `${name} ${code}`).toEqual(expected);
        expect(renderAuthenticateUserError(new AuthError(code)), code).toEqual(expected);
      }
      expect(verifier.renderRefusal(ABSENT), name).toEqual({
        httpStatus: 401,
        headers: JSON_HEADERS,
        body: { Authenticated: false, errormsg: 'APIKey, Signature, UserId and Nonce are required' },
      });
      expect(verifier.renderRefusal(ABSENT)).toEqual(renderAuthenticateUserError(new AuthError('CREDENTIALS_MISSING')));
    }
    for (const [name, sessions] of Object.entries(sessionStrategies)) {
      for (const code of CODES) {
        const wire = HMAC_WIRE_ERRORS[code];
        const expected = { httpStatus: wire.httpStatus, headers: JSON_HEADERS, body: { result: false, errormsg: wire.errormsg, errorcode: wire.errorcode, detail: null } };
        expect(sessions.renderRefusal(refused(code)), `${name} ${code}`).toEqual(expected);
        expect(renderApexError(new AuthError(code)), code).toEqual(expected);
      }
      expect(sessions.renderRefusal(ABSENT), name).toEqual({
        httpStatus: 401,
        headers: JSON_HEADERS,
        body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null },
      });
      expect(sessions.renderRefusal(ABSENT)).toEqual(renderApexError(new AuthError('CREDENTIALS_MISSING')));
    }
  });

  it('renders the exact AuthenticateUser and APEX envelopes for a few codes', () => {
    expect(JSON.stringify(verifiers.plain.renderRefusal(refused('CREDENTIALS_INVALID')))).toBe(
      '{"httpStatus":401,"headers":{"content-type":"application/json; charset=utf-8"},"body":{"Authenticated":false,"errormsg":"Invalid API key, user or signature"}}',
    );
    expect(JSON.stringify(verifiers.guarded.renderRefusal(refused('NONCE_REPLAYED')))).toBe(
      '{"httpStatus":401,"headers":{"content-type":"application/json; charset=utf-8"},"body":{"Authenticated":false,"errormsg":"Nonce already used"}}',
    );
    expect(JSON.stringify(sessionStrategies.plain.renderRefusal(refused('STORE_UNAVAILABLE')))).toBe(
      '{"httpStatus":503,"headers":{"content-type":"application/json; charset=utf-8"},"body":{"result":false,"errormsg":"Operation Failed","errorcode":100,"detail":null}}',
    );
    expect(JSON.stringify(sessionStrategies.guarded.renderRefusal(refused('SCOPE_DENIED')))).toBe(
      '{"httpStatus":403,"headers":{"content-type":"application/json; charset=utf-8"},"body":{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}}',
    );
  });

  it('renders a success as APEX does, the payload itself, in both strategies', () => {
    const payload = { result: true, errormsg: null, errorcode: 0, detail: null };
    for (const strategy of [...Object.values(verifiers), ...Object.values(sessionStrategies)]) {
      expect(strategy.renderSuccess?.(payload)).toEqual({ httpStatus: 200, headers: JSON_HEADERS, body: payload });
      expect(strategy.renderSuccess?.(payload, { httpStatus: 201 })).toEqual({ httpStatus: 201, headers: JSON_HEADERS, body: payload });
      expect(renderSuccess(strategy, [1, 2])).toEqual(renderApexSuccess([1, 2]));
    }
  });

  it("answers a guarded route in the scheme's envelope: no aptoken, and a session without the permission", async () => {
    const context = setup();
    const guard = createAuthGuard(context.sessions, { require: 'Trading' });
    const noToken = await guard(toAuthRequest(new Request('http://x/ap/SendOrder', { method: 'POST' })));
    expect(noToken).toMatchObject({ type: 'refused', reply: { httpStatus: 401, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } } });
    const key = await issueKey(context.manager, '1', { permissions: ['Deposit'] });
    const outcome = await context.verifier.authenticate(authenticateRequest(signed(key, 'g-1').headers));
    if (outcome.type !== 'authenticated') throw new Error(outcome.type);
    const session = await context.manager.startSession(outcome);
    if (!session.ok) throw session.error;
    const denied = await guard(toAuthRequest(new Request('http://x/ap/SendOrder', { method: 'POST', headers: { aptoken: session.value.token } })));
    expect(denied).toMatchObject({ type: 'refused', reply: { httpStatus: 403, body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null } } });
    const signIn = await createAuthGuard(context.verifier)(authenticateRequest({}));
    expect(signIn).toMatchObject({ type: 'refused', reply: { httpStatus: 401, body: { Authenticated: false, errormsg: 'APIKey, Signature, UserId and Nonce are required' } } });
  });
});

describe('hmacSession: aptoken', () => {
  async function login(context: ReturnType<typeof setup>, permissions = ['Trading']) {
    const key = await issueKey(context.manager, '1', { permissions });
    const outcome = await context.verifier.authenticate(authenticateRequest(signed(key, `n-${Math.random()}`).headers));
    if (outcome.type !== 'authenticated') throw new Error(outcome.type);
    const session = await context.manager.startSession(outcome);
    if (!session.ok) throw session.error;
    return { key, session: session.value };
  }
  const call = (token: string, path = '/ap/GetUserInfo') => toAuthRequest(new Request(`http://x${path}`, { method: 'POST', headers: { aptoken: token } }), { remoteAddress: '127.0.0.1' });

  it('authenticates a fresh session token, distinct from the key and secret, with the key\'s permissions', async () => {
    const context = setup();
    const { key, session } = await login(context);
    expect(session.token).toMatch(/^[0-9a-f]{64}$/);
    expect(session.token).not.toContain(key.APIKey);
    expect(session.token).not.toBe(key.APISecret);
    expect(await context.sessions.authenticate(call(session.token))).toMatchObject({ type: 'authenticated', principal: { id: '1' }, credential: { kind: 'session', scopes: ['Trading'] } });
  });

  it('gives every AuthenticateUser its own token', async () => {
    const context = setup();
    const first = await login(context);
    const second = await login(context);
    expect(first.session.token).not.toBe(second.session.token);
  });

  it("kills a removed key's live sessions at once", async () => {
    const context = setup();
    const { key, session } = await login(context);
    expect((await context.sessions.authenticate(call(session.token))).type).toBe('authenticated');
    expect((await context.manager.revoke('1', { token: key.APIKey })).ok).toBe(true);
    expect(await context.sessions.authenticate(call(session.token))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('ends a session after the idle timeout and after the absolute lifetime', async () => {
    const context = setup();
    const { session } = await login(context);
    context.clock.advanceBySeconds(1_801);
    expect(await context.sessions.authenticate(call(session.token))).toMatchObject({ error: { code: 'CREDENTIALS_EXPIRED' } });
    const fresh = await login(context);
    for (let i = 0; i < 60; i++) {
      context.clock.advanceBySeconds(1_500);
      await context.sessions.authenticate(call(fresh.session.token));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(await context.sessions.authenticate(call(fresh.session.token))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('ends a session on LogOut', async () => {
    const context = setup();
    const { session } = await login(context);
    const outcome = await context.sessions.authenticate(call(session.token));
    if (outcome.type !== 'authenticated') throw new Error('not authenticated');
    expect((await context.manager.endSession(outcome.credential)).ok).toBe(true);
    expect(await context.sessions.authenticate(call(session.token))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('refuses a session token or an API key where only API keys start sessions', async () => {
    const context = setup();
    const { session } = await login(context);
    const outcome = await context.sessions.authenticate(call(session.token));
    if (outcome.type !== 'authenticated') throw new Error('not authenticated');
    expect(await context.manager.startSession(outcome)).toMatchObject({ ok: false, error: { code: 'OPERATION_NOT_PERMITTED' } });
  });

  it('requires a permission with requirePermission, rendered as the APEX 403 error', async () => {
    const context = setup();
    const { session } = await login(context, ['Deposit']);
    const outcome = requirePermission(await context.sessions.authenticate(call(session.token, '/ap/SendOrder')), 'Trading');
    expect(outcome).toMatchObject({ error: { code: 'SCOPE_DENIED' } });
    expect(outcome.type === 'rejected' && renderApexError(outcome.error)).toEqual({
      httpStatus: 403,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null },
    });
  });

  it("carries the key's allowed IPs to its sessions", async () => {
    const context = setup();
    const key = await issueKey(context.manager, '1', { allowedIps: ['127.0.0.2'] });
    const outcome = await context.verifier.authenticate(authenticateRequest(signed(key, 'n-ip').headers, { remoteAddress: '127.0.0.2' }));
    if (outcome.type !== 'authenticated') throw new Error(outcome.type);
    const session = await context.manager.startSession(outcome);
    if (!session.ok) throw session.error;
    const from = (remoteAddress: string) => toAuthRequest(new Request('http://x/ap/GetUserInfo', { method: 'POST', headers: { aptoken: session.value.token } }), { remoteAddress });
    expect((await context.sessions.authenticate(from('127.0.0.2'))).type).toBe('authenticated');
    expect(await context.sessions.authenticate(from('127.0.0.1'))).toMatchObject({ error: { code: 'IP_NOT_ALLOWED' } });
  });

  it('ends the oldest session when a user reaches the session limit', async () => {
    const store = createMemoryCredentialStore();
    const context = setup({}, store);
    const manager = createHmacKeyManager({ store, sealer, clock: context.clock, maxSessionsPerUser: 2 });
    const key = await issueKey(manager);
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await context.verifier.authenticate(authenticateRequest(signed(key, `n-limit-${i}`).headers));
      if (outcome.type !== 'authenticated') throw new Error(outcome.type);
      const session = await manager.startSession(outcome);
      if (!session.ok) throw session.error;
      tokens.push(session.value.token);
      context.clock.advanceBySeconds(1);
    }
    expect(await context.sessions.authenticate(call(tokens[0]!))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect((await context.sessions.authenticate(call(tokens[2]!))).type).toBe('authenticated');
  });

  it('rejects malformed, duplicated and unknown tokens, absent when none', async () => {
    const context = setup();
    expect((await context.sessions.authenticate(toAuthRequest(new Request('http://x/ap/GetUserInfo', { method: 'POST' })))).type).toBe('absent');
    expect(await context.sessions.authenticate(call('nope'))).toMatchObject({ error: { code: 'CREDENTIALS_MALFORMED' } });
    expect(await context.sessions.authenticate(call('ab'.repeat(32)))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('refuses an idle timeout under 120 s, naming the option', () => {
    expect(() => hmacSession({ store: createMemoryCredentialStore(), idleTimeoutInSeconds: 60 })).toThrow(/`idleTimeoutInSeconds`/);
  });
});

describe('hmacSession: sessionKinds', () => {
  const call = (token: string) => toAuthRequest(new Request('http://x/ap/GetUserAPIKeys', { method: 'POST', headers: { aptoken: token } }), { remoteAddress: '127.0.0.1' });
  async function bothKinds(context: ReturnType<typeof setup>) {
    const key = await issueKey(context.manager);
    const outcome = await context.verifier.authenticate(authenticateRequest(signed(key, 'kinds-1').headers));
    if (outcome.type !== 'authenticated') throw new Error(outcome.type);
    const api = await context.manager.startSession(outcome);
    const web = await context.manager.startWebSession({ userId: '1', userName: 'alice' });
    if (!api.ok) throw api.error;
    if (!web.ok) throw web.error;
    return { api: api.value.token, web: web.value.token };
  }

  it("accepts API-key sessions only by default: a live web session is CREDENTIALS_NOT_ACCEPTED_HERE, rendered as APEX's 401", async () => {
    const context = setup();
    const tokens = await bothKinds(context);
    expect(await context.sessions.authenticate(call(tokens.api))).toMatchObject({ type: 'authenticated', credential: { kind: 'session', scopes: ['Trading'] } });
    const refused = await context.sessions.authenticate(call(tokens.web));
    expect(refused).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
    expect(refused.type === 'rejected' && context.sessions.renderRefusal(refused)).toEqual({
      httpStatus: 401,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { result: false, errormsg: 'Not Authorized', errorcode: 20, detail: null },
    });
  });

  it("accepts web sessions with ['web'] or ['api', 'web'], as credential kind web-session with no permissions and the user's name", async () => {
    const context = setup();
    const tokens = await bothKinds(context);
    const webOnly = hmacSession({ store: context.store, clock: context.clock, sessionKinds: ['web'] });
    const both = hmacSession({ store: context.store, clock: context.clock, sessionKinds: ['api', 'web'] });
    const web = { type: 'authenticated', principal: { id: '1', attributes: { userName: 'alice' } }, credential: { kind: 'web-session', scopes: [] } };
    expect(await webOnly.authenticate(call(tokens.web))).toMatchObject(web);
    expect(await webOnly.authenticate(call(tokens.api))).toMatchObject({ type: 'rejected', error: { code: 'CREDENTIALS_NOT_ACCEPTED_HERE' } });
    expect(await both.authenticate(call(tokens.web))).toMatchObject(web);
    expect(await both.authenticate(call(tokens.api))).toMatchObject({ type: 'authenticated', credential: { kind: 'session', scopes: ['Trading'] } });
    // An API key, an unknown token and an ended web session are invalid, whichever kinds are accepted.
    expect(await both.authenticate(call('ab'.repeat(32)))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    const outcome = await both.authenticate(call(tokens.web));
    if (outcome.type !== 'authenticated') throw new Error(outcome.type);
    expect((await context.manager.endSession(outcome.credential)).ok).toBe(true);
    expect(await both.authenticate(call(tokens.web))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('ends a web session after the idle timeout and after webSessionMaxAgeInSeconds', async () => {
    const context = setup();
    const sessions = hmacSession({ store: context.store, clock: context.clock, sessionKinds: ['web'], idleTimeoutInSeconds: 7_200 });
    const idle = await context.manager.startWebSession({ userId: '1', userName: 'alice' });
    if (!idle.ok) throw idle.error;
    context.clock.advanceBySeconds(7_201);
    expect(await sessions.authenticate(call(idle.value.token))).toMatchObject({ error: { code: 'CREDENTIALS_EXPIRED' } });
    const used = await context.manager.startWebSession({ userId: '1', userName: 'alice' });
    if (!used.ok) throw used.error;
    // Used every 4,000 s, it stays live up to 12 hours (43,200 s) and ends then.
    for (let i = 0; i < 10; i++) {
      context.clock.advanceBySeconds(4_000);
      expect((await sessions.authenticate(call(used.value.token))).type, `after ${(i + 1) * 4_000} s`).toBe('authenticated');
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    context.clock.advanceBySeconds(4_000);
    expect(await sessions.authenticate(call(used.value.token))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('refuses sessionKinds other than a non-empty array of api and web, naming the option', () => {
    const store = createMemoryCredentialStore();
    for (const sessionKinds of [[], ['admin'], 'web', ['api', 'session'], [null]]) {
      expect(() => hmacSession({ store, sessionKinds: sessionKinds as never }), JSON.stringify(sessionKinds)).toThrow(/`sessionKinds`/);
    }
  });
});

describe('opened-secret cache', () => {
  /** The test sealer, counting how often a sealed secret is opened. */
  function countingSealer() {
    const counter = { opens: 0 };
    const counting: typeof sealer = {
      currentKeyId: sealer.currentKeyId,
      seal: (plaintext, context) => sealer.seal(plaintext, context),
      open: (sealed, context) => {
        counter.opens++;
        return sealer.open(sealed, context);
      },
      needsReseal: (sealed) => sealer.needsReseal(sealed),
    };
    return { counting, counter };
  }

  it('opens a key\'s sealed secret once, then verifies from the prepared key', async () => {
    const { counting, counter } = countingSealer();
    const { verifier, manager } = setup({ sealer: counting });
    const key = await issueKey(manager);
    for (let i = 0; i < 3; i++) expect((await verifier.authenticate(authenticateRequest(signed(key, `c-${i}`).headers))).type).toBe('authenticated');
    expect(await verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: 'f'.repeat(64) }, 'c-wrong').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect(counter.opens).toBe(1);
  });

  it('never serves a rotated-away secret, with or without an overlap', async () => {
    const { verifier, manager, clock } = setup();
    const key = await issueKey(manager);
    expect((await verifier.authenticate(authenticateRequest(signed(key, 'r-1').headers))).type).toBe('authenticated');
    const rotated = await manager.rotate('1', { id: key.id });
    if (!rotated.ok) throw rotated.error;
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'r-2').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    const next = { ...key, APISecret: rotated.value.APISecret };
    expect((await verifier.authenticate(authenticateRequest(signed(next, 'r-3').headers))).type).toBe('authenticated');
    const again = await manager.rotate('1', { id: key.id }, { overlapInSeconds: 60 });
    if (!again.ok) throw again.error;
    expect((await verifier.authenticate(authenticateRequest(signed(next, 'r-4').headers))).type).toBe('authenticated');
    clock.advanceBySeconds(61);
    expect(await verifier.authenticate(authenticateRequest(signed(next, 'r-5').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
    expect((await verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: again.value.APISecret }, 'r-6').headers))).type).toBe('authenticated');
  });

  it('refuses a removed key even when its secret is cached', async () => {
    const { verifier, manager } = setup();
    const key = await issueKey(manager);
    expect((await verifier.authenticate(authenticateRequest(signed(key, 'x-1').headers))).type).toBe('authenticated');
    expect((await manager.revoke('1', { id: key.id })).ok).toBe(true);
    expect(await verifier.authenticate(authenticateRequest(signed(key, 'x-2').headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
  });

  it('still reads the record on every request, by the same digest, once an APIKey\'s digest is remembered', async () => {
    const inner = createMemoryCredentialStore();
    const looked: string[] = [];
    const store: CredentialStore = { ...inner, findByDigest: (digest) => (looked.push(digest), inner.findByDigest(digest)) };
    for (const secretCacheSize of [0, 1]) {
      looked.length = 0;
      const { verifier, manager } = setup({ secretCacheSize }, store);
      const key = await issueKey(manager, `d${secretCacheSize}`);
      const other = await issueKey(manager, `e${secretCacheSize}`);
      for (const [i, used] of [key, key, other, key].entries()) {
        expect((await verifier.authenticate(authenticateRequest(signed(used, `d-${secretCacheSize}-${i}`).headers))).type).toBe('authenticated');
      }
      expect(await verifier.authenticate(authenticateRequest(signed({ ...key, APISecret: 'f'.repeat(64) }, `d-${secretCacheSize}-x`).headers))).toMatchObject({ error: { code: 'CREDENTIALS_INVALID' } });
      const [first, second, third, fourth, fifth] = looked;
      expect(looked).toHaveLength(5);
      expect([second, fourth, fifth]).toEqual([first, first, first]);
      expect(third).not.toBe(first);
      expect((await inner.findByDigest(first as string))?.id).toBe(key.id);
    }
  });

  it('keeps at most secretCacheSize keys, and none with 0', async () => {
    for (const [secretCacheSize, expectedOpens] of [
      [0, 4],
      [1, 4],
      [2, 2],
    ] as const) {
      const { counting, counter } = countingSealer();
      const { verifier, manager } = setup({ sealer: counting, secretCacheSize });
      const first = await issueKey(manager, '1');
      const second = await issueKey(manager, '2');
      for (const [i, key] of [first, second, first, second].entries()) {
        expect((await verifier.authenticate(authenticateRequest(signed(key, `s-${secretCacheSize}-${i}`).headers))).type).toBe('authenticated');
      }
      expect(counter.opens, `secretCacheSize ${secretCacheSize}`).toBe(expectedOpens);
    }
  });

  it('refuses a bad secretCacheSize, naming it', () => {
    for (const secretCacheSize of [-1, 1.5, Number.NaN]) {
      expect(() => hmacSignature({ store: createMemoryCredentialStore(), sealer, noncePolicy: 'issued', secretCacheSize })).toThrow(/`secretCacheSize`/);
    }
  });
});
