// Nonces, by the declared nonce_policy. Under `unique` and `increasing` a replayed nonce is never accepted
// (security); under `issued` (the documented flow) the signature is static and replayable, so the replay cases do
// not apply and only what the declared policy says is checked, as wire fidelity.
import { fail, neverAccepted } from '../../../check.js';
import { hmacCase, type HmacCase } from '../context.js';
import { alterCharacter, isDecimal, KIIEX_API_KEY, loginAccepted, sessionTokenOf } from '../wire.js';

const REF_POLICY = `declared nonce_policy; ${KIIEX_API_KEY} (the NONCE shown once at creation, signed with the other values)`;

export const nonceCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-NONCE-001',
    'MUST',
    REF_POLICY,
    'with replay protection (unique, increasing), a signed request that signed in is never accepted again — again as headers, as a JSON body, or with the Signature in upper case',
    async (c) => {
      const values = c.values();
      c.tokenOf(await c.send(c.loginHeaders(values)));
      await c.refusedLogins(
        [c.loginHeaders(values), c.loginJson({ ...values }), c.loginHeaders({ ...values, Signature: values.Signature.toUpperCase() })],
        'a replayed nonce',
      );
    },
    { policies: ['unique', 'increasing'] },
  ),
  hmacCase(
    'HMAC-NONCE-002',
    'MUST',
    REF_POLICY,
    'with replay protection, 20 identical signed requests sent at once sign in at most once',
    async (c) => {
      const values = c.values();
      const sent = await Promise.all(Array.from({ length: 20 }, () => c.send(c.loginHeaders(values))));
      const successes = sent.filter((one) => loginAccepted(one.reply));
      neverAccepted(successes.length <= 1, () => `20 parallel requests with one nonce: ${successes.length} signed in, at most 1 may`);
      if (successes.length === 0) fail(`precondition not met: none of 20 parallel requests with a fresh nonce signed in; the first got ${c.describe(sent[0] as NonNullable<(typeof sent)[0]>)}`);
      for (const one of sent) if (!loginAccepted(one.reply)) c.refusalStatus(one);
    },
    { policies: ['unique', 'increasing'] },
  ),
  hmacCase(
    'HMAC-NONCE-003',
    'MUST',
    `${REF_POLICY} (increasing: a decimal above the last one accepted for the key)`,
    'with increasing nonces, after a nonce signed in, a lower one, the same one and the issued one are never accepted; a higher one signs in',
    async (c) => {
      const accepted = c.nextNonce();
      c.tokenOf(await c.send(c.loginHeaders(c.values(c.fx, accepted))));
      const lower = String(BigInt(accepted) - 1n);
      const specs = [c.loginHeaders(c.values(c.fx, lower)), c.loginHeaders(c.values(c.fx, accepted))];
      if (c.fx.nonce !== lower && c.fx.nonce !== accepted) specs.push(c.loginHeaders(c.values(c.fx, c.fx.nonce)));
      await c.refusedLogins(specs, 'a nonce not above the last one accepted');
      await c.login();
    },
    { policies: ['increasing'] },
  ),
  hmacCase(
    'HMAC-NONCE-004',
    'MUST',
    `${REF_POLICY} (increasing: nonces compare as integers)`,
    'with increasing nonces, nonces compare as integers, not as text: a nonce one digit longer (1 and zeros) signs in, and then 9…9 (greater as text, smaller as a number) is never accepted',
    async (c) => {
      const start = c.nextNonce();
      const power = `1${'0'.repeat(start.length)}`;
      c.noteNonce(c.fx, power);
      const longer = await c.send(c.loginHeaders(c.values(c.fx, power)));
      c.wire(sessionTokenOf(longer.reply) !== null, () => `${longer.label}: a nonce one digit longer and greater as a number was refused (compared as text?): ${c.describe(longer)}`);
      if (sessionTokenOf(longer.reply) === null) return;
      await c.refusedLogins([c.loginHeaders(c.values(c.fx, '9'.repeat(start.length)))], 'a nonce smaller as a number than the last one accepted (greater as text)');
    },
    { policies: ['increasing'] },
  ),
  hmacCase(
    'HMAC-NONCE-005',
    'MUST',
    `${REF_POLICY} (unique: any value, each accepted once)`,
    'with unique nonces, an unused nonce signs in even when it is lower than one already accepted; each nonce signs in only once',
    async (c) => {
      const lower = c.nextNonce();
      const higher = c.nextNonce();
      c.tokenOf(await c.send(c.loginHeaders(c.values(c.fx, higher))));
      const lowerSent = await c.send(c.loginHeaders(c.values(c.fx, lower)));
      c.wire(sessionTokenOf(lowerSent.reply) !== null, () => `${lowerSent.label}: an unused nonce lower than an accepted one was refused (the declared nonce_policy=unique accepts any unused value): ${c.describe(lowerSent)}`);
      await c.refusedLogins([c.loginHeaders(c.values(c.fx, higher)), c.loginHeaders(c.values(c.fx, lower))], 'a replayed nonce');
    },
    { policies: ['unique'] },
  ),
  hmacCase(
    'HMAC-NONCE-006',
    'MUST',
    `${REF_POLICY} (issued: the static, replayable signature of the documented flow)`,
    'with the issued nonce, the issued nonce signs in again and again, and a correctly signed request with another nonce is refused (the declared policy; the signature is replayable either way, so this is wire fidelity)',
    async (c) => {
      const issued = c.fx.nonce;
      const values = c.values(c.fx, issued);
      c.tokenOf(await c.send(c.loginHeaders(values)));
      const again = await c.send(c.loginHeaders(values));
      c.wire(sessionTokenOf(again.reply) !== null, () => `${again.label}: the issued nonce did not sign in a second time (the declared nonce_policy=issued): ${c.describe(again)}`);
      const others = [`${issued}0`, alterCharacter(issued, -1), `0${issued}`];
      if (isDecimal(issued)) others.push(String(BigInt(issued) + 1n));
      for (const nonce of [...new Set(others)].filter((one) => one !== issued)) {
        const sent = await c.send(c.loginHeaders(c.values(c.fx, nonce)));
        c.wire(!loginAccepted(sent.reply), () => `${sent.label}: a nonce other than the issued one signed in (the declared nonce_policy=issued)`);
      }
    },
    { policies: ['issued'] },
  ),
  hmacCase(
    'HMAC-NONCE-007',
    'SHOULD',
    `${REF_POLICY}; a request that did not prove the secret changes nothing for the key`,
    'with replay protection, a request with a wrong Signature does not spend its nonce (under increasing, not even a huge one): the correctly signed request with that nonce signs in after it',
    async (c) => {
      const values = c.values();
      const specs = [c.loginHeaders({ ...values, Signature: alterCharacter(values.Signature, -1) })];
      await c.refusedLogins(specs, 'a wrong Signature');
      c.tokenOf(await c.send(c.loginHeaders(values)));
      if (c.policy === 'increasing') {
        const huge = '9'.repeat(15);
        await c.refusedLogins([c.loginHeaders({ ...c.values(c.fx, huge), Signature: alterCharacter(c.values(c.fx, huge).Signature, 0) })], 'a wrong Signature with a huge nonce');
        c.tokenOf(await c.send(c.loginHeaders(c.values())));
      }
    },
    { policies: ['unique', 'increasing'] },
  ),
];
