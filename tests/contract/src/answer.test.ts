// One generic "answer this request" function (createAuthGuard) over every strategy: each answers absence, every
// rejection code and success in its own scheme's exact envelope, on real requests where a request can cause the
// refusal, without the caller knowing the scheme.
import {
  AUTH_ERROR_CODES,
  createAuthGuard,
  createFetchRequestAdapter,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  firstOf,
  rejected,
  renderSuccess,
  type AuthErrorCode,
  type AuthRefusal,
  type AuthStrategy,
  type CredentialStore,
  type Principal,
  type WireReply,
} from '@gatehouse/auth-core';
import { createSecretSealer, randomBytes } from '@gatehouse/auth-core/crypto';
import { accessHashCookie, createAccessHashManager } from '@gatehouse/strategy-access-hash-cookie';
import { createHmacKeyManager, hmacSession, hmacSignature, signAuthenticateUser } from '@gatehouse/strategy-hmac-signature';
import { createNvxHashManager, nvxHash } from '@gatehouse/strategy-nvx-hash';
import { createTemplateKeyManager, templateKey } from '@gatehouse/strategy-template';
import { beforeAll, describe, expect, it } from 'vitest';
import fixture from './wire-replies.json' with { type: 'json' };

type Replies = { absent: WireReply<unknown>; success: WireReply<unknown>; rejected: Record<AuthErrorCode, WireReply<unknown>> };
const expected = fixture.strategies as unknown as Record<string, Replies>;
const PAYLOAD = { id: 7, name: 'x' };
const CLIENT = '203.0.113.7';
const toAuthRequest = createFetchRequestAdapter();
const send = (url: string, init: RequestInit = {}, remoteAddress = CLIENT) => toAuthRequest(new Request(`http://api.test${url}`, init), { remoteAddress });

const store = createMemoryCredentialStore();
const failing = async (): Promise<never> => {
  throw new Error('store down');
};
const brokenStore: CredentialStore = { ...createMemoryCredentialStore(), findByDigest: failing, findById: failing };
const sealer = createSecretSealer([randomBytes(32)]);
const ephemeral = createMemoryEphemeralStore();

/** Each strategy with how to make its requests: none, a good one, and the refusals a request can cause. */
interface Scheme {
  readonly strategy: AuthStrategy<Principal>;
  readonly broken: AuthStrategy<Principal>;
  readonly good: () => Request;
  readonly refusals: () => Partial<Record<AuthErrorCode, Request>>;
  readonly remoteAddress?: (code: AuthErrorCode) => string;
}

const credentials = {
  nvx: '',
  panel: '',
  accessHash: '',
  hmac: { APIKey: '', APISecret: '', UserId: '' },
  /** AuthenticateUser headers whose nonce has been spent. */
  spent: {} as Record<string, string>,
  aptoken: '',
  template: '',
};
let nonce = 0;
const signed = (overrides: Record<string, string> = {}): Record<string, string> => ({
  ...signAuthenticateUser({ apiKey: credentials.hmac.APIKey, apiSecret: credentials.hmac.APISecret, userId: credentials.hmac.UserId, nonce: `n-${++nonce}` }).headers,
  ...overrides,
});

