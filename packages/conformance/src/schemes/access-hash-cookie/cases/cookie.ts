// The cookie itself: where the hash is read, other cookies, duplicates, and cookie names that are JavaScript's own.
import { ConformanceFailure, type ConformanceCase } from '../../../case.js';
import { guardingPrototypes } from '../../../profiles/strategy-contract.js';
import { ahcCase, type AccessHashDriver, type AhcContext, type AhcRequestSpec } from '../context.js';
import type { RefusalKind } from '../parameters.js';
import { REF_COOKIE, REF_COOKIE_SYNTAX, REF_SECURITY } from '../refs.js';

type Value = 'good' | 'unknown' | 'foreign' | 'empty';

const KIND_OF: Readonly<Record<Exclude<Value, 'good'>, RefusalKind>> = { unknown: 'unknown', foreign: 'foreign-ip', empty: 'empty' };

/** The pairs of access_hash values the duplicate cases send, in order. */
const DUPLICATES: readonly (readonly [Value, Value])[] = [
  ['good', 'good'],
  ['good', 'unknown'],
  ['unknown', 'good'],
  ['good', 'foreign'],
  ['foreign', 'good'],
  ['good', 'empty'],
  ['empty', 'good'],
];

/**
 * Judges a request carrying two access_hash values under `duplicate_cookie`. The security rule: the request is
 * let in only when the value the server declares it judges (the first, the last) is the live hash; under
 * `reject`, never when the two differ. Everything else is how the refusal or the success looks (wire).
 */
async function judgeDuplicate(c: AhcContext, values: readonly [Value, Value], spec: AhcRequestSpec): Promise<void> {
  const sent = await c.send(spec);
  const policy = c.params.duplicateCookie;
  const declaration = `the server declared duplicate_cookie=${policy}`;
  if (policy === 'reject') {
    if (values[0] === values[1]) return c.expected(sent, false, 'duplicate', `${declaration} (the same live hash twice)`);
    return c.refused(sent, 'duplicate', `${declaration}: two different access_hash values are ambiguous`);
  }
  const judged = policy === 'first' ? values[0] : values[1];
  if (judged === 'good') return c.expected(sent, true, 'duplicate', `${declaration} and the ${policy} value is the live hash`);
  c.refused(sent, KIND_OF[judged], `${declaration}: the ${policy} value is ${judged === 'empty' ? 'empty' : `the ${judged} hash`}, so the live hash beside it must not let the request in`);
}

/**
 * Runs `action` watching Object.prototype and friends (restored afterwards; a change fails the case). A security
 * failure inside (a polluted prototype let a request in) is reported as such, ahead of the pollution itself.
 */
async function guarding(action: () => Promise<void>): Promise<void> {
  let security: ConformanceFailure | null = null;
  try {
    await guardingPrototypes(async () => {
      try {
        await action();
      } catch (error) {
        if (error instanceof ConformanceFailure && error.kind !== 'broken') security = error;
        else throw error;
      }
    });
  } catch (error) {
    throw security ?? error;
  }
  if (security !== null) throw security;
}

function valueOf(c: AhcContext, value: Value): string {
  switch (value) {
    case 'good':
      return c.fx.accessHash;
    case 'unknown':
      return c.fx.unknownHash;
    case 'foreign':
      return c.fx.foreignAccessHash;
    case 'empty':
      return '';
  }
}

