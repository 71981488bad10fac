// Request framing: a request whose body the server does not read whole (an oversized one, or one it refuses before
// reading) is followed on the same connection by another; the first body is made of complete requests carrying a
// live aptoken, and the server must never answer them as requests of their own.
import { expectNoDesync } from '../../../profiles/desync.js';
import type { RawWireSender } from '../../../scheme.js';
import { hmacCase, type HmacCase } from '../context.js';
import { APTOKEN_HEADER, KIIEX_API_KEY, RFC_9112_FRAMING } from '../wire.js';

const MIB = 1024 * 1024;

export const desyncCases: readonly HmacCase[] = [
  hmacCase(
    'HMAC-DESYNC-001',
    'MUST',
    `${RFC_9112_FRAMING}; ${KIIEX_API_KEY} (the aptoken header)`,
    'a POST with an oversized body (to the resource with a live aptoken, and to AuthenticateUser), or a GET with a small body and no credential, followed on the same connection by a second request: the bytes of the first body are never answered as requests',
    async (c) => {
      const raw = c.driver.rawConnection;
      if (raw === undefined) throw new Error('the driver offers capability raw-connection but has no rawConnection');
      const token = await c.login();
      // expectNoDesync only writes raw bytes; the rest of a RawWireSender is never called.
      const sender: RawWireSender = {
        sendRaw: (bytes, options) => raw.sendRaw(bytes, options),
        send: () => Promise.reject(new Error('not used')),
        close: () => undefined,
      };
      const credential = [[APTOKEN_HEADER, token]] as const;
      const at = (path: string): string => `${raw.basePath}${path}`;
      await expectNoDesync(sender, { host: raw.host, path: at(c.fx.resource), credential, bodyBytes: 2 * MIB, firstCarriesCredential: true, firstMethod: 'POST' });
      await expectNoDesync(sender, { host: raw.host, path: at(c.fx.authenticatePath), credential, bodyBytes: 2 * MIB, firstCarriesCredential: false, firstMethod: 'POST' });
      await expectNoDesync(sender, { host: raw.host, path: at(c.fx.resource), credential, bodyBytes: 8 * 1024, firstCarriesCredential: false, firstMethod: 'GET' });
    },
    { requires: ['raw-connection'] },
  ),
];