const schemes: Record<string, Scheme> = {
  'nvx-hash': {
    strategy: nvxHash({ store }),
    broken: nvxHash({ store: brokenStore }),
    good: () => new Request(`http://api.test/v2/tracker/list`, { headers: { authorization: `NVX ${credentials.nvx}` } }),
    refusals: () => ({
      CREDENTIALS_MALFORMED: new Request('http://api.test/v2/tracker/list', { headers: { authorization: 'NVX not-a-hash' } }),
      CREDENTIALS_INVALID: new Request('http://api.test/v2/tracker/list', { headers: { authorization: `NVX ${'0'.repeat(32)}` } }),
      CREDENTIALS_AMBIGUOUS: new Request('http://api.test/v2/tracker/list', {
        method: 'POST',
        headers: { authorization: `NVX ${credentials.nvx}`, 'content-type': 'application/json' },
        body: JSON.stringify({ hash: credentials.panel }),
      }),
      CREDENTIALS_NOT_ACCEPTED_HERE: new Request('http://api.test/v2/panel/tariff/list', { headers: { authorization: `NVX ${credentials.nvx}` } }),
      REQUEST_MALFORMED: new Request('http://api.test/v2/tracker/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hash":' }),
    }),
  },
  'access-hash-cookie': {
    strategy: accessHashCookie({ store }),
    broken: accessHashCookie({ store: brokenStore }),
    good: () => new Request('http://api.test/api/v1/system/status', { headers: { cookie: `access_hash=${credentials.accessHash}` } }),
    refusals: () => ({
      CREDENTIALS_MALFORMED: new Request('http://api.test/api/v1/system/status', { headers: { cookie: 'access_hash=xyz' } }),
      CREDENTIALS_INVALID: new Request('http://api.test/api/v1/system/status', { headers: { cookie: `access_hash=${'0'.repeat(80)}` } }),
      CREDENTIALS_AMBIGUOUS: new Request('http://api.test/api/v1/system/status', {
        headers: { cookie: `access_hash=${credentials.accessHash}; access_hash=${'0'.repeat(80)}` },
      }),
      IP_NOT_ALLOWED: new Request('http://api.test/api/v1/system/status', { headers: { cookie: `access_hash=${credentials.accessHash}` } }),
    }),
    remoteAddress: (code) => (code === 'IP_NOT_ALLOWED' ? '198.51.100.1' : CLIENT),
  },
  'hmac-signature': {
    strategy: hmacSignature({ store, sealer, ephemeralStore: ephemeral, noncePolicy: 'unique' }),
    broken: hmacSignature({ store: brokenStore, sealer, ephemeralStore: ephemeral, noncePolicy: 'unique' }),
    good: () => new Request('http://api.test/AuthenticateUser', { method: 'POST', headers: signed() }),
    refusals: () => ({
      CREDENTIALS_MALFORMED: new Request('http://api.test/AuthenticateUser', { method: 'POST', headers: signed({ Signature: 'nope' }) }),
      CREDENTIALS_INVALID: new Request('http://api.test/AuthenticateUser', { method: 'POST', headers: signed({ Signature: 'a'.repeat(64) }) }),
      CREDENTIALS_AMBIGUOUS: new Request('http://api.test/AuthenticateUser', {
        method: 'POST',
        headers: { ...signed(), 'content-type': 'application/json' },
        body: JSON.stringify({ UserId: 'someone-else' }),
      }),
      NONCE_REPLAYED: new Request('http://api.test/AuthenticateUser', { method: 'POST', headers: credentials.spent }),
    }),
  },
  'hmac-signature:session': {
    strategy: hmacSession({ store }),
    broken: hmacSession({ store: brokenStore }),
    good: () => new Request('http://api.test/ap/GetUserInfo', { method: 'POST', headers: { aptoken: credentials.aptoken } }),
    refusals: () => ({
      CREDENTIALS_MALFORMED: new Request('http://api.test/ap/GetUserInfo', { method: 'POST', headers: { aptoken: 'short' } }),
      CREDENTIALS_INVALID: new Request('http://api.test/ap/GetUserInfo', { method: 'POST', headers: { aptoken: '0'.repeat(64) } }),
    }),
  },
  'template-key': {
    strategy: templateKey({ store }),
    broken: templateKey({ store: brokenStore }),
    good: () => new Request('http://api.test/resource', { headers: { 'x-template-key': credentials.template } }),
    refusals: () => ({
      CREDENTIALS_MALFORMED: new Request('http://api.test/resource', { headers: { 'x-template-key': 'short' } }),
      CREDENTIALS_INVALID: new Request('http://api.test/resource', { headers: { 'x-template-key': '0'.repeat(64) } }),
    }),
  },
};

beforeAll(async () => {
  const owner = { id: '1', accountType: 'master' } as const;
  const nvxManager = createNvxHashManager({ store });
  const key = await nvxManager.issue(owner, { title: 'answer' });
  const panel = await nvxManager.startPanelSession('9');
  const access = await createAccessHashManager({ store }).issue('admin', { name: 'answer', ip: CLIENT });
  const hmacManager = createHmacKeyManager({ store, sealer });
  const hmacKey = await hmacManager.issue('7', { permissions: ['Trading'] });
  const template = await createTemplateKeyManager({ store }).issue('owner-1', { label: 'answer' });
  if (!key.ok || !panel.ok || !access.ok || !hmacKey.ok || !template.ok) throw new Error('could not issue credentials');
  credentials.nvx = key.value.hash;
  credentials.panel = panel.value.hash;
  credentials.accessHash = access.value.hash;
  credentials.hmac = hmacKey.value;
  credentials.template = template.value.key;
  credentials.spent = signed();
  const first = new Request('http://api.test/AuthenticateUser', { method: 'POST', headers: credentials.spent });
  const outcome = await schemes['hmac-signature']!.strategy.authenticate(toAuthRequest(first, { remoteAddress: CLIENT }));
  if (outcome.type !== 'authenticated') throw new Error('could not authenticate the HMAC key');
  const session = await hmacManager.startSession(outcome);
  if (!session.ok) throw new Error('could not start an aptoken session');
  credentials.aptoken = session.value.token;
});

