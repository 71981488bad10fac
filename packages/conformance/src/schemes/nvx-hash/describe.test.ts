// describeConformance with the nvx-hash@2 scheme object: in-process with a ready driver, and over HTTP against the
// reference on a real socket (the kit's own createHttpDriver builds the scheme context). strictWire: the reference
// makes Gatehouse's choices, so any wire difference fails.
import { afterAll } from 'vitest';
import { describeConformance } from '../../vitest.js';
import { NVX_TEST_FIXTURES } from './__fixtures__/key-routes.js';
import { createNvxReference } from './__fixtures__/reference.js';
import { serveReference } from './__fixtures__/servers.js';
import { nvxHashScheme, nvxInProcessDriver } from './index.js';

describeConformance({ scheme: nvxHashScheme, driver: nvxInProcessDriver(createNvxReference()), strictWire: true });

const { server, reference } = await serveReference({ choices: { queryHash: 'enabled' } });
afterAll(() => server.close());
describeConformance({ scheme: nvxHashScheme, baseUrl: server.baseUrl, fixtures: NVX_TEST_FIXTURES, parameters: reference.parameters, strictWire: true });
