// The documented flow (KiiEx "Authenticate with API Key", "AuthenticateUser") and the envelopes of its replies.
// Only the envelope cases judge an envelope, against the declared `login_reply_casing`; every other case reads a
// reply tolerantly.
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { show } from '../../../check.js';
import { headersOf, hmacCase, type HmacCase, type HmacCaseContext, type HmacExchange } from '../context.js';
import {
  alterCharacter,
  APEX_ERROR_REPLY,
  apexNotAuthorizedProblem,
  KIIEX_API_KEY,
  KIIEX_AUTHENTICATE_USER,
  loginAccepted,
  loginEnvelopeProblem,
  loginRefusalProblem,
  sessionTokenOf,
  userIdOf,
} from '../wire.js';

const REF_HEADERS = `${KIIEX_API_KEY} (APIKEY, Signature, UserId and Nonce in the request headers; the session token as aptoken)`;
const REF_BODY = `${KIIEX_AUTHENTICATE_USER} (the four values as JSON body fields of the same names)`;
const REF_REPLY = `${KIIEX_AUTHENTICATE_USER} (the reply; its keys in lower case there, Authenticated and SessionToken on other APEX pages)`;

/** What the declared casing accepts of a reply: `null` when it conforms, else why not. */
function envelopeProblem(sent: HmacExchange, casing: 'any' | 'pascal' | 'camel', refusal: boolean): string | null {
  const judge = refusal ? loginRefusalProblem : loginEnvelopeProblem;
  if (casing !== 'any') return judge(sent.reply, casing);
  const pascal = judge(sent.reply, 'pascal');
  const camel = judge(sent.reply, 'camel');
  return pascal === null || camel === null ? null : `as Authenticated/SessionToken/User/…: ${pascal}; as authenticated/user/…: ${camel}`;
}

export const flowCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-AUTH-001',
    'MUST',
    REF_HEADERS,
    '`POST /AuthenticateUser` with the `APIKey`, `Signature`, `UserId` and `Nonce` headers, signed as KiiEx documents it, signs in: the reply carries a session token (read in any casing)',
    async (c) => {
      await c.login();
    },
  ),
  hmacCase(
    'HMAC-AUTH-002',
    'MUST',
    REF_BODY,
    'the four values as a JSON body with the same names (and no such headers) sign in the same way',
    async (c) => {
      const sent = await c.send(c.loginJson({ ...c.values() }));
      c.wire(sessionTokenOf(sent.reply) !== null && loginAccepted(sent.reply), () => `${sent.label}: the documented JSON body did not sign in: ${c.describe(sent)}`);
    },
  ),
  hmacCase(
    'HMAC-AUTH-003',
    'SHOULD',
    `${REF_HEADERS}; ${REF_BODY}`,
    'the same four values in the headers and in the JSON body at once agree, so the request signs in',
    async (c) => {
      const values = c.values();
      const sent = await c.send(c.loginJson({ ...values }, headersOf(values)));
      c.wire(sessionTokenOf(sent.reply) !== null && loginAccepted(sent.reply), () => `${sent.label}: agreeing headers and body did not sign in: ${c.describe(sent)}`);
    },
  ),
  hmacCase(
    'HMAC-ENV-001',
    'MUST',
    `${REF_REPLY}; declared login_reply_casing`,
    'the AuthenticateUser success is HTTP 200 with the reply in the declared casing: `{"Authenticated":true,"SessionToken":…,"User":{…},"Locked":false,"Requires2FA":false,"errormsg":null}` (pascal) or `{"authenticated":true,"user":{…},"locked":false,"requires2FA":false,…}` (camel)',
    async (c) => {
      const sent = await c.send(c.loginHeaders(c.values()));
      c.tokenOf(sent);
      const casing = c.parameter('login_reply_casing');
      const problem = envelopeProblem(sent, casing, false);
      c.wire(problem === null, () => `${sent.label}: ${c.describe(sent)} is not the success reply (login_reply_casing=${casing}): ${problem}`);
    },
    { parameters: ['login_reply_casing'] },
  ),
  hmacCase(
    'HMAC-ENV-002',
    'SHOULD',
    REF_REPLY,
    "the AuthenticateUser success names the user that signed in (`User.UserId` or `user.userId`, as a number or a string)",
    async (c) => {
      const sent = await c.send(c.loginHeaders(c.values()));
      c.tokenOf(sent);
      const named = userIdOf(sent.reply);
      c.wire((typeof named === 'string' || typeof named === 'number') && String(named) === c.fx.userId, () => `${sent.label}: the reply names user ${show(named)}, not ${c.fx.userId}`);
    },
  ),
  hmacCase(
    'HMAC-ENV-003',
    'MUST',
    `${REF_REPLY}; declared login_reply_casing`,
    'every AuthenticateUser refusal is `{"Authenticated":false,"errormsg":"<text>"}` (or `authenticated` under camel) without a session token: no values, a wrong signature, an unknown key',
    async (c) => {
      const values = c.values();
      const unknownKey = alterCharacter(c.fx.apiKey, -1);
      const fresh = c.values();
      const sent = await c.refusedLogins(
        [
          { method: 'POST', path: c.fx.authenticatePath },
          c.loginHeaders({ ...values, Signature: alterCharacter(values.Signature, 5) }),
          c.loginHeaders({ ...fresh, APIKey: unknownKey, Signature: apexSignatureOf(c, unknownKey, fresh.Nonce) }),
        ],
        'a sign-in without valid values',
      );
      const casing = c.parameter('login_reply_casing');
      for (const one of sent) {
        const problem = envelopeProblem(one, casing, true);
        c.wire(problem === null, () => `${one.label}: ${c.describe(one)} is not the refusal reply (login_reply_casing=${casing}): ${problem}`);
      }
    },
    { parameters: ['login_reply_casing'] },
  ),
  hmacCase(
    'HMAC-ENV-004',
    'MUST',
    APEX_ERROR_REPLY,
    'a call refused for authentication (no `aptoken`, a never-issued token, an altered token) is never let through, and answers `{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}`',
    async (c) => {
      const token = await c.login();
      const unknown = /^[0-9a-f]+$/.test(token) && token.length % 2 === 0 && token.length >= 32 ? generateHexToken(token.length / 2) : alterCharacter(alterCharacter(token, 3), 7);
      for (const value of [null, unknown, alterCharacter(token, 0), alterCharacter(token, -1)]) {
        const sent = await c.send(c.call(value));
        c.refusedCall(sent, value === null ? 'a call without aptoken' : 'a call with a session token never issued');
        const problem = apexNotAuthorizedProblem(sent.reply);
        c.wire(problem === null, () => `${sent.label}: ${c.describe(sent)} is not APEX's "Not Authorized" error: ${problem}`);
      }
    },
  ),
];

/** A signature over an unknown APIKey, made with the real secret. */
function apexSignatureOf(c: HmacCaseContext, apiKey: string, nonce: string): string {
  return c.values({ ...c.fx, apiKey }, nonce).Signature;
}