describe.each(Object.entries(schemes))('createAuthGuard over %s', (id, scheme) => {
  const replies = expected[id] as Replies;
  const guard = createAuthGuard(scheme.strategy);

  it('answers a request without credentials in the scheme envelope', async () => {
    const decision = await guard(send('/v2/tracker/list'));
    expect(decision).toMatchObject({ type: 'refused' });
    expect(decision.type === 'refused' && decision.reply).toEqual(replies.absent);
  });

  it('lets a good credential through, and renders a success in the scheme envelope', async () => {
    const decision = await guard(toAuthRequest(scheme.good(), { remoteAddress: CLIENT }));
    expect(decision).toMatchObject({ type: 'allowed', auth: { strategyId: id } });
    expect(renderSuccess(scheme.strategy, PAYLOAD)).toEqual(replies.success);
  });

  it('answers each refusal a request can cause with that code exact reply', async () => {
    const refusals = Object.entries(scheme.refusals()) as [AuthErrorCode, Request][];
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    for (const [code, request] of refusals) {
      const decision = await guard(toAuthRequest(request, { remoteAddress: scheme.remoteAddress?.(code) ?? CLIENT }));
      expect(decision.type === 'refused' && decision.refusal.type === 'rejected' ? decision.refusal.error.code : decision.type, id).toBe(code);
      expect(decision.type === 'refused' && decision.reply, `${id} ${code}`).toEqual(replies.rejected[code]);
    }
  });

  it('answers a failing store with the STORE_UNAVAILABLE reply, never a success', async () => {
    const decision = await createAuthGuard(scheme.broken)(toAuthRequest(scheme.good(), { remoteAddress: CLIENT }));
    expect(decision.type === 'refused' && decision.reply).toEqual(replies.rejected.STORE_UNAVAILABLE);
  });

  it('answers a permission the credential lacks with the SCOPE_DENIED reply', async () => {
    const decision = await createAuthGuard(scheme.strategy, { require: 'Withdraw' })(toAuthRequest(scheme.good(), { remoteAddress: CLIENT }));
    expect(decision.type === 'refused' && decision.reply).toEqual(replies.rejected.SCOPE_DENIED);
  });

  it('renders every AuthErrorCode through renderRefusal exactly as the scheme documents it', () => {
    for (const code of Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[]) {
      expect(scheme.strategy.renderRefusal(rejected(code) as AuthRefusal), `${id} ${code}`).toEqual(replies.rejected[code]);
    }
  });
});

describe('createAuthGuard over firstOf every strategy', () => {
  const all = firstOf(Object.values(schemes).map((scheme) => scheme.strategy));
  const guard = createAuthGuard(all);

  it('answers each member refusal in that member envelope, and an absence in the first member envelope', async () => {
    for (const [id, scheme] of Object.entries(schemes)) {
      const [code, request] = Object.entries(scheme.refusals())[0] as [AuthErrorCode, Request];
      const decision = await guard(toAuthRequest(request, { remoteAddress: scheme.remoteAddress?.(code) ?? CLIENT }));
      expect(decision.type === 'refused' && decision.reply, id).toEqual((expected[id] as Replies).rejected[code]);
    }
    const nobody = await guard(send('/nothing'));
    expect(nobody.type === 'refused' && nobody.reply).toEqual((expected['nvx-hash'] as Replies).absent);
  });

  it('reports the member that accepted the request, and renders its success envelope', async () => {
    for (const [id, scheme] of Object.entries(schemes)) {
      const decision = await guard(toAuthRequest(scheme.good(), { remoteAddress: CLIENT }));
      expect(decision, id).toMatchObject({ type: 'allowed', auth: { strategyId: id } });
      expect(renderSuccess(all, PAYLOAD, { strategyId: id })).toEqual((expected[id] as Replies).success);
    }
  });
});
