// hmac-signature@2 fails flawed servers on a security rule: each mutant fails at least one case as `accepted` or
// `leaked`, never only as a wire difference, and no failure message repeats a secret.
import { describe, expect, it } from 'vitest';
import { runProfile, type CaseResult } from '../../run.js';
import { hmacInProcessDriver, hmacSignatureV2 } from './index.js';
import { createHmacReference, declaredParameters, type HmacFlaws, type HmacServerStyle } from './__fixtures__/reference.js';

interface Mutant {
  readonly name: string;
  readonly flaws: HmacFlaws;
  readonly style?: HmacServerStyle;
  /** Cases that must fail, each as a security failure of this kind. */
  readonly caughtBy: Readonly<Record<string, 'accepted' | 'leaked'>>;
}

export const MUTANTS: readonly Mutant[] = [
  { name: 'accepts a replayed nonce (unique)', flaws: { acceptsReplayedNonce: true }, caughtBy: { 'HMAC-NONCE-001': 'accepted', 'HMAC-NONCE-002': 'accepted', 'HMAC-NONCE-005': 'accepted' } },
  { name: 'accepts a replayed nonce (increasing)', flaws: { acceptsReplayedNonce: true }, style: { policy: 'increasing' }, caughtBy: { 'HMAC-NONCE-001': 'accepted', 'HMAC-NONCE-003': 'accepted' } },
  { name: 'checks and records nonces with an await in between', flaws: { racyNonceCheck: true }, caughtBy: { 'HMAC-NONCE-002': 'accepted' } },
  { name: 'compares increasing nonces as text', flaws: { comparesNoncesAsText: true }, style: { policy: 'increasing' }, caughtBy: { 'HMAC-NONCE-004': 'accepted' } },
  { name: "accepts another user's key (never checks who owns it)", flaws: { ignoresUserOwnership: true }, caughtBy: { 'HMAC-USER-001': 'accepted', 'HMAC-USER-002': 'accepted', 'HMAC-LEAK-001': 'accepted' } },
  { name: "accepts another user's key, under the issued nonce", flaws: { ignoresUserOwnership: true }, style: { policy: 'issued' }, caughtBy: { 'HMAC-USER-001': 'accepted' } },
  { name: 'still signs a removed key in', flaws: { revokedKeySignsIn: true }, caughtBy: { 'HMAC-KEY-002': 'accepted' } },
  { name: "keeps a removed key's sessions alive", flaws: { sessionSurvivesRevocation: true }, caughtBy: { 'HMAC-SESSION-006': 'accepted', 'HMAC-LEAK-003': 'accepted' } },
  { name: 'ignores allowed IPs (a foreign IP gets in)', flaws: { ignoresAllowedIps: true }, caughtBy: { 'HMAC-IP-001': 'accepted', 'HMAC-IP-003': 'accepted' } },
  { name: 'believes X-Forwarded-For from anyone', flaws: { trustsForwardedFor: true }, caughtBy: { 'HMAC-IP-003': 'accepted' } },
  { name: 'checks an upper-case Signature on its first 8 digits (a wrong signature in upper case gets in)', flaws: { upperCasePrefixCompare: true }, caughtBy: { 'HMAC-SIG-002': 'accepted', 'HMAC-SIG-003': 'accepted' } },
  { name: 'compares only the prefix that was sent (a truncated signature gets in)', flaws: { prefixCompare: true }, caughtBy: { 'HMAC-SIG-003': 'accepted' } },
  { name: 'accepts a signature without the nonce in the message', flaws: { nonceNotSigned: true }, caughtBy: { 'HMAC-SIG-007': 'accepted' } },
  { name: 'echoes the API secret in a refusal', flaws: { echoesSecret: true }, caughtBy: { 'HMAC-SIG-002': 'leaked', 'HMAC-LEAK-001': 'leaked', 'HMAC-LEAK-002': 'leaked' } },
  { name: 'echoes the Signature in a refusal', flaws: { echoesSignature: true }, caughtBy: { 'HMAC-SIG-002': 'leaked', 'HMAC-LEAK-002': 'leaked' } },
  { name: 'tells an unknown key from a wrong signature (an oracle)', flaws: { leaksWhichPart: true }, caughtBy: { 'HMAC-LEAK-001': 'leaked', 'HMAC-KEY-002': 'leaked' } },
  { name: "verifies the headers but opens the session for the body's UserId", flaws: { bodyUserIdWins: true }, caughtBy: { 'HMAC-REQ-004': 'accepted' } },
  { name: 'verifies the first of two UserId in a JSON body and signs in the last', flaws: { checksFirstDuplicateUsesLast: true }, caughtBy: { 'HMAC-REQ-010': 'accepted' } },
  { name: 'reads the four values from the query string', flaws: { readsQuery: true }, caughtBy: { 'HMAC-REQ-009': 'accepted' } },
  { name: 'reads the session token from the query', flaws: { readsTokenFromQuery: true }, caughtBy: { 'HMAC-SESSION-007': 'accepted' } },
  { name: 'never checks permissions', flaws: { ignoresPermissions: true }, caughtBy: { 'HMAC-PERM-001': 'accepted' } },
  { name: 'lets a session through when the store is down', flaws: { storeFailureSucceeds: true }, caughtBy: { 'HMAC-STORE-002': 'accepted' } },
];

/** Failure messages name secrets (`<apiSecret>`) and never print 32 or more hex digits in a row. */
function expectNoSecretsIn(results: readonly CaseResult[], issued: readonly string[]): void {
  for (const result of results) {
    const text = `${result.message ?? ''} ${result.wireDifferences.join(' ')}`;
    for (const value of issued) expect(text.toLowerCase()).not.toContain(value.slice(0, 24).toLowerCase());
    expect(text).not.toMatch(/[0-9a-f]{32}/i);
  }
}

describe('hmac-signature@2 fails flawed servers on a security rule', () => {
  it('has at least ten mutants', () => expect(MUTANTS.length).toBeGreaterThanOrEqual(10));

  for (const mutant of MUTANTS) {
    it(`fails a server that ${mutant.name} (${Object.keys(mutant.caughtBy).join(', ')})`, async () => {
      const issued: string[] = [];
      const style = mutant.style ?? {};
      const reference = createHmacReference({ style, flaws: mutant.flaws, onIssued: (values) => issued.push(...values) });
      const results = await runProfile(hmacSignatureV2, hmacInProcessDriver(reference), { parameters: declaredParameters(style) });
      for (const [id, kind] of Object.entries(mutant.caughtBy)) {
        expect(results.find((result) => result.id === id), id).toMatchObject({ status: 'failed', failureKind: kind });
      }
      // Every failure is a security failure: the flaw is never reported merely as a difference on the wire.
      for (const result of results.filter((one) => one.status === 'failed')) expect([result.id, result.failureKind]).toEqual([result.id, expect.stringMatching(/^(accepted|leaked)$/)]);
      expectNoSecretsIn(results, issued);
    });
  }
});
