// Property tests (fast-check, 10,000 runs each) for ip.ts: parsing, canonical form and CIDR matching.
import * as assert from 'node:assert/strict';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from './errors.js';
import { createIpMatcher, formatIpAddress, normalizeIpAddress, parseIpAddress } from './ip.js';

const RUNS = { numRuns: 10_000 };
const TIMEOUT = 60_000;
// Inside properties, node:assert rather than expect: the same failure with a diff, at a fraction of the cost per
// call (expect costs about 14 µs a call, which at 10,000 runs is most of a property's time).

type Groups = readonly number[];

/** Eight 16-bit groups, zero often (so that `::` has runs to cover), sometimes IPv4-mapped. */
const group = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constantFrom(1, 0xf, 0xff, 0x100, 0xffff) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const v4Mapped = (a: number, b: number, c: number, d: number): Groups => [0, 0, 0, 0, 0, 0xffff, (a << 8) | b, (c << 8) | d];
const ipv4 = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }));
const anyGroups = fc.oneof(
  { weight: 4, arbitrary: fc.array(group, { minLength: 8, maxLength: 8 }) },
  { weight: 1, arbitrary: ipv4.map(([a, b, c, d]) => v4Mapped(a, b, c, d)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 16, maxLength: 16 }).map(groupsOf) },
);

function bytesOf(groups: Groups): Uint8Array {
  const out = new Uint8Array(16);
  groups.forEach((value, i) => {
    out[2 * i] = value >> 8;
    out[2 * i + 1] = value & 0xff;
  });
  return out;
}

function groupsOf(bytes: Uint8Array): Groups {
  return Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number));
}

const isV4MappedGroups = (groups: Groups): boolean => groups.slice(0, 6).every((value, i) => value === (i === 5 ? 0xffff : 0));
const dottedOf = (groups: Groups): string => `${(groups[6] as number) >> 8}.${(groups[6] as number) & 0xff}.${(groups[7] as number) >> 8}.${(groups[7] as number) & 0xff}`;

/** How to write an IPv6 address: leading zeros, case per group, which zero run `::` covers, a dotted tail. */
const spellingChoices = fc.record({
  pads: fc.array(fc.nat(3), { minLength: 8, maxLength: 8 }),
  upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  compress: fc.nat(),
  dotted: fc.boolean(),
});
/** Decorations parseIpAddress drops: surrounding brackets and a zone. */
const decorations = fc.record({ brackets: fc.boolean(), zone: fc.constantFrom('', '', '', '%eth0', '%1', '%') });
type SpellingChoices = typeof spellingChoices extends fc.Arbitrary<infer T> ? T : never;

/** One valid RFC 4291 §2.2 text form of the groups. */
function spell(groups: Groups, { pads, upper, compress, dotted }: SpellingChoices): string {
  const hexCount = dotted ? 6 : 8;
  const hex = groups.slice(0, hexCount).map((value, i) => {
    const digits = value.toString(16);
    const padded = '0'.repeat(Math.min(pads[i] as number, 4 - digits.length)) + digits;
    return upper[i] ? padded.toUpperCase() : padded;
  });
  // Every run of one or more zero groups `::` could stand for (or none).
  const runs: (readonly [number, number] | null)[] = [null];
  for (let start = 0; start < hexCount; start++) {
    for (let end = start + 1; end <= hexCount && groups[end - 1] === 0; end++) runs.push([start, end]);
  }
  const run = runs[compress % runs.length] ?? null;
  let text = run === null ? hex.join(':') : `${hex.slice(0, run[0]).join(':')}::${hex.slice(run[1]).join(':')}`;
  if (dotted) text = `${text}${text === '' || text.endsWith('::') ? '' : ':'}${dottedOf(groups)}`;
  return text;
}

const decorate = (text: string, { brackets, zone }: { brackets: boolean; zone: string }): string => (brackets ? `[${text}${zone}]` : `${text}${zone}`);