export const cookieCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-COOKIE-001',
    'MUST',
    REF_COOKIE,
    '`Cookie: access_hash=<hash>` from the IP the hash is bound to is accepted',
    async (c) => {
      await c.admitAll('broken', [c.get(c.pair(c.fx.accessHash))], 'the live hash from its own IP');
    },
  ),
  ahcCase(
    'AHC-COOKIE-002',
    'MUST',
    `${REF_COOKIE}; ${REF_COOKIE_SYNTAX}; RFC 9113 §8.2.3`,
    'other cookies beside access_hash, in the same Cookie field or another one (as HTTP/2 clients split them), do not matter: accepted',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      await c.admitAll(
        'broken',
        [
          c.get(`theme=dark; ${pair}; lang=en`),
          c.get(`${pair}; PHPSESSID=0123abcd`),
          c.get(`_ga=GA1.2.3.4; ${pair}`),
          c.get(`token=a=b=c; ${pair}`),
          c.withHeaders([['cookie', 'theme=dark'], ['cookie', pair]]),
          c.withHeaders([['cookie', pair], ['cookie', 'lang=en']]),
        ],
        'other cookies are not the access hash',
      );
    },
  ),
  ahcCase(
    'AHC-COOKIE-003',
    'MUST',
    `${REF_COOKIE}; RFC 6265 §4.2.2`,
    'two access_hash cookies in one Cookie field: refused, or the declared one (first or last) judged; a live hash beside a bad judged one never lets the request in',
    async (c) => {
      for (const values of DUPLICATES) {
        const [a, b] = values.map((value) => c.pair(valueOf(c, value))) as [string, string];
        await judgeDuplicate(c, values, c.get(`${a}; ${b}`));
      }
      await judgeDuplicate(c, ['good', 'foreign'], c.get(`${c.pair(c.fx.accessHash)}; theme=dark; ${c.pair(c.fx.foreignAccessHash)}`));
    },
    { parameters: ['duplicate_cookie', 'refusal_status', 'foreign_ip_reply'] },
  ),
  ahcCase(
    'AHC-COOKIE-004',
    'MUST',
    `${REF_COOKIE}; RFC 6265 §4.2.2; RFC 9113 §8.2.3`,
    'access_hash in two Cookie fields: refused, or the declared one (first or last field) judged; a live hash beside a bad judged one never lets the request in',
    async (c) => {
      // Over HTTP these are two field lines. In-process, Fetch's Headers joins Cookie fields with "; " (undici),
      // so the strategy sees both cookies in one value: the rule is the same either way.
      for (const values of DUPLICATES) {
        const [a, b] = values.map((value) => c.pair(valueOf(c, value))) as [string, string];
        await judgeDuplicate(c, values, c.withHeaders([['cookie', a], ['cookie', b]]));
      }
      await judgeDuplicate(c, ['good', 'foreign'], c.withHeaders([['cookie', `theme=dark; ${c.pair(c.fx.accessHash)}`], ['cookie', `lang=en; ${c.pair(c.fx.foreignAccessHash)}`]]));
    },
    { parameters: ['duplicate_cookie', 'refusal_status', 'foreign_ip_reply'] },
  ),
  ahcCase(
    'AHC-COOKIE-005',
    'MUST',
    `${REF_COOKIE}; ${REF_COOKIE_SYNTAX}`,
    'without an access_hash cookie (no Cookie field, other cookies only, names that merely contain access_hash, the hash without a name) nothing is accepted',
    async (c) => {
      const { accessHash, cookieName: name } = c.fx;
      const lookAlikes = new Set([`${name}2`, `x${name}`, `${name}_`, `my_${name}`, name.replace('_', '-'), name.replace('_', '')]);
      lookAlikes.delete(name);
      await c.refuseAll('missing', [
        { path: c.fx.resourcePath },
        c.get('theme=dark; lang=en'),
        ...[...lookAlikes].map((lookAlike) => c.get(`${lookAlike}=${accessHash}`)),
        c.get(accessHash),
        c.get(`=${accessHash}`),
        c.get(`theme=${name}=${accessHash}`),
      ]);
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-COOKIE-006',
    'SHOULD',
    `${REF_COOKIE}; ${REF_COOKIE_SYNTAX}`,
    'cookie names are case-sensitive: `ACCESS_HASH=<hash>` and `Access_Hash=<hash>` are not the access hash',
    async (c) => {
      const { cookieName: name, accessHash } = c.fx;
      const variants = new Set([name.toUpperCase(), name.charAt(0).toUpperCase() + name.slice(1).replace(/_(.)/g, (_m, ch: string) => `_${ch.toUpperCase()}`)]);
      variants.delete(name);
      for (const variant of variants) c.expected(await c.send(c.get(`${variant}=${accessHash}`)), false, 'missing', `the document names the cookie "${name}" and cookie names are compared as sent`);
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-COOKIE-007',
    'SHOULD',
    `${REF_COOKIE_SYNTAX}; RFC 6265 §5.4`,
    'cookie pairs separated by `;` without a space are accepted',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      for (const cookie of [`theme=dark;${pair}`, `${pair};lang=en`]) c.expected(await c.send(c.get(cookie)), true, 'malformed', 'the pairs are still separated by ";"');
    },
  ),
  ahcCase(
    'AHC-COOKIE-008',
    'MUST',
    `${REF_COOKIE}; ${REF_SECURITY}`,
    'an empty access_hash value (`access_hash=`) is never accepted',
    async (c) => {
      const empty = c.pair('');
      await c.refuseAll('empty', [c.get(empty), c.get(`${empty}; theme=dark`), c.get(`theme=dark; ${empty}`)]);
    },
    { parameters: ['refusal_status'] },
  ),

  // ---- Cookie names that are JavaScript's own ----
  ahcCase(
    'AHC-PROTO-001',
    'MUST',
    REF_SECURITY,
    'cookies named `__proto__`, `toString`, `constructor`, `hasOwnProperty` or `valueOf` alone neither pollute nor authenticate',
    async (c) => {
      const hash = c.fx.accessHash;
      await guarding(async () => {
        await c.refuseAll('missing', [
          c.get(`__proto__=${hash}`),
          c.get(`toString=${hash}`),
          c.get(`constructor=${hash}`),
          c.get('hasOwnProperty=1'),
          c.get('valueOf=1'),
          c.get('__proto__=1; toString=2; constructor=3; __defineGetter__=4'),
          c.get('__proto__={"access_hash":1}'),
        ]);
      });
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-PROTO-002',
    'MUST',
    REF_SECURITY,
    '`__proto__`, `toString` and `constructor` cookies beside the real access_hash do not disturb it: accepted, and nothing polluted',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      await guarding(async () => {
        await c.admitAll(
          'broken',
          [
            c.get(`__proto__=x; ${pair}`),
            c.get(`${pair}; toString=1`),
            c.get(`toString=1; __proto__=2; ${pair}; constructor=3; hasOwnProperty=4`),
            c.get(`__proto__=${c.fx.foreignAccessHash}; ${pair}`),
          ],
          'other cookies are not the access hash',
        );
      });
    },
  ),
  ahcCase(
    'AHC-PROTO-003',
    'MUST',
    REF_SECURITY,
    'qs-style cookie names (`__proto__[access_hash]=<hash>`, `constructor[prototype][access_hash]=…`) neither pollute nor authenticate, then or on later requests without a cookie',
    async (c) => {
      const { accessHash: hash, cookieName: name } = c.fx;
      await guarding(async () => {
        for (const cookie of [`__proto__[${name}]=${hash}`, `constructor[prototype][${name}]=${hash}`, `__proto__.${name}=${hash}`, `${name}[__proto__]=${hash}`]) {
          c.refused(await c.send(c.get(cookie)), 'missing');
        }
        // A server whose Object.prototype now carries the cookie name would authenticate these.
        await c.refuseAll('missing', [{ path: c.fx.resourcePath }, c.get('theme=dark')]);
      });
    },
    { parameters: ['refusal_status'] },
  ),
];
