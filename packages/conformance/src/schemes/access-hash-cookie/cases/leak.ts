// Telling nothing: replies never repeat a hash, never name the bound IP, and never let an attacker tell a hash that
// was once live (revoked, altered, or under same-as-invalid a foreign one) from one that never existed.
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import type { ConformanceCase } from '../../../case.js';
import { neverLeaked } from '../../../check.js';
import { storeFailureSender } from '../../../profiles/wire-case.js';
import { replyText } from '../../../profiles/wire-request.js';
import { ahcCase, type AccessHashDriver, type AhcContext, type AhcExchange, type AhcRequestSpec } from '../context.js';
import { REF_ONCE, REF_SECURITY } from '../refs.js';
import { alterDigit, neighbouringAddresses } from '../wire.js';

/**
 * Malformed forms of a hash, each applied alike to the live hash and to an unknown one. A form the server declares
 * it accepts (quotes it strips, whitespace it trims, case it ignores, a duplicate it resolves) is left out: the
 * live one is then rightly accepted.
 */
function malformedForms(c: AhcContext): { readonly name: string; readonly security: boolean; readonly cookie: (hash: string) => string }[] {
  // `security`: a form that must never get in (not the whole hash); the others are declared refusals, whose
  // acceptance is a wire difference reported by the AHC-FMT cases.
  const forms: { name: string; security: boolean; cookie: (hash: string) => string }[] = [
    { name: 'a digit short', security: true, cookie: (hash) => c.pair(hash.slice(0, -1)) },
    { name: 'a digit more', security: true, cookie: (hash) => c.pair(`${hash}0`) },
    { name: 'half of it', security: true, cookie: (hash) => c.pair(hash.slice(0, Math.ceil(hash.length / 2))) },
    { name: 'its first digit percent-encoded', security: true, cookie: (hash) => c.pair(`%${hash.charCodeAt(0).toString(16)}${hash.slice(1)}`) },
  ];
  if (c.params.cookieValueQuotes === 'reject') forms.push({ name: 'in double quotes', security: false, cookie: (hash) => c.pair(`"${hash}"`) });
  if (c.params.cookieValueWhitespace === 'reject') forms.push({ name: 'after a space', security: false, cookie: (hash) => c.pair(` ${hash}`) });
  if (c.params.hexCase === 'lower-only') forms.push({ name: 'in upper case', security: false, cookie: (hash) => c.pair(hash.toUpperCase()) });
  if (c.params.duplicateCookie === 'reject') forms.push({ name: 'twice', security: false, cookie: (hash) => `${c.pair(hash)}; ${c.pair(hash)}` });
  return forms;
}

