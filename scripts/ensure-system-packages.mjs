// The tests run real programs from Debian's packages, never downloaded builds: Chromium for the browser tests,
// PostgreSQL and Redis for the stores and the two-instance demo test. Installs what is missing with apt-get when
// this user may, otherwise says exactly what to do.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const hasPostgres = () =>
  Boolean(process.env.GATEHOUSE_POSTGRES_BIN) ||
  (existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`)));
const hasRedis = () => ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((path) => existsSync(path));

const missing = [
  ...(existsSync(chromium) ? [] : ['chromium']),
  ...(hasPostgres() ? [] : ['postgresql']),
  ...(hasRedis() ? [] : ['redis-server']),
];
if (missing.length === 0) process.exit(0);
if (process.getuid?.() !== 0) {
  console.error(
    `The tests need Debian's ${missing.join(', ')}. Install with: sudo apt-get install -y ${missing.join(' ')}` +
      ' (or set CHROMIUM_PATH / GATEHOUSE_POSTGRES_BIN to existing installations).',
  );
  process.exit(1);
}
console.log(`Installing Debian's ${missing.join(', ')} for the tests…`);
execFileSync('apt-get', ['update'], { stdio: 'inherit' });
execFileSync('apt-get', ['install', '-y', ...missing], {
  stdio: 'inherit',
  env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
});
// Debian's postgresql package starts a cluster of its own on port 5432; the tests start theirs on free ports.
