import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ConformanceProfile } from './case.js';
import { accessHashInProcessDriver, type AccessHashInProcessDriverOptions } from './drivers/access-hash-in-process.js';
import { hmacInProcessDriver, type HmacInProcessDriverOptions } from './drivers/hmac-in-process.js';
import { nvxInProcessDriver, type NvxInProcessDriverOptions } from './drivers/nvx-in-process.js';
import { accessHashCookieV1, type AccessHashDriver } from './profiles/access-hash-cookie.js';
import { credentialStoreV1, type CredentialStoreDriver } from './profiles/credential-store.js';
import { ephemeralStoreV1, type EphemeralStoreDriver } from './profiles/ephemeral-store.js';
import { hmacSignatureV1, type HmacSignatureDriver } from './profiles/hmac-signature.js';
import { nvxHashV1, type NvxHashDriver } from './profiles/nvx-hash.js';
import { strategyContractV1, type StrategyContractDriver } from './profiles/strategy-contract.js';
import { isConformanceSkip, planProfile } from './run.js';

/**
 * Which cases to leave out of a {@link describeConformance} suite.
 *
 * @example
 * ```ts
 * const selection: ConformanceSelection = { disable: ['SC-TAMPER-002'] };
 * ```
 */
export interface ConformanceSelection {
  /** Case ids to skip (registered with `it.skip`). An id the profile does not have throws. */
  readonly disable?: readonly string[];
}

/**
 * Options of {@link describeConformance}: the profile id and that profile's driver, side by side.
 *
 * @example
 * ```ts
 * const options: DescribeConformanceOptions = {
 *   profile: 'credential-store@1',
 *   createStore: () => createMemoryCredentialStore(),
 *   disable: ['CS-COPY-002'],
 * };
 * ```
 */
export type DescribeConformanceOptions =
  | ({ readonly profile: 'nvx-hash@1' | 'access-hash-cookie@1' | 'hmac-signature@1' } & HttpDescribeOptions & ConformanceSelection)
  | ({ readonly profile: 'strategy-contract@1' } & StrategyContractDriver & ConformanceSelection)
  | ({ readonly profile: 'credential-store@1' } & CredentialStoreDriver & ConformanceSelection)
  | ({ readonly profile: 'ephemeral-store@1' } & EphemeralStoreDriver & ConformanceSelection)
  | ({ readonly profile: 'nvx-hash@1' } & NvxHashDescribeOptions & ConformanceSelection)
  | ({ readonly profile: 'access-hash-cookie@1' } & AccessHashDescribeOptions & ConformanceSelection)
  | ({ readonly profile: 'hmac-signature@1' } & HmacSignatureDescribeOptions & ConformanceSelection);

/**
 * Runs a scheme profile against a live server (any language) over HTTP: its base URL and the HTTP fixtures
 * documented in the README (the same names as the CLI's `--set`).
 *
 * @example
 * ```ts
 * const http: HttpDescribeOptions = { baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'demo', password: 'demo-password', panel_login: 'admin', panel_password: 'admin-password' } };
 * ```
 */
export interface HttpDescribeOptions {
  readonly baseUrl: string;
  readonly fixtures: Readonly<Record<string, string>>;
  readonly timeoutInMilliseconds?: number;
}

/**
 * How {@link describeConformance} drives `nvx-hash@1`: the options of `nvxInProcessDriver` (a strategy, which
 * renders its own refusals, and a per-case `setup`), or a ready driver (e.g. one that talks to a live server).
 *
 * @example
 * ```ts
 * const inProcess: NvxHashDescribeOptions = { strategy: nvxHash({ store }), setup };
 * const ready: NvxHashDescribeOptions = { driver: nvxInProcessDriver({ strategy: nvxHash({ store }), setup }) };
 * ```
 */
export type NvxHashDescribeOptions = NvxInProcessDriverOptions | { readonly driver: NvxHashDriver };

/**
 * How {@link describeConformance} drives `access-hash-cookie@1`: the options of `accessHashInProcessDriver` (a
 * strategy, which renders its own refusals, and a per-case `setup`), or a ready driver (e.g. one that talks to a
 * live server).
 *
 * @example
 * ```ts
 * const inProcess: AccessHashDescribeOptions = { strategy: accessHashCookie({ store }), setup };
 * const ready: AccessHashDescribeOptions = { driver: accessHashInProcessDriver({ strategy: accessHashCookie({ store }), setup }) };
 * ```
 */
export type AccessHashDescribeOptions = AccessHashInProcessDriverOptions | { readonly driver: AccessHashDriver };

/**
 * How {@link describeConformance} drives `hmac-signature@1`: the options of `hmacInProcessDriver` (the
 * AuthenticateUser endpoint, the session endpoint and a per-case `setup`), or a ready driver (e.g. one that talks
 * to a live server).
 *
 * @example
 * ```ts
 * const inProcess: HmacSignatureDescribeOptions = { authenticate, session, setup, storeFailure, revokeKey };
 * const ready: HmacSignatureDescribeOptions = { driver: hmacInProcessDriver({ authenticate, session, setup }) };
 * ```
 */
export type HmacSignatureDescribeOptions = HmacInProcessDriverOptions | { readonly driver: HmacSignatureDriver };

