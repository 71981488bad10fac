// A benchmark server in its own process, so the load generator (autocannon, in the parent) and the server never
// share a thread. Started with the JSON of a ServerSpec; reports over IPC:
//   → { type: 'ready', port, credentials }   once listening
//   ← { type: 'cpu' }  → { type: 'cpu', user, system }   CPU time used so far (µs), read between rounds
//   ← { type: 'stop' }                        closes and exits
import { startServer, type ServerSpec } from './servers.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
const send = (message: unknown): void => {
  process.send?.(message);
};

const server = await startServer(spec);
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', user, system });
  } else if (message?.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
// Never outlive the parent.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', port: server.port, credentials: server.credentials });
