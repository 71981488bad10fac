// The IP binding ("Each API Access Hash only works from a specific IP address"): a live hash from any other address
// never gets in, whatever headers claim; how that refusal looks is the server's declared `foreign_ip_reply`.
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import type { ConformanceCase } from '../../../case.js';
import { ahcCase, type AccessHashDriver, type AhcContext, type AhcExchange, type AhcRequestSpec } from '../context.js';
import { REF_FORWARDED, REF_IP, REF_MAPPED, REF_SECURITY } from '../refs.js';
import { forwardedFor, isIpv4, mappedHexForm, neighbouringAddresses } from '../wire.js';
import type { HeaderList } from '../../../profiles/wire-request.js';

const IP_PARAMETERS = ['foreign_ip_reply', 'refusal_status'];

/**
 * A live hash from the wrong address: never accepted; under `same-as-invalid`, exactly the reply of an unknown
 * hash (else an attacker learns that a stolen hash is live), under `distinct`, the foreign-IP status.
 */
export async function refusedAsForeign(c: AhcContext, sent: AhcExchange): Promise<void> {
  c.refused(sent, 'foreign-ip', 'the hash is bound to another IP address');
  if (c.params.foreignIpReply === 'same-as-invalid') {
    await c.sameAsUnknown(sent, 'the server declared foreign_ip_reply=same-as-invalid: a stolen hash tried from elsewhere must look unknown');
  }
}

async function refuseAllAsForeign(c: AhcContext, specs: readonly AhcRequestSpec[]): Promise<void> {
  for (const spec of specs) await refusedAsForeign(c, await c.send(spec));
}

/** Headers a client may send to claim another address; a server without trusted proxies reads none of them. */
function spoofingHeaders(ip: string): HeaderList[] {
  return [
    [['x-forwarded-for', ip]],
    [['x-forwarded-for', `${ip}, ${ip}`]],
    [['x-forwarded-for', ip], ['x-forwarded-for', ip]],
    [['x-real-ip', ip]],
    [['forwarded', forwardedFor(ip)]],
    [['true-client-ip', ip]],
    [['cf-connecting-ip', ip]],
    [['x-client-ip', ip]],
    [
      ['x-forwarded-for', ip],
      ['x-real-ip', ip],
      ['forwarded', forwardedFor(ip)],
      ['x-cluster-client-ip', ip],
      ['fastly-client-ip', ip],
    ],
  ];
}

