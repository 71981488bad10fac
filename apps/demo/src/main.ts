import { startDemo } from './server.js';

try {
  const demo = await startDemo(process.env);
  const stop = (): void => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`Gatehouse demo failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
