import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '@gatehouse/auth-core';
import { createIpMatcher } from '@gatehouse/auth-core/strategy';
import { encodeHex, parseKeyEncryptionKeys, randomBytes } from '@gatehouse/auth-core/crypto';
import type { HmacNoncePolicy } from '@gatehouse/strategy-hmac-signature';

/** One demo login, created on first start. */
export interface DemoLogin {
  readonly login: string;
  readonly password: string;
}

/** Everything the demo reads from its environment, validated. */
export interface DemoConfig {
  readonly host: string;
  readonly port: number;
  /** The embedded SQLite file (`GATEHOUSE_DB`), used when no `GATEHOUSE_DATABASE_URL` is set. */
  readonly databasePath: string;
  /**
   * `GATEHOUSE_DATABASE_URL` (`postgres://…`): credentials, the demo's own tables and (without a Redis URL) the
   * ephemeral values live in PostgreSQL, shared by every instance. `null`: the embedded SQLite file.
   */
  readonly databaseUrl: string | null;
  /** `GATEHOUSE_REDIS_URL` (`redis://…` or `rediss://…`): nonces, failure counters and rate limits live in Redis. */
  readonly redisUrl: string | null;
  readonly keyEncryptionKeys: readonly Uint8Array[];
  /** Where the key-encryption key came from, for the start-up log. */
  readonly keySource: 'env' | 'file' | 'generated';
  readonly keyFilePath: string | null;
  readonly trustedProxies: readonly string[];
  /**
   * Clients reach the demo over https (a TLS-terminating proxy in front): session cookies are always `Secure`
   * with the `__Host-` prefix. Without it, that holds per request when the socket is TLS or a trusted proxy
   * says `X-Forwarded-Proto: https`.
   */
  readonly https: boolean;
  readonly accounts: { readonly master: DemoLogin; readonly sub: DemoLogin; readonly panel: DemoLogin };
  /** scrypt cost exponent for the demo's own password hashes. */
  readonly passwordCostExponent: number;
  /**
   * Failed attempts per client IP in 15 minutes before logins and credentials are refused (429). Default 100
   * (NIST SP 800-63B); conformance runs, which fail on purpose hundreds of times, raise it.
   */
  readonly maxFailuresPerIp: number;
  /**
   * How `AuthenticateUser` (KiiEx docs, "Authenticate with API Key") checks nonces, from `GATEHOUSE_HMAC_NONCE`.
   * Default `issued`, that document's flow (the nonce shown at key creation, reused: a static, replayable
   * signature); `increasing` or `unique` for replay protection.
   */
  readonly hmacNoncePolicy: HmacNoncePolicy;
}

const HMAC_NONCE_POLICIES: readonly HmacNoncePolicy[] = ['issued', 'increasing', 'unique'];

function readHmacNoncePolicy(text: string | undefined): HmacNoncePolicy {
  const value = (text ?? '').trim().toLowerCase();
  if (value === '') return 'issued';
  const policy = HMAC_NONCE_POLICIES.find((candidate) => candidate === value);
  if (policy === undefined) throw new ConfigurationError('GATEHOUSE_HMAC_NONCE', 'must be issued, increasing or unique');
  return policy;
}

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function readPort(text: string | undefined): number {
  if (text === undefined || text === '') return 3000;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new ConfigurationError('PORT', 'must be an integer from 0 to 65535');
  return port;
}

/** A URL with one of the given protocols, or `null` when the variable is unset or empty. */
function readUrl(env: NodeJS.ProcessEnv, name: string, protocols: readonly string[]): string | null {
  const text = (env[name] ?? '').trim();
  if (text === '') return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(name, `must be a URL starting with ${protocols.map((protocol) => `${protocol}//`).join(' or ')}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigurationError(name, `must be a URL starting with ${protocols.map((protocol) => `${protocol}//`).join(' or ')}`);
  }
  return text;
}

