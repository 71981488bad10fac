// Unknown, altered, revoked hashes, and revocation through the server's own management taking effect at once.
import type { ConformanceCase } from '../../../case.js';
import { check, fail, neverAccepted, show } from '../../../check.js';
import { ahcCase, type AccessHashDriver, type RevocableAccessHash } from '../context.js';
import { REF_DELETE, REF_DOC, REF_SECURITY } from '../refs.js';
import { alterDigit } from '../wire.js';

export const hashCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-HASH-001',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY}`,
    'an unknown, well-formed hash never gets in, alone or among other cookies',
    async (c) => {
      await c.refuseAll('unknown', [c.get(c.pair(c.fx.unknownHash)), c.get(`theme=dark; ${c.pair(c.fx.unknownHash)}`)]);
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-HASH-002',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY}`,
    'a live hash with one digit changed (first, middle, last) never gets in, also when the original is bound to another IP',
    async (c) => {
      const { accessHash, foreignAccessHash } = c.fx;
      const middle = Math.floor(accessHash.length / 2);
      const altered = [alterDigit(accessHash, 0), alterDigit(accessHash, middle), alterDigit(accessHash, accessHash.length - 1), alterDigit(foreignAccessHash, foreignAccessHash.length - 1)];
      await c.refuseAll('unknown', altered.map((value) => c.get(c.pair(value))));
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-HASH-003',
    'MUST',
    `${REF_DELETE}; ${REF_SECURITY}`,
    'a deleted (revoked) hash never gets in from the IP it was bound to, and gets the reply an unknown hash gets',
    async (c) => {
      const sent = await c.send(c.get(c.pair(c.fx.revokedAccessHash as string)));
      c.refused(sent, 'unknown', 'the hash was deleted');
      await c.sameAsUnknown(sent, 'a deleted hash must not be told from one that never existed');
    },
    { requires: ['revoked-hash'], parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-REVOKE-001',
    'MUST',
    `${REF_DELETE}; ${REF_SECURITY}`,
    "a hash deleted through the server's own management never gets in on the very next request, and gets the reply an unknown hash gets",
    async (c) => {
      const { driver } = c;
      check(typeof driver.revocable === 'function', 'the driver offers capability revoke but has no revocable()');
      let revocable: RevocableAccessHash;
      try {
        revocable = await driver.revocable();
      } catch (error) {
        fail(c.redact(`revocable() failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`));
      }
      check(typeof revocable?.accessHash === 'string' && revocable.accessHash !== '' && typeof revocable.revoke === 'function', () => `revocable() resolved to ${c.redact(show(revocable))}, expected { accessHash, revoke() }`);
      c.addSecret('revocableHash', revocable.accessHash);
      const spec = c.get(c.pair(revocable.accessHash));
      // The precondition: the fresh hash works, twice (a server that caches lookups has now cached it).
      c.admitted(await c.send(spec), 'broken', 'a fresh hash, before it is deleted');
      c.admitted(await c.send(spec), 'broken', 'a fresh hash, before it is deleted');
      try {
        await revocable.revoke();
      } catch (error) {
        fail(c.redact(`deleting the hash failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`));
      }
      const after = await c.send(spec);
      neverAccepted(!c.accepted(after), () => `${after.label}: accepted right after the hash was deleted (${c.describe(after)})`);
      c.refused(after, 'unknown', 'the hash was deleted');
      await c.sameAsUnknown(after, 'a deleted hash must not be told from one that never existed');
      c.refused(await c.send(spec), 'unknown', 'the hash was deleted');
    },
    { requires: ['revoke'], parameters: ['refusal_status'] },
  ),
];
