// The key and the user it belongs to: unknown keys, keys removed through the server's own management, and keys
// presented with another user's id are never accepted.
import { generateHexToken } from '@gatehouse/auth-core/crypto';
import { ConformanceSkip } from '../../../case.js';
import { hmacCase, type HmacCase, type HmacRequestSpec } from '../context.js';
import { alterCharacter, apexSignature, KIIEX_API_KEY, KIIEX_AUTHENTICATE_USER } from '../wire.js';

const REF_OWNER = `${KIIEX_API_KEY} (a key is created for a user and signed with that user's UserId); ${KIIEX_AUTHENTICATE_USER}`;
const REF_REMOVE = `${KIIEX_API_KEY} ("you can edit or delete it"); RemoveUserAPIKey of the APEX API`;

export const identityCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-KEY-001',
    'MUST',
    KIIEX_API_KEY,
    'an unknown APIKey of the right shape (one character changed, first or last; a random one), signed with the real secret over itself, is never accepted',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const unknown = [alterCharacter(apiKey, 0), alterCharacter(apiKey, -1)];
      if (/^[0-9a-f]+$/.test(apiKey) && apiKey.length % 2 === 0 && apiKey.length >= 32) unknown.push(generateHexToken(apiKey.length / 2));
      await c.refusedLogins(
        unknown.map((key) => {
          const nonce = c.nextNonce();
          return c.loginHeaders({ APIKey: key, Signature: apexSignature(apiSecret, nonce, userId, key), UserId: userId, Nonce: nonce });
        }),
        'an unknown APIKey',
      );
    },
  ),
  hmacCase(
    'HMAC-KEY-002',
    'MUST',
    REF_REMOVE,
    "a key removed through the server's own management (over HTTP, `RemoveUserAPIKey`) is refused on the very next request, with exactly the reply an unknown key gets",
    async (c) => {
      const key = await c.disposableKey();
      await c.login(key);
      await c.revokeKey(key);
      const [revoked] = await c.refusedLogins([c.loginHeaders(c.values(key))], 'a removed key');
      const other = alterCharacter(key.apiKey, -1);
      const nonce = c.nextNonce(key);
      const unknown = await c.send(c.loginHeaders({ APIKey: other, Signature: apexSignature(key.apiSecret, nonce, key.userId, other), UserId: key.userId, Nonce: nonce }));
      c.refusedLogin(unknown, 'an unknown APIKey');
      c.identical([unknown, revoked as NonNullable<typeof revoked>], 'a removed key and an unknown key must not be told apart');
    },
    { requires: ['revoke'] },
  ),
  hmacCase(
    'HMAC-USER-001',
    'MUST',
    REF_OWNER,
    "a valid key with another UserId (one character changed, one appended; a real other user when the fixtures name one), correctly signed over that UserId, is never accepted",
    async (c) => {
      const { userId, otherUserId } = c.fx;
      const users = [alterCharacter(userId, -1), `${userId}0`];
      if (otherUserId !== null) users.push(otherUserId);
      await c.refusedLogins(users.map((user) => c.loginHeaders(c.valuesFor(user))), "another user's key");
    },
  ),
  hmacCase(
    'HMAC-USER-002',
    'MUST',
    `${REF_OWNER} (this also closes the ambiguity of Nonce + UserId run together)`,
    'moving characters between Nonce and UserId (the same signed bytes, so the same Signature) is never accepted: the key belongs to one UserId only',
    async (c) => {
      const values = c.values();
      const { Nonce: nonce, UserId: userId } = values;
      const specs: HmacRequestSpec[] = [];
      if (nonce.length >= 2) specs.push(c.loginHeaders({ ...values, Nonce: nonce.slice(0, -1), UserId: nonce.slice(-1) + userId }));
      if (userId.length >= 2) specs.push(c.loginHeaders({ ...values, Nonce: nonce + userId.charAt(0), UserId: userId.slice(1) }));
      if (specs.length === 0) throw new ConformanceSkip('the fixture nonce and userId are one character each: nothing to move');
      await c.refusedLogins(specs, 'a UserId shifted into the Nonce');
    },
  ),
];
