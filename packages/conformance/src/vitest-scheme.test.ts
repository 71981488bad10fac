// describeConformance with any ConformanceScheme: over HTTP (`{ scheme, baseUrl, fixtures, parameters }`) against a
// small server on a real socket, and in-process (`{ scheme, driver }`), with declared parameters and strictWire.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ConformanceFailure } from './case.js';
import type { WireSender } from './drivers/wire.js';
import { CONFORMANCE_ORIGIN } from './drivers/wire.js';
import type { ConformanceScheme } from './scheme.js';
import { describeConformance } from './vitest.js';

/** The server: `/resource` accepts `x-key: good` and refuses anything else with the declared status. */
function answer(key: string | undefined, refusal: number): { status: number; body: unknown } {
  return key === 'good' ? { status: 200, body: { ok: true } } : { status: refusal, body: { error: 'Invalid key' } };
}

const server = createServer((req, res) => {
  const { status, body } = answer(req.headers['x-key'] as string | undefined, 403);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

interface KeyDriver {
  readonly sender: WireSender;
  readonly key: string;
}

const seen: { parameters: Readonly<Record<string, string>>[]; cleanups: number } = { parameters: [], cleanups: 0 };

const keyScheme: ConformanceScheme<KeyDriver> = {
  profile: {
    id: 'toy-key@1',
    title: 'Toy keys (toy-key@1)',
    parameters: [{ name: 'refusal_status', values: ['401', '403'], default: '401', description: 'the status of a refusal', silence: 'RFC 9110 leaves it open' }],
    cases: [
      {
        id: 'TOY-KEY-001',
        level: 'MUST',
        ref: 'test',
        title: 'the fixture key is accepted',
        async run(driver) {
          const reply = await driver.sender.send(new Request(`${CONFORMANCE_ORIGIN}/resource`, { headers: { 'x-key': driver.key } }));
          if (reply.status !== 200) throw new ConformanceFailure(`HTTP ${reply.status}`);
        },
      },
      {
        id: 'TOY-KEY-002',
        level: 'MUST',
        ref: 'test',
        title: 'a wrong key is never accepted, and is refused with the declared status',
        async run(driver, context) {
          seen.parameters.push(context.parameters);
          const reply = await driver.sender.send(new Request(`${CONFORMANCE_ORIGIN}/resource`, { headers: { 'x-key': 'bad' } }));
          if (reply.status < 300) throw new ConformanceFailure('a wrong key was accepted', { kind: 'accepted' });
          context.wire(String(reply.status) === context.parameters['refusal_status'], `HTTP ${reply.status}`);
        },
      },
      { id: 'TOY-KEY-003', level: 'SHOULD', ref: 'test', title: 'needs what the driver lacks', requires: ['extra'], run: async () => undefined },
    ],
  },
  fixtures: [{ name: 'key', required: true, description: 'a key the server accepts' }],
  async createHttpDriver(context) {
    return {
      driver: { sender: context.createSender({ bindSourceAddress: false }), key: context.fixtures['key'] as string },
      capabilities: [],
      cleanup: async () => void seen.cleanups++,
    };
  },
};

// Over HTTP, with the parameter the server follows: every check holds, strictly.
describeConformance({ scheme: keyScheme, baseUrl, fixtures: { key: 'good' }, parameters: { refusal_status: '403' }, strictWire: true, disable: ['TOY-KEY-001'] });

// In-process with a driver of one's own; the default parameter differs from what the stand-in answers, which is a
// wire difference (annotated), not a failure.
const inProcess: WireSender = { send: async (request) => answer(request.headers.get('x-key') ?? undefined, 403) };
describeConformance({ scheme: keyScheme, driver: { sender: inProcess, key: 'good' } });

describe('describeConformance with a scheme', () => {
  it('gave the cases the declared parameters, defaults filled in', () => {
    expect(seen.parameters).toContainEqual({ refusal_status: '403' });
    expect(seen.parameters).toContainEqual({ refusal_status: '401' });
  });

  it('refuses what is not a scheme, unknown parameters and unknown case ids when registering', () => {
    expect(() => describeConformance({ scheme: { profile: null } as never, driver: {} })).toThrow(/Invalid option `scheme`: profile must be/);
    expect(() => describeConformance({ scheme: keyScheme, driver: { sender: inProcess, key: 'good' }, parameters: { refusal_status: '500' } })).toThrow(/refusal_status must be "401" or "403"/);
    expect(() => describeConformance({ scheme: keyScheme, baseUrl, fixtures: {}, disable: ['TOY-KEY-404'] })).toThrow(/profile toy-key@1 has no case "TOY-KEY-404"/);
  });
});