function register<D>(profile: ConformanceProfile<D>, driver: D, disable: readonly string[] | undefined): void {
  const planned = planProfile(profile, driver, disable === undefined ? {} : { disable });
  describe(profile.title, () => {
    for (const { testCase, skipReason } of planned) {
      const name = `${testCase.id} ${testCase.title}`;
      if (skipReason !== null) it.skip(name, () => undefined);
      else {
        it(name, async (context) => {
          try {
            await testCase.run(driver);
          } catch (error) {
            // A case that learns only when it runs that the driver lacks a capability skips itself.
            if (isConformanceSkip(error)) context.skip(error.message);
            throw error;
          }
        });
      }
    }
  });
}

function registerHttp<D>(
  profile: ConformanceProfile<D>,
  profileId: 'nvx-hash@1' | 'access-hash-cookie@1' | 'hmac-signature@1',
  options: HttpDescribeOptions,
  disable: readonly string[] | undefined,
): void {
  const disabled = new Set(disable ?? []);
  for (const id of disabled) {
    if (!profile.cases.some((testCase) => testCase.id === id)) throw new TypeError(`Invalid option \`disable\`: profile ${profile.id} has no case ${JSON.stringify(id)}`);
  }
  describe(`${profile.title} over HTTP (${options.baseUrl})`, () => {
    let handle: { driver: unknown; capabilities: readonly string[]; cleanup(): Promise<void> } | undefined;
    beforeAll(async () => {
      // Loaded on demand: the HTTP drivers are Node-only and this entry must stay importable without them.
      const { createHttpDriver } = await import('./http/index.js');
      handle = await createHttpDriver(profileId, {
        baseUrl: options.baseUrl,
        fixtures: options.fixtures,
        ...(options.timeoutInMilliseconds === undefined ? {} : { timeoutInMilliseconds: options.timeoutInMilliseconds }),
      });
    }, 120_000);
    afterAll(async () => handle?.cleanup(), 120_000);
    for (const testCase of profile.cases) {
      const name = `${testCase.id} ${testCase.title}`;
      if (disabled.has(testCase.id)) {
        it.skip(name, () => undefined);
        continue;
      }
      it(name, async (context) => {
        if (handle === undefined) throw new Error('the HTTP driver did not start');
        const missing = (testCase.requires ?? []).filter((capability) => !handle!.capabilities.includes(capability));
        if (missing.length > 0) context.skip(`requires ${missing.join(', ')}`);
        try {
          await testCase.run(handle.driver as D);
        } catch (error) {
          if (isConformanceSkip(error)) context.skip(error.message);
          throw error;
        }
      }, 60_000);
    }
  });
}

/**
 * Registers a vitest `describe` block for a conformance profile, with one `it` per case titled
 * `<id> <title>`. MUST and SHOULD cases both run and fail the suite when broken; disable a case by id to accept
 * a deviation. Cases whose capability the driver lacks (`credentialed`, `events`, `store-failure`, `remote-address`,
 * `revoke`) are registered as skipped; wire-profile cases whose fixture is missing (`query-hash`, `sub-user`,
 * `revoked-hash`, `replay-protection`, `ip-restricted-key`, ...) skip themselves when they run.
 *
 * @example
 * ```ts
 * import { describeConformance } from '@gatehouse/conformance/vitest';
 *
 * describeConformance({ profile: 'strategy-contract@1', strategy: myStrategy, credentialed, events: () => events });
 * describeConformance({ profile: 'credential-store@1', createStore: () => createMyCredentialStore() });
 * describeConformance({ profile: 'ephemeral-store@1', createStore: ({ clock }) => createMemoryEphemeralStore({ clock }) });
 * describeConformance({ profile: 'nvx-hash@1', strategy: nvxHash({ store }), setup, storeFailure });
 * describeConformance({ profile: 'nvx-hash@1', baseUrl: 'http://127.0.0.1:3000', fixtures: { login: 'demo', password: 'demo-password', panel_login: 'admin', panel_password: 'admin-password' } });
 * describeConformance({ profile: 'access-hash-cookie@1', strategy: accessHashCookie({ store }), setup, storeFailure, revoke });
 * describeConformance({
 *   profile: 'hmac-signature@1',
 *   authenticate: { strategy: hmacSignature({ store, sealer, ephemeralStore }), startSession, renderSuccess },
 *   session: { strategy: hmacSession({ store }) },
 *   setup,
 * });
 * ```
 */
export function describeConformance(options: DescribeConformanceOptions): void {
  if ('baseUrl' in options) {
    const profile = options.profile === 'nvx-hash@1' ? nvxHashV1 : options.profile === 'access-hash-cookie@1' ? accessHashCookieV1 : hmacSignatureV1;
    return registerHttp(profile as ConformanceProfile<unknown>, options.profile, options, options.disable);
  }
  switch (options.profile) {
    case 'strategy-contract@1':
      return register(strategyContractV1, options, options.disable);
    case 'credential-store@1':
      return register(credentialStoreV1, options, options.disable);
    case 'ephemeral-store@1':
      return register(ephemeralStoreV1, options, options.disable);
    case 'nvx-hash@1':
      return register(nvxHashV1, 'driver' in options ? options.driver : nvxInProcessDriver(options), options.disable);
    case 'access-hash-cookie@1':
      return register(accessHashCookieV1, 'driver' in options ? options.driver : accessHashInProcessDriver(options), options.disable);
    case 'hmac-signature@1':
      return register(hmacSignatureV1, 'driver' in options ? options.driver : hmacInProcessDriver(options), options.disable);
    default:
      throw new TypeError(`Invalid option \`profile\`: unknown profile ${JSON.stringify((options as { profile?: unknown }).profile)}`);
  }
}
