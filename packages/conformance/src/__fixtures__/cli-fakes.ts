// A fake scheme (its profile, parameters and HTTP driver) and in-memory I/O, so the CLI's tests need no server,
// terminal or disk. The fake plugs in as any scheme from outside the kit does.
import { ConformanceFailure, ConformanceSkip, type ConformanceProfile } from '../case.js';
import type { CliIo, CommandOutcome } from '../cli/main.js';
import type { ConformanceScheme, HttpSchemeContext } from '../scheme.js';
import { schemes } from '../schemes/index.js';

/**
 * What a fake case does: pass; fail as `broken`, `accepted` or `leaked`; pass with a wire difference (`wire`) or
 * fail as accepted with one too (`accepted+wire`); pass with every wire check holding (`wire-ok`); skip itself;
 * throw a non-kit error; or hang.
 */
export type FakeOutcome = 'pass' | 'fail' | 'accepted' | 'leaked' | 'wire' | 'accepted+wire' | 'wire-ok' | 'skip' | 'throw' | 'hang';

/** The fake driver: what each case should do. */
export interface FakeDriver {
  readonly outcomes: Readonly<Record<string, FakeOutcome>>;
  readonly capabilities: readonly string[];
}

async function act(driver: FakeDriver, id: string, context: { wire(condition: unknown, message: string): void; parameters: Readonly<Record<string, string>> }): Promise<void> {
  const outcome = driver.outcomes[id] ?? 'pass';
  if (outcome === 'wire' || outcome === 'accepted+wire') context.wire(false, `HTTP 403, the documents say 401 (refusal_status=${context.parameters['refusal_status'] ?? '?'})`);
  if (outcome === 'wire-ok') context.wire(true, 'never shown');
  if (outcome === 'fail') throw new ConformanceFailure(`${id} broke: expected <200> & "ok", got 'no'`);
  if (outcome === 'accepted' || outcome === 'accepted+wire') throw new ConformanceFailure(`${id}: a forged key was accepted: HTTP 200`, { kind: 'accepted' });
  if (outcome === 'leaked') throw new ConformanceFailure(`${id}: the reply echoed the key`, { kind: 'leaked' });
  if (outcome === 'skip') throw new ConformanceSkip('requires sub-user');
  if (outcome === 'throw') throw new RangeError('driver exploded');
  if (outcome === 'hang') await new Promise(() => undefined);
}

export const fakeProfile: ConformanceProfile<FakeDriver> = {
  id: 'fake@1',
  title: 'Fake wire profile (fake@1)',
  cases: [
    { id: 'FAKE-001', level: 'MUST', ref: 'test', title: 'the first rule holds', run: (driver, context) => act(driver, 'FAKE-001', context) },
    { id: 'FAKE-002', level: 'SHOULD', ref: 'test', title: 'the advice is followed', run: (driver, context) => act(driver, 'FAKE-002', context) },
    { id: 'FAKE-003', level: 'MUST', ref: 'test', title: 'needs an extra', requires: ['extra'], run: (driver, context) => act(driver, 'FAKE-003', context) },
    { id: 'FAKE-004', level: 'MUST', ref: 'test', title: 'escapes <tags> & "quotes" \'too\'', run: (driver, context) => act(driver, 'FAKE-004', context) },
  ],
  parameters: [
    {
      name: 'refusal_status',
      values: ['401', '403'],
      default: '401',
      description: 'the status of a refusal',
      silence: 'RFC 9110 §15.5.2 and §15.5.4 both fit a refused key',
    },
  ],
  capabilitiesOf: (driver) => driver.capabilities,
};

/** A fake scheme and what its HTTP driver was started with. */
export interface FakeScheme extends ConformanceScheme<FakeDriver> {
  readonly calls: HttpSchemeContext[];
  cleanups: number;
}

/** A fake scheme for `fake@1`: its driver does what `outcomes` says for each case. */
export function createFakeScheme(outcomes: Readonly<Record<string, FakeOutcome>> = {}, options: { capabilities?: readonly string[]; failToStart?: Error } = {}): FakeScheme {
  const fake: FakeScheme = {
    profile: fakeProfile,
    fixtures: [
      { name: 'login', required: true, description: 'a login' },
      { name: 'password', required: true, description: 'its password' },
      { name: 'resource', required: false, default: '/v2/tracker/list', description: 'a route' },
      { name: 'query_hash', required: false, description: 'enabled or disabled' },
    ],
    calls: [],
    cleanups: 0,
    async createHttpDriver(context) {
      fake.calls.push(context);
      if (options.failToStart !== undefined) throw options.failToStart;
      return {
        driver: { outcomes, capabilities: [] },
        capabilities: options.capabilities ?? [],
        cleanup: async () => {
          fake.cleanups++;
        },
      };
    },
  };
  return fake;
}

/** The kit's built-in schemes plus a fake one, as `CliContext.schemes`. */
export function withKitSchemes(fake: ConformanceScheme<FakeDriver>): ConformanceScheme<unknown>[] {
  return [fake as ConformanceScheme<unknown>, ...(Object.values(schemes) as ConformanceScheme<unknown>[])];
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

/** A fake shell for `--fixtures-command`: each command's outcome, and what it was run with. */
export function createFakeShell(outcomes: Readonly<Record<string, Partial<CommandOutcome>>>): {
  readonly runs: { command: string; env: Readonly<Record<string, string>> }[];
  runCommand(command: string, env: Readonly<Record<string, string>>): Promise<CommandOutcome>;
} {
  const runs: { command: string; env: Readonly<Record<string, string>> }[] = [];
  return {
    runs,
    async runCommand(command, env) {
      runs.push({ command, env });
      const outcome = outcomes[command];
      if (outcome === undefined) throw new Error(`spawn ${command} ENOENT`);
      return { exitCode: 0, signal: null, stdout: '', stderr: '', ...outcome };
    },
  };
}
