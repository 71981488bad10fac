import { createMemoryCredentialStore, type AuthEvent } from '@gatehouse/auth-core';
import { describeConformance } from '@gatehouse/conformance/vitest';
import { createTemplateKeyManager, signTemplateRequest, templateKey } from './index.js';

const store = createMemoryCredentialStore();
const events: AuthEvent[] = [];
const options = { store, onEvent: (event: AuthEvent) => events.push(event) };
const manager = createTemplateKeyManager({ ...options, maxKeysPerOwner: 1000 });

describeConformance({
  profile: 'strategy-contract@1',
  strategy: templateKey(options),
  credentialed: async () => {
    const issued = await manager.issue('owner-1', { label: 'conformance' });
    if (!issued.ok) throw new Error(`could not issue a key: ${issued.error.code}`);
    return { request: new Request('http://x/resource', { headers: signTemplateRequest(new Headers(), issued.value.key) }), secrets: [issued.value.key] };
  },
  events: () => events,
});