function readList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function loadOrCreateKeyFile(path: string, warn: (line: string) => void): { keys: Uint8Array[]; created: boolean } {
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) warn(`warning: ${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
    return { keys: parseKeyEncryptionKeys(readFileSync(path, 'utf8'), path), created: false };
  }
  const key = encodeHex(randomBytes(32));
  // `wx` refuses to overwrite a key another process created in the meantime; losing a key loses every secret sealed under it.
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { keys: parseKeyEncryptionKeys(key, path), created: true };
}

/**
 * Reads and validates the demo's configuration. Throws a ConfigurationError naming the variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv, warn: (line: string) => void = () => undefined): DemoConfig {
  const host = env['HOST'] || '127.0.0.1';
  const port = readPort(env['PORT']);
  const databasePath = resolve(env['GATEHOUSE_DB'] || join(appRoot, 'data', 'gatehouse.db'));
  const databaseUrl = readUrl(env, 'GATEHOUSE_DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = readUrl(env, 'GATEHOUSE_REDIS_URL', ['redis:', 'rediss:']);
  if (databaseUrl === null) mkdirSync(dirname(databasePath), { recursive: true });

  const trustedProxies = readList(env['GATEHOUSE_TRUSTED_PROXIES']);
  try {
    createIpMatcher(trustedProxies, 'GATEHOUSE_TRUSTED_PROXIES');
  } catch (error) {
    throw new ConfigurationError('GATEHOUSE_TRUSTED_PROXIES', (error as Error).message.replace(/^Invalid option `[^`]+`: /, ''));
  }

  const httpsText = (env['GATEHOUSE_HTTPS'] ?? '').trim().toLowerCase();
  if (!['', '0', 'false', '1', 'true'].includes(httpsText)) throw new ConfigurationError('GATEHOUSE_HTTPS', 'must be 1, true, 0 or false');
  const https = httpsText === '1' || httpsText === 'true';
  const hmacNoncePolicy = readHmacNoncePolicy(env['GATEHOUSE_HMAC_NONCE']);

  let keyEncryptionKeys: Uint8Array[];
  let keySource: DemoConfig['keySource'];
  let keyFilePath: string | null = null;
  if (env['GATEHOUSE_KEK'] !== undefined && env['GATEHOUSE_KEK'] !== '') {
    keyEncryptionKeys = parseKeyEncryptionKeys(env['GATEHOUSE_KEK'], 'GATEHOUSE_KEK');
    keySource = 'env';
  } else if (databaseUrl !== null) {
    // A key file is per machine: an instance with another key could not open what its peers sealed.
    throw new ConfigurationError('GATEHOUSE_KEK', 'is required with GATEHOUSE_DATABASE_URL: every instance must use the same key-encryption key');
  } else {
    keyFilePath = `${databasePath}.kek`;
    const loaded = loadOrCreateKeyFile(keyFilePath, warn);
    keyEncryptionKeys = loaded.keys;
    keySource = loaded.created ? 'generated' : 'file';
  }

  const costText = env['GATEHOUSE_PASSWORD_COST'] ?? '15';
  const passwordCostExponent = Number(costText);
  if (!Number.isInteger(passwordCostExponent) || passwordCostExponent < 10 || passwordCostExponent > 20) {
    throw new ConfigurationError('GATEHOUSE_PASSWORD_COST', 'must be an integer from 10 to 20');
  }

  const maxFailuresText = env['GATEHOUSE_MAX_FAILURES'] ?? '100';
  const maxFailuresPerIp = Number(maxFailuresText);
  if (!/^[1-9][0-9]{0,8}$/.test(maxFailuresText)) throw new ConfigurationError('GATEHOUSE_MAX_FAILURES', 'must be a positive integer');

  const account = (loginVar: string, passwordVar: string, login: string, password: string): DemoLogin => ({
    login: env[loginVar] || login,
    password: env[passwordVar] || password,
  });
  const accounts = {
    master: account('GATEHOUSE_DEMO_LOGIN', 'GATEHOUSE_DEMO_PASSWORD', 'demo', 'demo-password'),
    sub: account('GATEHOUSE_DEMO_SUB_LOGIN', 'GATEHOUSE_DEMO_SUB_PASSWORD', 'demo-sub', 'demo-password'),
    panel: account('GATEHOUSE_ADMIN_LOGIN', 'GATEHOUSE_ADMIN_PASSWORD', 'admin', 'admin-password'),
  };
  const logins = new Set([accounts.master.login, accounts.sub.login, accounts.panel.login]);
  if (logins.size !== 3) throw new ConfigurationError('GATEHOUSE_DEMO_LOGIN', 'the three demo logins must differ');

  return { host, port, databasePath, databaseUrl, redisUrl, keyEncryptionKeys, keySource, keyFilePath, trustedProxies, https, accounts, passwordCostExponent, hmacNoncePolicy, maxFailuresPerIp };
}
