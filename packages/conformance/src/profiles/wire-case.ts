import { ConformanceSkip, type ConformanceCase, type ConformanceLevel } from '../case.js';
import { check, fail, show } from '../check.js';
import type { WireSender } from '../drivers/wire.js';

/** What every scheme driver has: per-case fixtures, its own capabilities and an optional failing-store sender. */
interface WireDriver {
  setup(): Promise<unknown>;
  readonly capabilities?: readonly string[];
  storeFailure?(): Promise<WireSender>;
}

/**
 * Builds the case constructor of a scheme profile: each case calls the driver's `setup()`, checks the
 * fixtures, derives the capabilities they imply, skips itself when one it requires is missing, and runs its
 * body with the profile's case context. Internal to the scheme profiles.
 *
 * @example
 * ```ts
 * const nvxCase = wireCaseFactory(resolveFixtures, fixtureCapabilities, (driver, fixtures) => new NvxCaseContext(driver, fixtures));
 * ```
 */
export function wireCaseFactory<D extends WireDriver, F, C, Capability extends string>(
  resolveFixtures: (raw: unknown) => F,
  fixtureCapabilities: (fixtures: F) => Iterable<string>,
  createContext: (driver: D, fixtures: F) => C,
): (
  id: string,
  level: ConformanceLevel,
  ref: string,
  title: string,
  body: (context: C) => Promise<void>,
  requires?: readonly Capability[],
) => ConformanceCase<D> {
  return (id, level, ref, title, body, requires) => ({
    id,
    level,
    ref,
    title,
    ...(requires === undefined ? {} : { requires }),
    async run(driver) {
      let raw: unknown;
      try {
        raw = await driver.setup();
      } catch (error) {
        fail(`setup() failed: ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`);
      }
      const fixtures = resolveFixtures(raw);
      const capabilities = new Set<string>([...(driver.capabilities ?? []), ...fixtureCapabilities(fixtures)]);
      const missing = (requires ?? []).filter((capability) => !capabilities.has(capability));
      if (missing.length > 0) throw new ConformanceSkip(`requires ${missing.join(', ')}`);
      await body(createContext(driver, fixtures));
    },
  });
}

/**
 * The sender of a driver whose store fails, checked to be one. Internal to the scheme profiles.
 *
 * @example
 * ```ts
 * const down = await storeFailureSender(context.driver);
 * ```
 */
export async function storeFailureSender(driver: WireDriver): Promise<WireSender> {
  check(typeof driver.storeFailure === 'function', 'the driver offers capability store-failure but has no storeFailure()');
  const sender = await driver.storeFailure();
  check(typeof sender === 'object' && sender !== null && typeof sender.send === 'function', () => `storeFailure() resolved to ${show(sender)}, expected { send(request) }`);
  return sender;
}
