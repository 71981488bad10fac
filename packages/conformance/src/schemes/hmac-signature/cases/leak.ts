// Telling nothing: one reply for every credential that does not prove the secret, no secret or signature ever
// echoed (checked on every reply of every case, and here on purpose), one reply for unknown and ended sessions.
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { hmacCase, type HmacCase, type HmacExchange, type HmacRequestSpec } from '../context.js';
import { alterCharacter, apexSignature, KIIEX_API_KEY, KIIEX_AUTHENTICATE_USER } from '../wire.js';

const REF_ONE_REPLY = `${KIIEX_API_KEY}; ${KIIEX_AUTHENTICATE_USER}; a refusal never tells which part of a credential was wrong`;
const REF_NO_ECHO = `${KIIEX_API_KEY} (the API SECRET is shown once, at creation); a reply never repeats a secret or a signature`;

export const leakCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-LEAK-001',
    'MUST',
    REF_ONE_REPLY,
    'an unknown APIKey, a wrong Signature, another UserId and a wrong secret are never accepted and all get one identical reply (status and body)',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const specs: HmacRequestSpec[] = [];
      let nonce = c.nextNonce();
      const unknownKey = alterCharacter(apiKey, -1);
      specs.push(c.loginHeaders({ APIKey: unknownKey, Signature: apexSignature(apiSecret, nonce, userId, unknownKey), UserId: userId, Nonce: nonce }));
      const values = c.values();
      specs.push(c.loginHeaders({ ...values, Signature: alterCharacter(values.Signature, -1) }));
      specs.push(c.loginHeaders(c.valuesFor(c.fx.otherUserId ?? alterCharacter(userId, -1))));
      nonce = c.nextNonce();
      specs.push(c.loginHeaders({ APIKey: apiKey, Signature: apexSignature(generateHexToken(32), nonce, userId, apiKey), UserId: userId, Nonce: nonce }));
      const sent = await c.refusedLogins(specs, 'a credential that does not prove the secret');
      c.identical(sent, 'the reply must not tell which part was wrong');
    },
  ),
  hmacCase(
    'HMAC-LEAK-002',
    'MUST',
    REF_NO_ECHO,
    'no reply ever repeats the API secret or echoes a Signature it was sent, and no refusal echoes the aptoken it was sent (checked on every reply of every case)',
    async (c) => {
      const values = c.values();
      const specs: HmacRequestSpec[] = [
        c.loginHeaders(values),
        c.loginHeaders({ ...c.values(), Signature: alterCharacter(values.Signature, 0) }),
        c.loginHeaders({ ...c.values(), Signature: values.Signature.slice(0, 40) }),
        c.loginJson({ ...c.values(), UserId: alterCharacter(c.fx.userId, -1) }),
        c.loginHeaders({ ...c.values(), APIKey: alterCharacter(c.fx.apiKey, 0) }),
        c.loginJson({ ...c.values(), APISecret: c.fx.apiSecret }),
        c.loginJson({ ...c.values(), Signature: c.fx.apiSecret }),
        c.call(c.fx.apiKey),
        c.call(values.Signature),
      ];
      // HmacCaseContext.send fails the case on any reply that repeats a secret or echoes a signature.
      for (const spec of specs) await c.send(spec);
      const token = await c.login();
      await c.send(c.call(token));
      await c.send(c.call(alterCharacter(token, 0)));
    },
  ),
  hmacCase(
    'HMAC-LEAK-003',
    'MUST',
    REF_ONE_REPLY,
    'an altered session token, a never-issued one and (with `revoke`) the token of a removed key are never let through and all get one identical reply',
    async (c) => {
      const token = await c.login();
      const tokens = [alterCharacter(token, 0), alterCharacter(token, -1)];
      if (/^[0-9a-f]+$/.test(token) && token.length % 2 === 0 && token.length >= 32) tokens.push(generateHexToken(token.length / 2));
      if (c.driver.capabilities.includes('revoke')) {
        const key = await c.disposableKey();
        const ended = await c.login(key);
        await c.revokeKey(key);
        tokens.push(ended);
      }
      const sent: HmacExchange[] = [];
      for (const value of tokens) {
        const one = await c.send(c.call(value));
        c.refusedCall(one, 'a session token that is not live');
        sent.push(one);
      }
      c.identical(sent, 'an unknown and an ended session must not be told apart');
    },
  ),
];