export const leakCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-LEAK-001',
    'MUST',
    `${REF_SECURITY} (one generic reply for unknown, revoked and wrong credentials)`,
    'unknown, altered and revoked hashes (and, under foreign_ip_reply=same-as-invalid, a foreign one) all get one reply',
    async (c) => {
      const { fx } = c;
      const last = fx.accessHash.length - 1;
      const specs: AhcRequestSpec[] = [c.get(c.pair(alterDigit(fx.accessHash, last))), c.get(c.pair(alterDigit(fx.accessHash, 0))), c.get(c.pair(alterDigit(fx.foreignAccessHash, 0)))];
      if (fx.revokedAccessHash !== null) specs.push(c.get(c.pair(fx.revokedAccessHash)));
      if (c.params.foreignIpReply === 'same-as-invalid') specs.push(c.get(c.pair(fx.foreignAccessHash)));
      for (const spec of specs) {
        const sent = await c.send(spec);
        c.notAccepted(sent);
        await c.sameAsUnknown(sent, 'an attacker could tell a hash that is or was live from one that never existed');
      }
    },
    { parameters: ['foreign_ip_reply'] },
  ),
  ahcCase(
    'AHC-LEAK-002',
    'MUST',
    `${REF_ONCE}; ${REF_SECURITY} (secrets never in replies)`,
    'no reply, success or refusal, repeats the hash it was sent or any other hash',
    async (c) => {
      const { fx } = c;
      const specs: AhcRequestSpec[] = [
        c.get(c.pair(fx.accessHash)),
        c.get(c.pair(fx.unknownHash)),
        c.get(c.pair(fx.foreignAccessHash)),
        c.get(c.pair(fx.accessHash.toUpperCase())),
        c.get(c.pair(`${fx.accessHash}0`)),
        c.get(c.pair(`"${fx.accessHash}"`)),
        c.get(`${c.pair(fx.accessHash)}; ${c.pair(fx.unknownHash)}`),
        c.get(`${c.pair(fx.unknownHash)}; ${c.pair(fx.accessHash)}`),
        c.withHeaders([['x-access-hash', fx.accessHash]]),
        { path: fx.resourcePath, query: [[fx.cookieName, fx.accessHash]] },
      ];
      if (fx.revokedAccessHash !== null) specs.push(c.get(c.pair(fx.revokedAccessHash)));
      // AhcContext.send fails the case on any reply that repeats a hash.
      for (const spec of specs) await c.send(spec);
      if (c.driver.capabilities.includes('remote-address')) await c.send(c.get(c.pair(fx.accessHash), fx.foreignIp));
      if (c.driver.capabilities.includes('store-failure')) await c.send(c.get(c.pair(fx.accessHash)), await storeFailureSender(c.driver));
    },
  ),
  ahcCase(
    'AHC-LEAK-003',
    'MUST',
    `${REF_SECURITY} (a generic message that leaks nothing)`,
    'a wrong-IP reply does not name the IP the hash is bound to',
    async (c) => {
      const boundTexts = (ip: string): string[] => [...new Set([ip, normalizeIpAddress(ip) as string])];
      const checkNoIp = (sent: AhcExchange, ip: string, name: string): void => {
        const text = replyText(sent.reply.body).toLowerCase();
        neverLeaked(!boundTexts(ip).some((spelling) => text.includes(spelling.toLowerCase())), () => `${sent.label}: the reply names ${name}, the IP the hash is bound to (${c.describe(sent)})`);
      };
      checkNoIp(await c.send(c.get(c.pair(c.fx.foreignAccessHash))), c.fx.foreignIp, 'foreignIp');
      if (c.driver.capabilities.includes('remote-address')) checkNoIp(await c.send(c.get(c.pair(c.fx.accessHash), c.fx.foreignIp)), c.fx.clientIp, 'clientIp');
    },
  ),
  ahcCase(
    'AHC-LEAK-004',
    'SHOULD',
    REF_SECURITY,
    'every wrong-IP reply is the same, whichever hash and whichever address',
    async (c) => {
      const specs = [c.get(c.pair(c.fx.foreignAccessHash)), c.get(`theme=dark; ${c.pair(c.fx.foreignAccessHash)}`)];
      if (c.driver.capabilities.includes('remote-address')) {
        specs.push(c.get(c.pair(c.fx.accessHash), c.fx.foreignIp));
        for (const address of neighbouringAddresses(c.fx.clientIp).slice(0, 2)) specs.push(c.get(c.pair(c.fx.accessHash), address));
      }
      const { volatile } = await c.unknownReply();
      const sent: AhcExchange[] = [];
      for (const spec of specs) sent.push(await c.send(spec));
      const [reference, ...rest] = sent;
      for (const other of rest) {
        neverLeaked(c.same(other, reference as AhcExchange, volatile), () => `${other.label} got ${c.describe(other)}, but ${(reference as AhcExchange).label} got ${c.describe(reference as AhcExchange)}; wrong-IP replies must be one generic reply`);
      }
    },
  ),
  ahcCase(
    'AHC-LEAK-005',
    'MUST',
    REF_SECURITY,
    'a malformed form of the live hash (cut, lengthened, quoted, encoded…) gets the reply the same form of an unknown hash gets',
    async (c) => {
      const { volatile } = await c.unknownReply();
      for (const form of malformedForms(c)) {
        const live = await c.send(c.get(form.cookie(c.fx.accessHash)));
        const unknown = await c.send(c.get(form.cookie(c.fx.unknownHash)));
        if (form.security) c.notAccepted(live, `the live hash ${form.name}`);
        else if (c.accepted(live)) continue;
        neverLeaked(
          c.same(live, unknown, volatile),
          () => `the live hash ${form.name} got ${c.describe(live)}, but an unknown hash ${form.name} got ${c.describe(unknown)}: the reply tells whether the hash inside is live`,
        );
      }
    },
    { parameters: ['cookie_value_quotes', 'cookie_value_whitespace', 'hex_case', 'duplicate_cookie'] },
  ),
];
