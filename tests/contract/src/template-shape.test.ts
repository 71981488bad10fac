// packages/_template is the copy a new strategy starts from. These tests hold it and the three strategies to one
// shape (files, package fields, options, manager vocabulary, exports), so neither can drift from the other.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createFetchRequestAdapter,
  createMemoryCredentialStore,
  createMemoryEphemeralStore,
  type AuthEvent,
  type AuthStrategy,
  type CredentialManager,
  type CredentialStore,
  type EphemeralStore,
  type Principal,
} from '@gatehouse/auth-core';
import type { CredentialOptions, StrategyGuardOptions } from '@gatehouse/auth-core/strategy';
import { createSecretSealer, randomBytes } from '@gatehouse/auth-core/crypto';
import * as accessHash from '@gatehouse/strategy-access-hash-cookie';
import * as hmac from '@gatehouse/strategy-hmac-signature';
import * as nvx from '@gatehouse/strategy-nvx-hash';
import * as template from '@gatehouse/strategy-template';
import { describe, expect, expectTypeOf, it } from 'vitest';

const packages = resolve(fileURLToPath(import.meta.url), '../../../../packages');
const TEMPLATE = join(packages, '_template');
const STRATEGIES = readdirSync(packages).filter((name) => name.startsWith('strategy-'));

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/**
 * A new scheme ships its conformance cases itself (`src/conformance-scheme.ts`, the `./conformance` entry, an
 * optional peer dependency on the kit); the three built-in schemes have theirs inside @gatehouse/conformance.
 */
const SHIPS_OWN_CONFORMANCE = { file: 'conformance-scheme.ts', entry: './conformance', kit: '@gatehouse/conformance' } as const;
const withoutOwnConformance = (field: string, value: unknown): unknown => {
  if (field !== 'exports' && field !== 'peerDependencies') return value;
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (field === 'exports') delete copy[SHIPS_OWN_CONFORMANCE.entry];
  if (field === 'peerDependencies') delete copy[SHIPS_OWN_CONFORMANCE.kit];
  return copy;
};
const sourceFiles = (folder: string): string[] =>
  readdirSync(join(folder, 'src')).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));

describe('every strategy package has the template shape', () => {
  it('the template ships its own conformance scheme, as a scheme from outside the kit does', () => {
    const manifest = readJson(join(TEMPLATE, 'package.json'));
    expect(existsSync(join(TEMPLATE, 'src', SHIPS_OWN_CONFORMANCE.file))).toBe(true);
    expect((manifest['exports'] as Record<string, unknown>)[SHIPS_OWN_CONFORMANCE.entry]).toBeDefined();
    expect(manifest['peerDependenciesMeta']).toEqual({ [SHIPS_OWN_CONFORMANCE.kit]: { optional: true } });
  });

  it('finds the three strategies', () => {
    expect(STRATEGIES.sort()).toEqual(['strategy-access-hash-cookie', 'strategy-hmac-signature', 'strategy-nvx-hash']);
  });

  it.each(STRATEGIES)('%s has every source file of the template, a README and a conformance test', (name) => {
    const folder = join(packages, name);
    const missing = sourceFiles(TEMPLATE).filter((file) => file !== SHIPS_OWN_CONFORMANCE.file && !existsSync(join(folder, 'src', file)));
    expect(missing).toEqual([]);
    expect(existsSync(join(folder, 'README.md'))).toBe(true);
    expect(existsSync(join(folder, 'src', 'conformance.test.ts'))).toBe(true);
  });

  it.each([...STRATEGIES, '_template'])('%s keeps JSON test vectors that name their source first', (name) => {
    const vectors = join(packages, name, 'test-vectors');
    const files = readdirSync(vectors).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(Object.keys(readJson(join(vectors, file)))[0], file).toBe('source');
  });

  it.each(STRATEGIES)('%s declares its package as the template does', (name) => {
    const own = readJson(join(packages, name, 'package.json'));
    const reference = readJson(join(TEMPLATE, 'package.json'));
    for (const field of ['type', 'sideEffects', 'engines', 'files', 'exports', 'peerDependencies']) {
      expect(own[field], `${name} ${field}`).toEqual(withoutOwnConformance(field, reference[field]));
    }
    const devDependencies = own['devDependencies'] as Record<string, string>;
    for (const [dependency, range] of Object.entries(reference['devDependencies'] as Record<string, string>)) {
      expect(devDependencies[dependency], `${name} devDependencies.${dependency}`).toBe(range);
    }
    const scripts = own['scripts'] as Record<string, string>;
    const referenceScripts = reference['scripts'] as Record<string, string>;
    for (const script of ['build', 'prepack', 'typecheck', 'lint:package']) expect(scripts[script], `${name} ${script}`).toBe(referenceScripts[script]);
    expect(scripts['test']?.replace(name, 'template')).toBe(referenceScripts['test']);
    expect(own['private']).toBeUndefined();
  });
});

/** What the runtime checks need of each package. */
interface Unit {
  readonly exports: Record<string, unknown>;
  readonly strategy: (options: { store: CredentialStore; failureThrottle?: { store: EphemeralStore; maxFailures: number }; onEvent?: (event: AuthEvent) => void }) => AuthStrategy<Principal>;
  readonly manager: (store: CredentialStore) => Record<string, unknown>;
  readonly wrongRequest: () => Request;
}