describe('parseIpAddress / normalizeIpAddress / formatIpAddress (property)', () => {
  it(
    'parses every RFC 4291 spelling of an address (padding, case, any :: run, dotted tail, brackets, zone) to its 16 bytes, and normalises all of them to one text',
    () => {
      fc.assert(
        fc.property(anyGroups, spellingChoices, decorations, (groups, choices, decoration) => {
          const text = decorate(spell(groups, choices), decoration);
          assert.deepEqual(parseIpAddress(text), bytesOf(groups), text);
          assert.equal(normalizeIpAddress(text), formatIpAddress(bytesOf(groups)), text);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'formats canonically: the canonical text of any 16 bytes parses back to them and is its own canonical form (idempotent)',
    () => {
      fc.assert(
        fc.property(anyGroups, (groups) => {
          const bytes = bytesOf(groups);
          const canonical = formatIpAddress(bytes);
          assert.deepEqual(parseIpAddress(canonical), bytes, canonical);
          assert.equal(normalizeIpAddress(canonical), canonical);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    "formats every IPv6 address that is not IPv4-mapped as Node's WHATWG URL serialises it (RFC 5952), every spelling is one net.isIPv6 accepts, and IPv4-mapped addresses are the dotted quad Node reads the same way",
    () => {
      fc.assert(
        fc.property(anyGroups, spellingChoices, (groups, choices) => {
          const spelling = spell(groups, choices);
          assert.ok(isIPv6(spelling), `net.isIPv6 refuses ${spelling}`);
          const nodeHost = new URL(`http://[${spelling}]/`).hostname;
          const ours = formatIpAddress(bytesOf(groups));
          if (!isV4MappedGroups(groups)) {
            assert.equal(`[${ours}]`, nodeHost, spelling);
          } else {
            assert.ok(isIPv4(ours), ours);
            assert.equal(new URL(`http://[::ffff:${ours}]/`).hostname, nodeHost, spelling);
          }
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'normalises every IPv4 address and each of its IPv4-mapped IPv6 spellings to the same dotted quad',
    () => {
      fc.assert(
        fc.property(ipv4, spellingChoices, decorations, ([a, b, c, d], choices, decoration) => {
          const dotted = `${a}.${b}.${c}.${d}`;
          assert.equal(normalizeIpAddress(dotted), dotted);
          const mapped = decorate(spell(v4Mapped(a, b, c, d), choices), decoration);
          assert.equal(normalizeIpAddress(mapped), dotted, mapped);
          assert.deepEqual(parseIpAddress(mapped), parseIpAddress(dotted));
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  // Junk: pieces of addresses put together at random. The reference is node:net's isIP, after removing what
  // parseIpAddress documents that it drops (surrounding brackets, a zone after `%`).
  const junk = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(fc.constantFrom('0', '1', '9', 'a', 'F', 'g', ':', '::', '.', '%', '[', ']', ' ', '255', '256', '01', '00', 'ffff', 'fffff', '12345', 'x', '/', '-', '\n', '1.2.3.4', '0.0.0.0', '::ffff:', '１'), { maxLength: 10 })
        .map((pieces) => pieces.join('')),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 16, size: 'max' }) },
    // Valid spellings with one character changed, dropped or doubled.
    {
      weight: 2,
      arbitrary: fc
        .tuple(anyGroups, spellingChoices, fc.nat(), fc.constantFrom('', ':', '.', 'g', '0', '00000', ' ', '::'))
        .map(([groups, choices, at, piece]) => {
          const text = spell(groups, choices);
          const cut = at % (text.length + 1);
          return `${text.slice(0, cut)}${piece}${text.slice(cut + 1)}`;
        }),
    },
  );

  /** What parseIpAddress parses once the brackets and zone it documents dropping are gone. */
  function coreOf(text: string): string {
    let core = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
    if (core.includes('%')) core = core.slice(0, core.indexOf('%'));
    return core;
  }

  it(
    'accepts random junk exactly when node:net accepts it as an address (once brackets and zone are dropped), and never throws',
    () => {
      fc.assert(
        fc.property(junk, (text) => {
          const core = coreOf(text);
          const accepted = parseIpAddress(text) !== null;
          assert.equal(accepted, text.length <= 64 && isIP(core) !== 0, JSON.stringify(text));
          assert.equal(normalizeIpAddress(text) !== null, accepted);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  // Found by the property above: a dotted quad was once accepted anywhere in an IPv6 address.
  it('refuses a dotted quad anywhere but the last 32 bits of an IPv6 address (RFC 4291 §2.2), as node:net does', () => {
    for (const text of ['1.2.3.4::', '1.2.3.4::1', '1:1.2.3.4::5', '::1.2.3.4:0']) {
      expect(isIP(text)).toBe(0);
      expect(normalizeIpAddress(text), text).toBeNull();
    }
  });
});

// CIDR matching against a BigInt reference: an address lies in a network when its first prefix bits (IPv4
// prefixes count from bit 96 of the IPv4-mapped form) equal the network's.
const toBigInt = (bytes: Uint8Array): bigint => bytes.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);

const cidrEntry = fc.oneof(
  fc.record({
    kind: fc.constant('v4' as const),
    octets: ipv4,
    prefix: fc.option(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 32 }) }, { weight: 1, arbitrary: fc.integer({ min: 33, max: 40 }) }), { freq: 4 }),
    space: fc.constantFrom('', '', ' '),
  }),
  fc.record({
    kind: fc.constant('v6' as const),
    groups: anyGroups,
    choices: spellingChoices,
    zone: fc.constantFrom('', '', '%eth0'),
    prefix: fc.option(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 128 }) }, { weight: 1, arbitrary: fc.integer({ min: 129, max: 140 }) }), { freq: 4 }),
    space: fc.constantFrom('', '', ' '),
  }),
);
type CidrEntry = typeof cidrEntry extends fc.Arbitrary<infer T> ? T : never;

function describeEntry(entry: CidrEntry): { text: string; network: bigint; bits: number; valid: boolean } {
  const prefixText = entry.prefix === null ? '' : `${entry.space}/${entry.space}${entry.prefix}`;
  if (entry.kind === 'v4') {
    const [a, b, c, d] = entry.octets;
    const prefix = entry.prefix ?? 32;
    return { text: `${a}.${b}.${c}.${d}${prefixText}`, network: toBigInt(bytesOf(v4Mapped(a, b, c, d))), bits: 96 + prefix, valid: prefix <= 32 };
  }
  const prefix = entry.prefix ?? 128;
  return { text: `${spell(entry.groups, entry.choices)}${entry.zone}${prefixText}`, network: toBigInt(bytesOf(entry.groups)), bits: prefix, valid: prefix <= 128 };
}

describe('createIpMatcher (property)', () => {
  it(
    'matches an address (any spelling, or bytes) exactly when its first prefix bits equal a listed network’s, by a BigInt reference; refuses a prefix longer than the address',
    () => {
      fc.assert(
        fc.property(
          fc.array(cidrEntry, { minLength: 1, maxLength: 3 }),
          fc.nat(),
          // Bits to flip in the chosen network, low bits more often (so IPv4 networks also see near misses).
          fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 96, max: 127 })), { maxLength: 2 }),
          fc.oneof(fc.constant('bytes' as const), fc.constant('dotted' as const), spellingChoices),
          (entries, pick, flips, addressForm) => {
            const networks = entries.map(describeEntry);
            const texts = networks.map((network) => network.text);
            if (!networks.every((network) => network.valid)) {
              assert.throws(() => createIpMatcher(texts), ConfigurationError);
              return;
            }
            const matcher = createIpMatcher(texts);
            let address = (networks[pick % networks.length] as (typeof networks)[number]).network;
            for (const bit of flips) address ^= 1n << BigInt(127 - bit);
            const addressBytes = new Uint8Array(16).map((_, i) => Number((address >> BigInt(8 * (15 - i))) & 0xffn));
            const groups = groupsOf(addressBytes);
            const input =
              addressForm === 'bytes' ? addressBytes : addressForm === 'dotted' && isV4MappedGroups(groups) ? dottedOf(groups) : spell(groups, addressForm === 'dotted' ? { pads: [0, 0, 0, 0, 0, 0, 0, 0], upper: [], compress: 0, dotted: false } : addressForm);
            const expected = networks.some(({ network, bits }) => bits === 0 || ((address ^ network) >> BigInt(128 - bits)) === 0n);
            assert.equal(matcher.matches(input), expected, `${String(input)} in ${texts.join(', ')}`);
          },
        ),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
