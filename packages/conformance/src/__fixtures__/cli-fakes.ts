// A fake profile, fake HTTP drivers and in-memory I/O, so the CLI's tests need no server, terminal or disk.
import { ConformanceFailure, ConformanceSkip, type ConformanceProfile } from '../case.js';
import type { CliIo, HttpDriverOptions, HttpDrivers } from '../cli/main.js';
import { profiles } from '../profiles/index.js';

export type FakeOutcome = 'pass' | 'fail' | 'skip' | 'throw' | 'hang';

/** The fake driver: what each case should do. */
export interface FakeDriver {
  readonly outcomes: Readonly<Record<string, FakeOutcome>>;
  readonly capabilities: readonly string[];
}

async function act(driver: FakeDriver, id: string): Promise<void> {
  const outcome = driver.outcomes[id] ?? 'pass';
  if (outcome === 'fail') throw new ConformanceFailure(`${id} broke: expected <200> & "ok", got 'no'`);
  if (outcome === 'skip') throw new ConformanceSkip('requires sub-user');
  if (outcome === 'throw') throw new RangeError('driver exploded');
  if (outcome === 'hang') await new Promise(() => undefined);
}

export const fakeProfile: ConformanceProfile<FakeDriver> = {
  id: 'fake@1',
  title: 'Fake wire profile (fake@1)',
  cases: [
    { id: 'FAKE-001', level: 'MUST', ref: 'test', title: 'the first rule holds', run: (driver) => act(driver, 'FAKE-001') },
    { id: 'FAKE-002', level: 'SHOULD', ref: 'test', title: 'the advice is followed', run: (driver) => act(driver, 'FAKE-002') },
    { id: 'FAKE-003', level: 'MUST', ref: 'test', title: 'needs an extra', requires: ['extra'], run: (driver) => act(driver, 'FAKE-003') },
    { id: 'FAKE-004', level: 'MUST', ref: 'test', title: 'escapes <tags> & "quotes" \'too\'', run: (driver) => act(driver, 'FAKE-004') },
  ],
  capabilitiesOf: (driver) => driver.capabilities,
};

/** The kit's profiles plus the fake one. */
export const fakeProfiles: Readonly<Record<string, ConformanceProfile<unknown>>> = {
  ...(profiles as unknown as Record<string, ConformanceProfile<unknown>>),
  'fake@1': fakeProfile as ConformanceProfile<unknown>,
};

export interface FakeHttp extends HttpDrivers {
  readonly calls: { profileId: string; options: HttpDriverOptions }[];
  cleanups: number;
}

/** Fake HTTP drivers for `fake@1` (and, by fixture names only, for the kit's three scheme profiles). */
export function createFakeHttp(outcomes: Readonly<Record<string, FakeOutcome>> = {}, options: { capabilities?: readonly string[]; failToStart?: Error } = {}): FakeHttp {
  const fake: FakeHttp = {
    calls: [],
    cleanups: 0,
    HTTP_FIXTURES: {
      'fake@1': [
        { name: 'login', required: true, description: 'a login' },
        { name: 'password', required: true, description: 'its password' },
        { name: 'resource', required: false, default: '/v2/tracker/list', description: 'a route' },
        { name: 'query_hash', required: false, description: 'enabled or disabled' },
      ],
      'nvx-hash@1': [
        { name: 'login', required: true, description: 'a master user' },
        { name: 'password', required: true, description: 'its password' },
      ],
      'access-hash-cookie@1': [{ name: 'access_hash', required: true, description: 'a hash bound to the client IP' }],
      'hmac-signature@1': [{ name: 'api_key', required: true, description: 'an API key' }],
    },
    async createHttpDriver(profileId, driverOptions) {
      fake.calls.push({ profileId, options: driverOptions });
      if (options.failToStart !== undefined) throw options.failToStart;
      const driver: FakeDriver = { outcomes, capabilities: [] };
      return {
        driver,
        capabilities: options.capabilities ?? [],
        cleanup: async () => {
          fake.cleanups++;
        },
      };
    },
  };
  return fake;
}

export interface MemoryIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly files: Map<string, string>;
}

/** In-memory I/O: lines written, files read and written, a fixed clock. */
export function createMemoryIo(files: Record<string, string> = {}, options: { isTTY?: boolean } = {}): MemoryIo {
  const stored = new Map(Object.entries(files));
  let tick = 0;
  return {
    stdout: [],
    stderr: [],
    files: stored,
    isTTY: options.isTTY ?? false,
    out(line) {
      this.stdout.push(line);
    },
    err(line) {
      this.stderr.push(line);
    },
    async readFile(path) {
      const text = stored.get(path);
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
    async writeFile(path, text) {
      if (path.startsWith('/missing/')) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      stored.set(path, text);
    },
    now: () => new Date(Date.UTC(2025, 0, 2, 3, 4, 5 + tick++)),
  };
}