export const ipCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-IP-001',
    'MUST',
    REF_IP,
    'a live hash bound to another IP, sent from the client IP, never gets in (its reply as declared by foreign_ip_reply)',
    async (c) => {
      await refuseAllAsForeign(c, [c.get(c.pair(c.fx.foreignAccessHash)), c.get(`theme=dark; ${c.pair(c.fx.foreignAccessHash)}`)]);
    },
    { parameters: IP_PARAMETERS },
  ),
  ahcCase(
    'AHC-IP-002',
    'MUST',
    REF_IP,
    "the binding holds both ways: the foreign hash is accepted from its own IP, and the client's hash never from there",
    async (c) => {
      await c.admitAll('broken', [c.get(c.pair(c.fx.foreignAccessHash), c.fx.foreignIp)], 'the foreign hash from the IP it is bound to');
      await refuseAllAsForeign(c, [c.get(c.pair(c.fx.accessHash), c.fx.foreignIp)]);
    },
    { requires: ['remote-address'], parameters: IP_PARAMETERS },
  ),
  ahcCase(
    'AHC-IP-003',
    'MUST',
    REF_IP,
    'addresses near the bound one (next and previous, a digit more or less, the same /24, loopback, the other family) never get in',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      await refuseAllAsForeign(c, neighbouringAddresses(c.fx.clientIp).map((address) => c.get(pair, address)));
    },
    { requires: ['remote-address'], parameters: IP_PARAMETERS },
  ),
  ahcCase(
    'AHC-IP-004',
    'MUST',
    `${REF_IP}; ${REF_MAPPED} (an IPv4-mapped IPv6 address is its IPv4 address)`,
    'the IPv4-mapped address `::ffff:<client IPv4>` (as a dual-stack socket reports it) is the bound address: accepted',
    async (c) => {
      const mapped = `::ffff:${normalizeIpAddress(c.fx.clientIp) as string}`;
      for (const spec of [c.get(c.pair(c.fx.accessHash), mapped), c.get(`theme=dark; ${c.pair(c.fx.accessHash)}`, mapped)]) {
        c.expected(await c.send(spec), true, 'foreign-ip', 'RFC 4291 §2.5.5.2 makes it the same IPv4 address');
      }
    },
    { requires: ['remote-address', 'ipv4-client'] },
  ),
  ahcCase(
    'AHC-IP-005',
    'MUST',
    `${REF_IP}; ${REF_MAPPED}`,
    'the IPv4-mapped form of another IPv4 address (the foreign IP, a neighbour) never gets in',
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      const others = [...(isIpv4(c.fx.foreignIp) ? [normalizeIpAddress(c.fx.foreignIp) as string] : []), ...neighbouringAddresses(c.fx.clientIp).filter(isIpv4).slice(0, 3)];
      await refuseAllAsForeign(c, others.map((address) => c.get(pair, `::ffff:${address}`)));
    },
    { requires: ['remote-address', 'ipv4-client'], parameters: IP_PARAMETERS },
  ),
  ahcCase(
    'AHC-IP-006',
    'SHOULD',
    `${REF_IP}; ${REF_MAPPED}; RFC 5952`,
    'other spellings of the IPv4-mapped address (`::FFFF:`, `0:0:0:0:0:ffff:`, hex groups `::ffff:cb00:7107`) are the bound address too: accepted',
    async (c) => {
      const ip = normalizeIpAddress(c.fx.clientIp) as string;
      const pair = c.pair(c.fx.accessHash);
      for (const address of [`::FFFF:${ip}`, `0:0:0:0:0:ffff:${ip}`, mappedHexForm(ip)]) {
        c.expected(await c.send(c.get(pair, address)), true, 'foreign-ip', 'RFC 4291 §2.5.5.2 and RFC 5952 make it the same IPv4 address');
      }
    },
    { requires: ['remote-address', 'ipv4-client'] },
  ),
  ahcCase(
    'AHC-IP-007',
    'SHOULD',
    `${REF_IP}; RFC 4291 §2.5.5.1; RFC 6052`,
    'IPv4-compatible `::<IPv4>` and NAT64 `64:ff9b::<IPv4>` are other addresses than the IPv4 itself: never accepted',
    async (c) => {
      const ip = normalizeIpAddress(c.fx.clientIp) as string;
      const pair = c.pair(c.fx.accessHash);
      await refuseAllAsForeign(c, [`::${ip}`, `64:ff9b::${ip}`].map((address) => c.get(pair, address)));
    },
    { requires: ['remote-address', 'ipv4-client'], parameters: IP_PARAMETERS },
  ),
  ahcCase(
    'AHC-IP-008',
    'MUST',
    `${REF_IP}; ${REF_FORWARDED}; ${REF_SECURITY}`,
    "X-Forwarded-For, X-Real-IP, Forwarded and similar headers naming the foreign hash's IP do not let it in from the client IP",
    async (c) => {
      const pair = c.pair(c.fx.foreignAccessHash);
      await refuseAllAsForeign(c, spoofingHeaders(c.fx.foreignIp).map((headers) => c.withHeaders([['cookie', pair], ...headers])));
    },
    { parameters: IP_PARAMETERS },
  ),
  ahcCase(
    'AHC-IP-009',
    'MUST',
    `${REF_IP}; ${REF_FORWARDED}; ${REF_SECURITY}`,
    "without trusted proxies, the client's hash sent from another address with X-Forwarded-For (or X-Real-IP, Forwarded…) naming the bound IP never gets in",
    async (c) => {
      const pair = c.pair(c.fx.accessHash);
      const specs: AhcRequestSpec[] = [];
      for (const address of [c.fx.foreignIp, ...neighbouringAddresses(c.fx.clientIp).slice(0, 1)]) {
        for (const headers of spoofingHeaders(c.fx.clientIp)) specs.push(c.withHeaders([['cookie', pair], ...headers], address));
      }
      await refuseAllAsForeign(c, specs);
    },
    { requires: ['remote-address', 'no-trusted-proxies'], parameters: IP_PARAMETERS },
  ),
];
