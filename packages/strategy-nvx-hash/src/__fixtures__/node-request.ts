// Test-only helpers (not exported from the package).
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { AuthRequest } from '@gatehouse/auth-core';
import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';

export { createFetchRequestAdapter } from '@gatehouse/auth-core';

/**
 * Sends raw header lines over a real socket and returns the AuthRequest the Node adapter builds, so tests see
 * repeated headers exactly as a Node server does.
 */
export async function createNodeRequestAdapterForTests(headers: Array<[string, string]>, target = '/v2/tracker/list'): Promise<AuthRequest> {
  const adapt = createNodeRequestAdapter();
  return new Promise((resolve, reject) => {
    const server = createServer((incoming, response) => {
      resolve(adapt(incoming));
      response.end();
      server.close();
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1', () => {
        socket.end(`GET ${target} HTTP/1.1\r\nHost: x\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}Connection: close\r\n\r\n`);
      });
      socket.on('error', reject);
      socket.resume();
    });
  });
}
