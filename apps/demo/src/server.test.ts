import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnDemoProcess, useTemporaryDemos } from './__fixtures__/temporary-demos.js';
import { startDemo } from './server.js';

const { freshEnv, start, stop } = useTemporaryDemos('gatehouse-demo-');


describe('demo server', () => {
  it('answers /healthz on 127.0.0.1 by default', async () => {
    const demo = await start(freshEnv());
    expect(demo.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${demo.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('creates the three demo accounts on first start and prints them with their passwords', async () => {
    const lines: string[] = [];
    const demo = await start(freshEnv(), lines);
    const log = lines.join('\n');
    expect(log).toMatch(/master user\s+demo \/ demo-password/);
    expect(log).toMatch(/sub-user\s+demo-sub \/ demo-password/);
    expect(log).toMatch(/panel admin\s+admin \/ admin-password/);
    const accounts = await demo.context.accounts.list();
    expect(accounts.map((account) => [account.login, account.role, account.parentId])).toEqual([
      ['demo', 'master', null],
      ['demo-sub', 'sub', accounts[0]?.id],
      ['admin', 'panel', null],
    ]);
    expect(await demo.context.accounts.verifyLogin('demo', 'demo-password')).toMatchObject({ login: 'demo' });
    expect(await demo.context.accounts.verifyLogin('demo', 'wrong')).toBeNull();
    expect(await demo.context.accounts.verifyLogin('nobody', 'demo-password')).toBeNull();
  });

  it('takes the first-start logins and passwords from the environment', async () => {
    const lines: string[] = [];
    const demo = await start(freshEnv({ GATEHOUSE_ADMIN_LOGIN: 'root', GATEHOUSE_ADMIN_PASSWORD: 'root-pass' }), lines);
    expect(lines.join('\n')).toMatch(/panel admin\s+root \/ root-pass/);
    expect(await demo.context.accounts.verifyLogin('root', 'root-pass')).toMatchObject({ role: 'panel' });
  });

  it('generates a key-encryption key file with mode 0600 and a warning when GATEHOUSE_KEK is unset', async () => {
    const lines: string[] = [];
    const env = freshEnv();
    await start(env, lines);
    const keyFile = `${env['GATEHOUSE_DB']}.kek`;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(lines.join('\n')).toMatch(/warning: GATEHOUSE_KEK is not set/);
    expect(lines.join('\n')).toMatch(/warning: the key-encryption key is in .*beside the database: anyone with a copy of that folder/);
  });

  it('warns at every start from a key file beside the database, and not with GATEHOUSE_KEK', async () => {
    const env = freshEnv();
    await stop(await start(env));
    const lines: string[] = [];
    await start(env, lines);
    expect(lines.join('\n')).toMatch(/warning: the key-encryption key is in .*in production set GATEHOUSE_KEK/);
    const fromEnvironment: string[] = [];
    await start(freshEnv({ GATEHOUSE_KEK: 'cd'.repeat(32) }), fromEnvironment);
    expect(fromEnvironment.join('\n')).not.toMatch(/beside the database/);
  });

  it('keeps every account, credential and the key across a restart', async () => {
    const env = freshEnv();
    const first = await start(env);
    const keyBefore = readFileSync(`${env['GATEHOUSE_DB']}.kek`, 'utf8');
    const sealed = first.context.sealer.seal('recoverable', 'ctx');
    const inserted = await first.context.credentials.insert({
      id: 'c_restart',
      digest: 'd'.repeat(64),
      strategy: 'test',
      kind: 'api-key',
      ownerId: '1',
      parentId: null,
      label: 'kept',
      hint: 'dddd',
      scopes: [],
      allowedIps: [],
      sealedSecret: sealed,
      attributes: {},
      createdAt: 1,
      expiresAt: null,
    });
    expect(inserted.type).toBe('inserted');
    const accountsBefore = await first.context.accounts.list();
    await stop(first);

    const lines: string[] = [];
    const second = await start(env, lines);
    expect(await second.context.accounts.list()).toEqual(accountsBefore);
    expect(lines.join('\n')).toMatch(/passwords as set on first start/);
    expect(readFileSync(`${env['GATEHOUSE_DB']}.kek`, 'utf8')).toBe(keyBefore);
    const record = await second.context.credentials.findById('c_restart');
    expect(record?.label).toBe('kept');
    expect(second.context.sealer.open(record?.sealedSecret ?? '', 'ctx')).toBe('recoverable');
  });

  it('uses GATEHOUSE_KEK when set and writes no key file', async () => {
    const env = freshEnv({ GATEHOUSE_KEK: 'ab'.repeat(32) });
    const demo = await start(env);
    expect(demo.context.config.keySource).toBe('env');
    expect(() => statSync(`${env['GATEHOUSE_DB']}.kek`)).toThrow();
  });

  it('every reply, API JSON from any scheme or HTML, carries X-Content-Type-Options: nosniff and Cache-Control: no-store', async () => {
    const demo = await start(freshEnv());
    for (const [method, path] of [
      ['GET', '/healthz'],
      ['GET', '/v2/tracker/list'],
      ['GET', '/v2/nothing'],
      ['GET', '/api/v1/system/status'],
      ['GET', '/api/v1/auth/session'],
      ['POST', '/ap/GetUserInfo'],
      ['POST', '/AuthenticateUser'],
      ['GET', '/ap/GetUserInfo'],
      ['GET', '/login'],
      ['GET', '/nowhere'],
    ] as const) {
      const response = await fetch(`${demo.url}${path}`, { method });
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it('refuses bad configuration with the variable named', async () => {
    await expect(startDemo(freshEnv({ PORT: 'eighty' }), { log: () => undefined })).rejects.toThrow(/`PORT`/);
    await expect(startDemo(freshEnv({ GATEHOUSE_KEK: 'short' }), { log: () => undefined })).rejects.toThrow(/GATEHOUSE_KEK/);
    await expect(startDemo(freshEnv({ GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/40' }), { log: () => undefined })).rejects.toThrow(/GATEHOUSE_TRUSTED_PROXIES/);
  });
});

describe('demo entry point', () => {
  it('starts from the built dist/main.js, answers /healthz and stops on SIGTERM', async () => {
    const demo = await spawnDemoProcess(freshEnv());
    expect(await (await fetch(`${demo.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await demo.stop()).toBe(0);
  }, 30_000);

  it('answers /healthz 503 on a database it can read but not write (a read-only file), and logs why', async () => {
    const env = freshEnv({ GATEHOUSE_KEK: 'a'.repeat(64) });
    const path = env['GATEHOUSE_DB'] as string;
    await stop(await start(env)); // creates and migrates the database and the demo accounts
    chmodSync(path, 0o444);
    chmodSync(dirname(path), 0o777); // SQLite still creates its -wal and -shm files beside it
    // root writes through file modes: run the demo as an unprivileged user then.
    const user = process.getuid?.() === 0 ? { uid: 65_534, gid: 65_534 } : {};
    const demo = await spawnDemoProcess(env, user);
    try {
      const health = await fetch(`${demo.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'unavailable' });
      expect((await fetch(`${demo.url}/api`)).status).toBe(200); // the process still answers
      expect(demo.output.text).toMatch(/healthz: unavailable: SQLite: attempt to write a readonly database/);
    } finally {
      await demo.stop();
    }
  }, 30_000);
});
