// The signature (KiiEx "Authenticate with API Key": HMAC-SHA256 keyed with the API secret over Nonce + UserId +
// APIKey). Every wrong, cut, padded, re-encoded or differently made signature is a security case; only the case of
// the hex digits is a declared choice.
import { decodeHex, encodeBase64Url, encodeHex, generateHexToken, hmacSha256, isHexString, sha256Digest } from '@gatehouse/auth-core/crypto';
import { hmacCase, type HmacCase, type HmacCaseContext, type HmacRequestSpec } from '../context.js';
import { alterCharacter, apexSignature, hmacHex, hmacMessage, KIIEX_API_KEY, loginAccepted, sessionTokenOf } from '../wire.js';

const REF_SIGNATURE = `${KIIEX_API_KEY} (the signature: Nonce + UserId + APIKey, HMAC-SHA256 keyed with the API Secret)`;
const REF_NEVER_DECODED = `${REF_SIGNATURE}; a signature is compared whole, never cut, padded or decoded from another encoding`;

/** Requests with a fresh nonce each, whose correct Signature is replaced by `transform(signature)`. */
function withSignatures(c: HmacCaseContext, transforms: readonly ((signature: string) => string)[]): HmacRequestSpec[] {
  return transforms.map((transform) => {
    const values = c.values();
    return c.loginHeaders({ ...values, Signature: transform(values.Signature) });
  });
}

/** Requests with a fresh nonce each, signed with the right secret over another message. */
function withMessages(c: HmacCaseContext, messages: readonly ((v: { nonce: string; userId: string; apiKey: string }) => string)[]): HmacRequestSpec[] {
  const specs: HmacRequestSpec[] = [];
  for (const message of messages) {
    const nonce = c.nextNonce();
    const text = message({ nonce, userId: c.fx.userId, apiKey: c.fx.apiKey });
    if (text === hmacMessage(nonce, c.fx.userId, c.fx.apiKey)) continue;
    specs.push(c.loginHeaders({ APIKey: c.fx.apiKey, Signature: hmacHex(c.fx.apiSecret, text), UserId: c.fx.userId, Nonce: nonce }));
  }
  return specs;
}

