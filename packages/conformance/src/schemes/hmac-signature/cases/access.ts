// What a key may do and from where (KiiEx "Authenticate with API Key": permissions and allowed IPs chosen when a
// key is created), and failing closed when the server's stores fail.
import { normalizeIpAddress } from '@gatehouse/auth-core/strategy';
import { check, deepEqual, neverAccepted, neverLeaked } from '../../../check.js';
import { replyText, type HeaderList } from '../../../profiles/wire-request.js';
import { hmacCase, type HmacCase, type HmacCaseContext, type HmacExchange } from '../context.js';
import type { ResolvedKey } from '../fixtures.js';
import { alterCharacter, callAccepted, KIIEX_API_KEY, loginAccepted, RFC_9110 } from '../wire.js';

const REF_CREATE = `${KIIEX_API_KEY} (creating a key: "add permissions", "restrict usage by IP address")`;
const REF_IP = `${REF_CREATE}; the client address is the connection's unless the server is told to trust a proxy`;
const REF_STORE = `${RFC_9110} (5xx: the server cannot answer); a failure to look a credential up never lets the request in`;

/** Headers a client may send to claim another address. */
function spoofingHeaders(ip: string): HeaderList[] {
  return [[['x-forwarded-for', ip]], [['x-real-ip', ip]], [['forwarded', ip.includes(':') ? `for="[${ip}]"` : `for=${ip}`]], [['true-client-ip', ip], ['x-client-ip', ip]]];
}

/** A wire check: a reply to a failing store is a 5xx. */
function serverError(c: HmacCaseContext, sent: HmacExchange): void {
  c.wire(sent.reply.status >= 500 && sent.reply.status <= 599, () => `${sent.label} with the stores failing: HTTP ${sent.reply.status}, not a 5xx`);
}

export const accessCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-PERM-001',
    'MUST',
    REF_CREATE,
    "the session of a key without the permission a call needs is never let through on that call, while it works on the resource and the full key's session works on that call",
    async (c) => {
      const path = c.fx.permissionPath as string;
      const full = await c.login();
      c.callWorks(await c.send(c.call(full, path)));
      const limited = await c.login(c.fx.limitedKey as ResolvedKey);
      c.callWorks(await c.send(c.call(limited)));
      c.refusedCall(await c.send(c.call(limited, path)), 'the session of a key without the permission');
    },
    { requires: ['permission'] },
  ),
  hmacCase(
    'HMAC-IP-001',
    'MUST',
    `${REF_IP}; declared foreign_ip_reply`,
    "a key restricted to other IP addresses, correctly signed, is never accepted from the kit's address, and the refusal does not name an allowed address",
    async (c) => {
      const key = c.fx.ipRestrictedKey as ResolvedKey;
      const [sent] = (await c.refusedLogins([c.loginHeaders(c.values(key))], 'a key used from an address it does not allow')) as [HmacExchange];
      const allowed = c.fx.allowedIp;
      if (allowed !== null) {
        const text = replyText(sent.reply.body).toLowerCase();
        const spellings = [...new Set([allowed, normalizeIpAddress(allowed) as string])];
        neverLeaked(!spellings.some((ip) => text.includes(ip.toLowerCase())), () => `${sent.label}: the refusal names the address the key allows`);
      }
      if (c.parameter('foreign_ip_reply') === 'same-as-invalid') {
        const values = c.values(key);
        const wrong = await c.send(c.loginHeaders({ ...values, Signature: alterCharacter(values.Signature, -1) }));
        c.refusedLogin(wrong, 'a wrong Signature');
        c.wire(
          wrong.reply.status === sent.reply.status && deepEqual(wrong.reply.body, sent.reply.body),
          () => `${sent.label} got ${c.describe(sent)}, a wrong Signature got ${c.describe(wrong)}: the declared foreign_ip_reply=same-as-invalid wants the same reply`,
        );
      }
    },
    { requires: ['ip-restricted-key'], parameters: ['foreign_ip_reply'] },
  ),
  hmacCase(
    'HMAC-IP-002',
    'MUST',
    REF_CREATE,
    'the IP-restricted key signs in from its allowed address, and its session works there',
    async (c) => {
      const key = c.fx.ipRestrictedKey as ResolvedKey;
      const from = c.fx.allowedIp as string;
      const token = await c.login(key, from);
      c.callWorks(await c.send(c.call(token, c.fx.resource, from)));
    },
    { requires: ['ip-restricted-key', 'ip-allowed-address', 'remote-address'] },
  ),
  hmacCase(
    'HMAC-IP-003',
    'MUST',
    REF_IP,
    "X-Forwarded-For, X-Real-IP, Forwarded or True-Client-IP naming the allowed address never let the IP-restricted key in from the kit's address",
    async (c) => {
      const key = c.fx.ipRestrictedKey as ResolvedKey;
      const allowed = c.fx.allowedIp as string;
      await c.refusedLogins(
        spoofingHeaders(allowed).map((headers) => c.loginHeaders(c.values(key), headers)),
        'a key used from an address it does not allow, with a header claiming the allowed one',
      );
    },
    { requires: ['ip-restricted-key', 'ip-allowed-address'] },
  ),
  hmacCase(
    'HMAC-STORE-001',
    'MUST',
    REF_STORE,
    'with the stores failing, a correctly signed AuthenticateUser (headers or JSON body) never signs in nor hands out a session token',
    async (c) => {
      check(typeof c.driver.storeFailure === 'function', 'the driver offers capability store-failure but has no storeFailure()');
      const sender = await c.driver.storeFailure();
      for (const spec of [c.loginHeaders(c.values()), c.loginJson({ ...c.values() })]) {
        const sent = await c.send(spec, sender);
        neverAccepted(!loginAccepted(sent.reply), () => `${sent.label} with the stores failing was accepted: ${c.describe(sent)}`);
        serverError(c, sent);
      }
    },
    { requires: ['store-failure'] },
  ),
  hmacCase(
    'HMAC-STORE-002',
    'MUST',
    REF_STORE,
    'with the stores failing, a call with a live session token is never let through',
    async (c) => {
      const token = await c.login();
      check(typeof c.driver.storeFailure === 'function', 'the driver offers capability store-failure but has no storeFailure()');
      const sender = await c.driver.storeFailure();
      const sent = await c.send(c.call(token), sender);
      neverAccepted(!callAccepted(sent.reply), () => `${sent.label} with the stores failing was let through: ${c.describe(sent)}`);
      serverError(c, sent);
    },
    { requires: ['store-failure'] },
  ),
];
