// The session (`aptoken`, KiiEx "Authenticate with API Key": "include it in the headers as the value of aptoken"):
// it works where it was meant to, and nothing else gets in — no token, garbage, a token never issued, the session
// of a removed key, a token in the URL, two different tokens at once.
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { fail, neverAccepted, neverLeaked } from '../../../check.js';
import { hmacCase, type HmacCase, type HmacExchange } from '../context.js';
import { alterCharacter, APEX_ERROR_REPLY, APTOKEN_HEADER, callAccepted, KIIEX_API_KEY, OWASP_URL, RFC_9110_FIELDS } from '../wire.js';

const REF_APTOKEN = `${KIIEX_API_KEY} ("include it in the headers as the value of aptoken")`;
const REF_REMOVE = `${KIIEX_API_KEY} ("you can edit or delete it"); RemoveUserAPIKey of the APEX API`;
const MIB = 1024 * 1024;
/** What a header value may carry as it is (no leading or trailing space, which HTTP strips). */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

export const sessionCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-SESSION-001',
    'MUST',
    REF_APTOKEN,
    'the session token in the `aptoken` header is let through on the resource, again and again, and two sign-ins give two tokens that both work',
    async (c) => {
      const first = await c.login();
      const second = await c.login();
      for (const token of [first, first, second, first]) c.callWorks(await c.send(c.call(token)));
    },
  ),
  hmacCase(
    'HMAC-SESSION-002',
    'MUST',
    `${REF_APTOKEN}; a session token is a fresh random value, not derived from what the client sent`,
    'the session token neither is nor contains the API secret or the Signature, is not the APIKey, the Nonce or the UserId, and has at least 128 bits (32 hex or 22 other characters)',
    async (c) => {
      const values = c.values();
      const token = c.tokenOf(await c.send(c.loginHeaders(values)));
      const lower = token.toLowerCase();
      // A short token may occur in a secret by chance: "is part of" is judged from 16 characters on.
      const partOf = (secret: string): boolean => lower.length >= 16 && secret.toLowerCase().includes(lower);
      neverLeaked(!lower.includes(c.fx.apiSecret.toLowerCase()) && !partOf(c.fx.apiSecret), 'the session token contains, or is part of, the API secret');
      neverLeaked(!lower.includes(values.Signature) && !partOf(values.Signature), 'the session token contains, or is part of, the Signature');
      if ([c.fx.apiKey, values.Nonce, c.fx.userId].includes(token)) fail('the session token is the APIKey, the Nonce or the UserId');
      if (/^[0-9a-fA-F]+$/.test(token) ? token.length < 32 : token.length < 22) fail(`the session token has ${token.length} characters: fewer than 128 bits`);
    },
  ),
  hmacCase('HMAC-SESSION-003', 'MUST', `${REF_APTOKEN}; ${APEX_ERROR_REPLY}`, 'a call without `aptoken` is never let through', async (c) => {
    c.refusedCall(await c.send(c.call(null)), 'a call without aptoken');
  }),
  hmacCase(
    'HMAC-SESSION-004',
    'MUST',
    `${REF_APTOKEN}; ${APEX_ERROR_REPLY}`,
    'garbage in `aptoken` (empty, `null`, `undefined`, a word, the APIKey, the secret, the Signature, the token cut short or lengthened, 64 KiB) is never let through',
    async (c) => {
      const values = c.values();
      const token = c.tokenOf(await c.send(c.loginHeaders(values)));
      const garbage = ['', 'null', 'undefined', 'garbage', '0', c.fx.apiKey, values.Signature, token.slice(0, -1), `${token}0`, token.slice(0, token.length / 2)];
      if (HEADER_SAFE.test(c.fx.apiSecret)) garbage.push(c.fx.apiSecret);
      for (const value of garbage) c.refusedCall(await c.send(c.call(value)), 'a call with garbage in aptoken');
      c.refusedCall(await c.send(c.call('x'.repeat(64 * 1024))), 'a call with 64 KiB in aptoken', true);
      c.refusedCall(await c.send(c.call(`${token}${'0'.repeat(MIB)}`)), 'a live token followed by 1 MiB', true);
    },
  ),
  hmacCase(
    'HMAC-SESSION-005',
    'MUST',
    REF_APTOKEN,
    'a session token of the right shape that was never issued (a live token with its first or last character changed, a random one) is never let through',
    async (c) => {
      const token = await c.login();
      const unknown = [alterCharacter(token, 0), alterCharacter(token, -1)];
      if (/^[0-9a-f]+$/.test(token) && token.length % 2 === 0 && token.length >= 32) unknown.push(generateHexToken(token.length / 2));
      for (const value of unknown) c.refusedCall(await c.send(c.call(value)), 'a session token never issued');
    },
  ),
  hmacCase(
    'HMAC-SESSION-006',
    'MUST',
    `${REF_REMOVE} (removing a key ends the sessions it opened)`,
    "removing a key through the server's own management ends its live sessions at once: the very next call with their token is never let through",
    async (c) => {
      const key = await c.disposableKey();
      const first = await c.login(key);
      const second = await c.login(key);
      c.callWorks(await c.send(c.call(first)));
      await c.revokeKey(key);
      for (const token of [first, second, first]) c.refusedCall(await c.send(c.call(token)), 'the session of a removed key');
    },
    { requires: ['revoke'] },
  ),
  hmacCase(
    'HMAC-SESSION-007',
    'MUST',
    `${REF_APTOKEN} (a header); ${OWASP_URL}`,
    'the session token as a query parameter (`?aptoken=`, any casing) never lets a call through',
    async (c) => {
      const token = await c.login();
      for (const name of [APTOKEN_HEADER, 'APToken', 'SessionToken']) {
        c.refusedCall(await c.send({ method: 'POST', path: c.fx.resource, query: [[name, token]] }), 'a session token in the URL');
      }
    },
  ),
  hmacCase(
    'HMAC-SESSION-008',
    'MUST',
    `${REF_APTOKEN}; ${RFC_9110_FIELDS}`,
    'two `aptoken` header lines, a live token and a never-issued one (both orders), are refused or resolved one consistent way: never both orders let through',
    async (c) => {
      const token = await c.login();
      const other = alterCharacter(token, -1);
      const pair: HmacExchange[] = [];
      for (const lines of [[token, other], [other, token]]) {
        pair.push(await c.send({ method: 'POST', path: c.fx.resource, headers: lines.map((value) => [APTOKEN_HEADER, value] as const) }));
      }
      const [first, second] = pair as [HmacExchange, HmacExchange];
      neverAccepted(
        !(callAccepted(first.reply) && callAccepted(second.reply)),
        () => `two aptoken lines, a live and a never-issued token: both orders were let through (${c.describe(first)}; ${c.describe(second)}): the server takes whichever token is live`,
      );
      for (const one of pair) if (!callAccepted(one.reply)) c.refusalStatus(one);
    },
  ),
];