export const signatureCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-SIG-001',
    'MUST',
    `${REF_SIGNATURE}; declared signature_hex_case (older AlphaPoint clients send upper case)`,
    'the correct Signature in upper-case and mixed-case hex, in headers and in a JSON body, is accepted under signature_hex_case=any and refused under lower-only (either way it is the right HMAC: a wire matter only)',
    async (c) => {
      const lowerOnly = c.parameter('signature_hex_case') === 'lower-only';
      const mixed = (signature: string): string => [...signature].map((ch, index) => (index % 2 === 0 ? ch.toUpperCase() : ch)).join('');
      const specs = withSignatures(c, [(signature) => signature.toUpperCase(), mixed]);
      const values = c.values();
      specs.push(c.loginJson({ ...values, Signature: values.Signature.toUpperCase() }));
      for (const spec of specs) {
        const sent = await c.send(spec);
        const accepted = loginAccepted(sent.reply) && sessionTokenOf(sent.reply) !== null;
        if (lowerOnly) {
          c.wire(!accepted, () => `${sent.label}: accepted a Signature in upper case although signature_hex_case=lower-only was declared`);
          if (!accepted) c.refusalStatus(sent);
        } else {
          c.wire(accepted, () => `${sent.label}: refused the right Signature in upper case (signature_hex_case=any): ${c.describe(sent)}`);
        }
      }
    },
    { parameters: ['signature_hex_case'] },
  ),
  hmacCase(
    'HMAC-SIG-002',
    'MUST',
    REF_SIGNATURE,
    'a Signature with one hex digit changed (first, middle or last; also in upper case) is never accepted',
    async (c) => {
      await c.refusedLogins(
        withSignatures(c, [
          (signature) => alterCharacter(signature, 0),
          (signature) => alterCharacter(signature, 32),
          (signature) => alterCharacter(signature, -1),
          (signature) => alterCharacter(signature, -1).toUpperCase(),
          (signature) => alterCharacter(signature, 7).toUpperCase(),
        ]),
        'a wrong Signature',
      );
    },
  ),
  hmacCase(
    'HMAC-SIG-003',
    'MUST',
    REF_NEVER_DECODED,
    'a truncated (63, 62, 32, 1 digits), extended (65, 66 digits, twice) or odd-length Signature is never accepted, in lower or upper case: never cut to its valid part',
    async (c) => {
      await c.refusedLogins(
        withSignatures(c, [
          (signature) => signature.slice(0, 63),
          (signature) => signature.slice(0, 62),
          (signature) => signature.slice(0, 32),
          (signature) => signature.slice(0, 1),
          (signature) => signature.slice(0, 32).toUpperCase(),
          (signature) => `${signature}0`,
          (signature) => `${signature}00`,
          (signature) => `0${signature}`,
          (signature) => signature + signature,
        ]),
        'a cut or padded Signature',
      );
    },
  ),
  hmacCase(
    'HMAC-SIG-004',
    'MUST',
    REF_NEVER_DECODED,
    'a Signature that is not plain hex (a `g`, a `0x` or `sha256=` prefix, a `-` inside, the HMAC in base64 or base64url) is never accepted',
    async (c) => {
      const base64 = (signature: string): string => btoa(String.fromCharCode(...decodeHex(signature)));
      await c.refusedLogins(
        withSignatures(c, [
          (signature) => `${signature.slice(0, 63)}g`,
          (signature) => `${signature.slice(0, 63)}G`,
          (signature) => `0x${signature.slice(2)}`,
          (signature) => `0x${signature}`,
          (signature) => `sha256=${signature}`,
          (signature) => `${signature.slice(0, 32)}-${signature.slice(33)}`,
          base64,
          (signature) => encodeBase64Url(decodeHex(signature)),
        ]),
        'a Signature that is not hex',
      );
    },
  ),
  hmacCase('HMAC-SIG-005', 'MUST', REF_SIGNATURE, 'an empty Signature, as a header or in a JSON body, is never accepted', async (c) => {
    await c.refusedLogins([c.loginHeaders({ ...c.values(), Signature: '' }), c.loginJson({ ...c.values(), Signature: '' })], 'an empty Signature');
  }),
  hmacCase(
    'HMAC-SIG-006',
    'MUST',
    `${REF_SIGNATURE} ("the Key will be the API Secret")`,
    'a Signature computed with another secret (a random one, the secret with one character changed or in upper case, the APIKey, an empty key) is never accepted',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const secrets = [generateHexToken(32), alterCharacter(apiSecret, 0), alterCharacter(apiSecret, -1), apiKey, ''];
      if (apiSecret.toUpperCase() !== apiSecret) secrets.push(apiSecret.toUpperCase());
      await c.refusedLogins(
        secrets.map((secret) => {
          const nonce = c.nextNonce();
          return c.loginHeaders({ APIKey: apiKey, Signature: apexSignature(secret, nonce, userId, apiKey), UserId: userId, Nonce: nonce });
        }),
        'a Signature made with another secret',
      );
    },
  ),
  hmacCase(
    'HMAC-SIG-007',
    'MUST',
    `${REF_SIGNATURE} ("in that exact order with no spaces")`,
    'a Signature over another message (other orders such as UserId+Nonce+APIKey, separators, a trailing newline, a part left out — the nonce included) is never accepted',
    async (c) => {
      type Parts = { nonce: string; userId: string; apiKey: string };
      const specs = withMessages(c, [
        ({ nonce, userId, apiKey }) => `${userId}${nonce}${apiKey}`,
        ({ nonce, userId, apiKey }) => `${apiKey}${userId}${nonce}`,
        ({ nonce, userId, apiKey }) => `${apiKey}${nonce}${userId}`,
        ({ nonce, userId, apiKey }) => `${nonce}${apiKey}${userId}`,
        ({ nonce, userId, apiKey }) => `${userId}${apiKey}${nonce}`,
        ...[':', ' ', ',', '\n', '|', '.', '&'].map((separator) => ({ nonce, userId, apiKey }: Parts) => [nonce, userId, apiKey].join(separator)),
        ({ nonce, userId, apiKey }) => `${nonce}${userId}${apiKey}\n`,
        ({ userId, apiKey }) => `${userId}${apiKey}`,
        ({ nonce, apiKey }) => `${nonce}${apiKey}`,
        ({ nonce, userId }) => `${nonce}${userId}`,
        ({ apiKey }) => apiKey,
        () => '',
      ]);
      await c.refusedLogins(specs, 'a Signature over another message');
    },
  ),
  hmacCase(
    'HMAC-SIG-008',
    'MUST',
    `${REF_SIGNATURE} (HMAC-SHA256, the secret's text as the key, as openssl dgst -sha256 -hmac "$SECRET" takes it)`,
    'a Signature made another way (plain SHA-256 of secret and message, HMAC with key and message swapped, keyed with the hex-decoded secret, over a lower-cased message) is never accepted',
    async (c) => {
      const { apiKey, apiSecret, userId } = c.fx;
      const makers: ((nonce: string) => string)[] = [
        (nonce) => encodeHex(sha256Digest(apiSecret + hmacMessage(nonce, userId, apiKey))),
        (nonce) => encodeHex(sha256Digest(hmacMessage(nonce, userId, apiKey) + apiSecret)),
        (nonce) => hmacHex(hmacMessage(nonce, userId, apiKey), apiSecret),
      ];
      if (isHexString(apiSecret)) makers.push((nonce) => encodeHex(hmacSha256(decodeHex(apiSecret.toLowerCase()), hmacMessage(nonce, userId, apiKey))));
      if (hmacMessage('', userId, apiKey).toLowerCase() !== hmacMessage('', userId, apiKey)) {
        makers.push((nonce) => hmacHex(apiSecret, hmacMessage(nonce, userId, apiKey).toLowerCase()).toUpperCase());
      }
      await c.refusedLogins(
        makers.map((make) => {
          const nonce = c.nextNonce();
          return c.loginHeaders({ APIKey: apiKey, Signature: make(nonce), UserId: userId, Nonce: nonce });
        }),
        'a Signature made another way',
      );
    },
  ),
];
