// describeConformance with a base URL: the same nvx-hash@1 cases, registered under vitest, against the kit's
// reference server on a real socket.
import { afterAll } from 'vitest';
import { createNvxReferenceWithManagement } from '../__fixtures__/nvx-reference.js';
import { nvxInProcessDriver } from '../drivers/nvx-in-process.js';
import { describeConformance } from '../vitest.js';
import { NVX_HTTP_FIXTURES, nvxAccountRoutes, serveWire } from './__fixtures__/wire-server.js';

const reference = createNvxReferenceWithManagement({ queryHash: 'enabled' });
const inProcess = nvxInProcessDriver(reference);
const server = await serveWire(
  nvxAccountRoutes({
    strategy: reference.strategy,
    render: reference.render,
    management: reference.management,
    fallback: (request, remoteAddress) => inProcess.send(request, { remoteAddress }),
  }),
);
afterAll(() => server.close());

describeConformance({ profile: 'nvx-hash@1', baseUrl: server.baseUrl, fixtures: { ...NVX_HTTP_FIXTURES, query_hash: 'enabled' } });
