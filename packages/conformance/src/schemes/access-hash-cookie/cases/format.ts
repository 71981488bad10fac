// What a hash is: the lower-case hex issued. Quotes, whitespace and case are declared by the server (the document
// is silent); anything that is not the whole hash (truncated, extended, altered, percent-decoded) never gets in.
import type { ConformanceCase } from '../../../case.js';
import { ahcCase, type AccessHashDriver } from '../context.js';
import { REF_COOKIE, REF_COOKIE_PARSING, REF_COOKIE_SYNTAX, REF_DOC, REF_SECURITY } from '../refs.js';

const KIB = 1024;

export const formatCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-FMT-001',
    'MUST',
    `${REF_DOC}; ${REF_COOKIE_SYNTAX} (a cookie-value may be wrapped in DQUOTEs)`,
    'a hash in double quotes is refused or unquoted as declared; single or unbalanced quotes are refused; a quoted unknown or cut hash never gets in',
    async (c) => {
      const { accessHash: hash, unknownHash } = c.fx;
      const strip = c.params.cookieValueQuotes === 'strip';
      c.expected(await c.send(c.get(c.pair(`"${hash}"`))), strip, 'malformed', `the server declared cookie_value_quotes=${c.params.cookieValueQuotes}`);
      for (const value of [`'${hash}'`, `"${hash}`, `${hash}"`, `""${hash}""`]) {
        c.expected(await c.send(c.get(c.pair(value))), false, 'malformed', 'only a pair of double quotes around the whole value is cookie-value syntax (RFC 6265 §4.2.1)');
      }
      c.refused(await c.send(c.get(c.pair(`"${unknownHash}"`))), strip ? 'unknown' : 'malformed');
      await c.refuseAll('malformed', [c.get(c.pair(`"${hash.slice(0, -1)}"`)), c.get(c.pair(`"${hash}"x`))]);
    },
    { parameters: ['cookie_value_quotes', 'refusal_status'] },
  ),
  ahcCase(
    'AHC-FMT-002',
    'MUST',
    `${REF_DOC}; ${REF_COOKIE_PARSING} (whitespace around a cookie-value is removed)`,
    'spaces or tabs around the hash are refused or trimmed as declared; whitespace inside the hash or junk after it never gets in',
    async (c) => {
      const { accessHash: hash, unknownHash } = c.fx;
      const trim = c.params.cookieValueWhitespace === 'trim';
      const declaration = `the server declared cookie_value_whitespace=${c.params.cookieValueWhitespace}`;
      // A trailing space at the very end of a field is cut by Fetch (and by HTTP parsers): those go before `; `.
      for (const cookie of [c.pair(` ${hash}`), c.pair(`  ${hash}`), c.pair(`\t${hash}`), `${c.pair(`${hash} `)}; lang=en`, `${c.pair(`${hash}\t`)}; lang=en`, `${c.pair(` ${hash} `)}; lang=en`]) {
        c.expected(await c.send(c.get(cookie)), trim, 'malformed', declaration);
      }
      const half = Math.floor(hash.length / 2);
      await c.refuseAll('malformed', [
        c.get(c.pair(`${hash.slice(0, half)} ${hash.slice(half)}`)),
        c.get(c.pair(`${hash.slice(0, half)}\t${hash.slice(half)}`)),
        c.get(`${c.pair(`${hash} x`)}; lang=en`),
        c.get(`${c.pair(`${hash}\tx`)}; lang=en`),
      ]);
      c.refused(await c.send(c.get(c.pair(` ${unknownHash}`))), trim ? 'unknown' : 'malformed');
    },
    { parameters: ['cookie_value_whitespace', 'refusal_status'] },
  ),
  ahcCase(
    'AHC-FMT-003',
    'MUST',
    REF_DOC,
    'the hash in upper or mixed case is refused or accepted as declared; an unknown hash in upper case never gets in',
    async (c) => {
      const hash = c.fx.accessHash;
      const any = c.params.hexCase === 'any';
      const firstLetter = hash.search(/[a-f]/);
      const variants = [
        hash.toUpperCase(),
        [...hash].map((ch, index) => (index % 2 === 0 ? ch.toUpperCase() : ch)).join(''),
        firstLetter === -1 ? hash : hash.slice(0, firstLetter) + hash.charAt(firstLetter).toUpperCase() + hash.slice(firstLetter + 1),
      ].filter((variant) => variant !== hash);
      for (const variant of new Set(variants)) c.expected(await c.send(c.get(c.pair(variant))), any, 'malformed', `the server declared hex_case=${c.params.hexCase}`);
      c.refused(await c.send(c.get(c.pair(c.fx.unknownHash.toUpperCase()))), any ? 'unknown' : 'malformed');
    },
    { parameters: ['hex_case', 'refusal_status'] },
  ),
  ahcCase(
    'AHC-FMT-004',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY} (never silently truncated)`,
    'the hash cut short or lengthened (a digit less or more, half of it, twice over) never gets in',
    async (c) => {
      const { accessHash: hash, unknownHash } = c.fx;
      const values = [hash.slice(0, -1), hash.slice(1), `${hash}0`, `0${hash}`, hash.slice(0, Math.ceil(hash.length / 2)), hash + hash, hash + unknownHash.slice(0, 1)];
      if (hash.length > 64) values.push(hash.slice(0, 64));
      await c.refuseAll('malformed', values.map((value) => c.get(c.pair(value))));
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-FMT-005',
    'MUST',
    `${REF_DOC}; ${REF_SECURITY}`,
    'a value of the right length that is not all hex (`g`, a `0x` prefix, `-`, `+`, `é`) never gets in',
    async (c) => {
      const hash = c.fx.accessHash;
      const half = Math.floor(hash.length / 2);
      const values = [
        `${hash.slice(0, -1)}g`,
        `0x${hash.slice(2)}`,
        `${hash.slice(0, half)}-${hash.slice(half + 1)}`,
        `${hash.slice(0, -1)}+`,
        `${hash.slice(0, -1)}\u00e9`,
      ];
      await c.refuseAll('malformed', values.map((value) => c.get(c.pair(value))));
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-FMT-006',
    'MUST',
    `${REF_COOKIE}; ${REF_COOKIE_SYNTAX} (a cookie-value is sent as it is); ${REF_SECURITY}`,
    'a percent-encoded hash (`%37eff…`, every character encoded) never gets in: a cookie value is not URL-decoded into a hash',
    async (c) => {
      const hash = c.fx.accessHash;
      const encode = (ch: string): string => `%${ch.charCodeAt(0).toString(16)}`;
      await c.refuseAll('malformed', [
        c.get(c.pair(encode(hash.charAt(0)) + hash.slice(1))),
        c.get(c.pair([...hash].map(encode).join(''))),
        c.get(c.pair(`${hash.slice(0, -1)}${encode(hash.charAt(hash.length - 1))}`)),
      ]);
    },
    { parameters: ['refusal_status'] },
  ),
  ahcCase(
    'AHC-FMT-007',
    'MUST',
    `${REF_SECURITY} (never silently truncated; bounded header sizes)`,
    'a 64 KiB or 1 MiB value starting with the live hash never gets in (refused as malformed, or by the HTTP layer with 413 or 431)',
    async (c) => {
      const hash = c.fx.accessHash;
      await c.refuseAll('oversized', [
        c.get(c.pair(hash + 'a'.repeat(64 * KIB))),
        c.get(c.pair(`${hash}${' '.repeat(64 * KIB)}x`)),
        c.get(c.pair(hash + '0'.repeat(1024 * KIB))),
      ]);
    },
    { parameters: ['refusal_status'] },
  ),
];
