#!/usr/bin/env node
import { signAuthenticateUser } from './sign.js';

const USAGE = `Usage: gatehouse-hmac sign --key <APIKey> --secret <APISecret> --user <UserId> --nonce <Nonce> [--timestamp <unix seconds>] [--json]

Instead of --secret (visible to other users in the process list), the secret may come from the environment
variable GATEHOUSE_HMAC_SECRET.

Prints the AuthenticateUser signature: hex(HMAC-SHA256(key = APISecret, message = Nonce + UserId + APIKey)).
With --timestamp, signs the hardened message instead; with --json, prints the headers as JSON.
The same value as: printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$SECRET"`;

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * Runs the CLI with arguments (without `node` and the script) and returns the exit code.
 *
 * @example
 * ```ts
 * runCli(['sign', '--key', k, '--secret', s, '--user', '1', '--nonce', '42'], { out: console.log, err: console.error });
 * ```
 */
export function runCli(argv: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>> = {}): number {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command !== 'sign') {
    io.err(USAGE);
    return 2;
  }
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] as string;
    if (flag === '--json') {
      json = true;
      continue;
    }
    const name = /^--(key|secret|user|nonce|timestamp)$/.exec(flag)?.[1];
    const value = rest[i + 1];
    if (name === undefined || value === undefined || values.has(name)) {
      io.err(`gatehouse-hmac: unexpected or repeated argument ${JSON.stringify(flag)}\n\n${USAGE}`);
      return 2;
    }
    values.set(name, value);
    i++;
  }
  const fromEnv = env['GATEHOUSE_HMAC_SECRET'];
  if (!values.has('secret') && fromEnv !== undefined && fromEnv !== '') values.set('secret', fromEnv);
  const missing = ['key', 'secret', 'user', 'nonce'].filter((name) => !values.has(name));
  if (missing.length > 0) {
    io.err(`gatehouse-hmac: missing ${missing.map((name) => `--${name}`).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  const timestampText = values.get('timestamp');
  if (timestampText !== undefined && !/^(0|[1-9][0-9]{0,11})$/.test(timestampText)) {
    io.err('gatehouse-hmac: --timestamp must be whole unix seconds');
    return 2;
  }
  const signed = signAuthenticateUser({
    apiKey: values.get('key') as string,
    apiSecret: values.get('secret') as string,
    userId: values.get('user') as string,
    nonce: values.get('nonce') as string,
    ...(timestampText === undefined ? {} : { timestamp: Number(timestampText) }),
  });
  io.out(json ? JSON.stringify(signed.headers, null, 2) : signed.signature);
  return 0;
}

declare const process:
  | { argv: string[]; env: Record<string, string | undefined>; exitCode?: number; stdout: { write(text: string): void }; stderr: { write(text: string): void } }
  | undefined;

if (typeof process !== 'undefined' && /gatehouse-hmac|cli\.js$/.test(process.argv[1] ?? '')) {
  process.exitCode = runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  }, process.env);
}