const sealer = createSecretSealer([randomBytes(32)]);
const units: Record<string, Unit> = {
  template: {
    exports: template,
    strategy: (options) => template.templateKey(options),
    manager: (store) => ({ ...template.createTemplateKeyManager({ store }) }),
    wrongRequest: () => new Request('http://x/', { headers: { 'x-template-key': '0'.repeat(64) } }),
  },
  'strategy-nvx-hash': {
    exports: nvx,
    strategy: (options) => nvx.nvxHash(options),
    manager: (store) => ({ ...nvx.createNvxHashManager({ store }) }),
    wrongRequest: () => new Request('http://x/v2/tracker/list', { headers: { authorization: `NVX ${'0'.repeat(32)}` } }),
  },
  'strategy-access-hash-cookie': {
    exports: accessHash,
    strategy: (options) => accessHash.accessHashCookie(options),
    manager: (store) => ({ ...accessHash.createAccessHashManager({ store }) }),
    wrongRequest: () => new Request('http://x/', { headers: { cookie: `access_hash=${'0'.repeat(80)}` } }),
  },
  'strategy-hmac-signature': {
    exports: hmac,
    strategy: (options) => hmac.hmacSession(options),
    manager: (store) => ({ ...hmac.createHmacKeyManager({ store, sealer }) }),
    wrongRequest: () => new Request('http://x/ap/GetUserInfo', { method: 'POST', headers: { aptoken: '0'.repeat(64) } }),
  },
};

describe.each(Object.entries(units))('%s', (_name, unit) => {
  const toAuthRequest = createFetchRequestAdapter();
  const request = () => toAuthRequest(unit.wrongRequest(), { remoteAddress: '192.0.2.1' });

  it('takes the failureThrottle and onEvent every strategy takes, and answers a throttled request in its own envelope', async () => {
    const events: AuthEvent[] = [];
    const strategy = unit.strategy({
      store: createMemoryCredentialStore(),
      failureThrottle: { store: createMemoryEphemeralStore(), maxFailures: 1 },
      onEvent: (event) => events.push(event),
    });
    expect((await strategy.authenticate(request())).type).toBe('rejected');
    const throttled = await strategy.authenticate(request());
    expect(throttled).toMatchObject({ type: 'rejected', error: { code: 'RATE_LIMITED' } });
    expect(strategy.renderRefusal(throttled as never).httpStatus).toBe(429);
    expect(events.map((event) => event.type)).toEqual(['rejected', 'rejected']);
  });

  it('carries its own rendering for refusals and successes', () => {
    const strategy = unit.strategy({ store: createMemoryCredentialStore() });
    expect(typeof strategy.renderRefusal).toBe('function');
    expect(typeof strategy.renderSuccess).toBe('function');
  });

  it('has a manager that speaks issue, list, revoke and rotate, answering values, not throws', async () => {
    const manager = unit.manager(createMemoryCredentialStore());
    for (const method of ['issue', 'list', 'revoke', 'rotate']) expect(typeof manager[method], method).toBe('function');
    const revoke = manager['revoke'] as (owner: unknown, reference: unknown) => Promise<unknown>;
    expect(await revoke('1', { id: 'nobody' })).toMatchObject({ ok: false });
  });

  it('exports a verify factory, a manager factory, a route kit, its renderers, its strategy id and its error table', () => {
    const names = Object.keys(unit.exports);
    for (const pattern of [/^create\w+Manager$/, /^create\w+Routes$/, /^render\w*Error$/, /^render\w*Success$/, /_STRATEGY_ID$/, /_WIRE_ERRORS$|_CODE_FOR_AUTH_ERROR$/]) {
      expect(names.filter((name) => pattern.test(name)), String(pattern)).not.toEqual([]);
    }
  });
});

describe('types', () => {
  it('every verify option type takes the shared credential and guard options', () => {
    expectTypeOf<template.TemplateKeyOptions>().toMatchTypeOf<CredentialOptions & StrategyGuardOptions>();
    expectTypeOf<nvx.NvxHashOptions>().toMatchTypeOf<CredentialOptions & StrategyGuardOptions>();
    expectTypeOf<accessHash.AccessHashCookieOptions>().toMatchTypeOf<CredentialOptions & StrategyGuardOptions>();
    expectTypeOf<hmac.HmacSignatureOptions>().toMatchTypeOf<CredentialOptions & StrategyGuardOptions>();
    expectTypeOf<hmac.HmacSessionOptions>().toMatchTypeOf<CredentialOptions & StrategyGuardOptions>();
  });

  it('every manager type is a CredentialManager', () => {
    expectTypeOf<template.TemplateKeyManager>().toMatchTypeOf<CredentialManager<string, never, unknown, unknown, unknown>>();
    expectTypeOf<nvx.NvxHashManager>().toMatchTypeOf<CredentialManager<nvx.NvxOwner, never, unknown, unknown, unknown>>();
    expectTypeOf<accessHash.AccessHashManager>().toMatchTypeOf<CredentialManager<string, never, unknown, unknown, unknown>>();
    expectTypeOf<hmac.HmacKeyManager>().toMatchTypeOf<CredentialManager<string, never, unknown, unknown, unknown>>();
  });
});
