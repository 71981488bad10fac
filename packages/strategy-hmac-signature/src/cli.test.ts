import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/signatures.json' with { type: 'json' };
import { runCli } from './cli.js';

function run(argv: readonly string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const vector = vectors.vectors.find((candidate) => !('timestamp' in candidate))!;

describe('gatehouse-hmac sign', () => {
  it('prints the AuthenticateUser signature of the documented message Nonce + UserId + APIKey', () => {
    const result = run(['sign', '--key', vector.apiKey, '--secret', vector.apiSecret, '--user', vector.userId, '--nonce', vector.nonce]);
    expect(result).toEqual({ code: 0, out: vector.signature, err: '' });
  });

  it('takes the secret from GATEHOUSE_HMAC_SECRET, and prints the headers with --json', () => {
    const result = run(['sign', '--key', vector.apiKey, '--user', vector.userId, '--nonce', vector.nonce, '--json'], { GATEHOUSE_HMAC_SECRET: vector.apiSecret });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({ APIKey: vector.apiKey, Signature: vector.signature, UserId: vector.userId, Nonce: vector.nonce });
  });

  it('exits 2 with the usage for a missing or repeated argument, a bad timestamp or an unknown command, and 0 for help', () => {
    expect(run(['sign', '--key', vector.apiKey])).toMatchObject({ code: 2, err: expect.stringMatching(/missing --secret, --user, --nonce/) });
    expect(run(['sign', '--key', 'a', '--key', 'b'])).toMatchObject({ code: 2, err: expect.stringMatching(/repeated argument/) });
    expect(run(['sign', '--key', 'a', '--secret', 'b', '--user', '1', '--nonce', '1', '--timestamp', '1.5'])).toMatchObject({ code: 2 });
    expect(run(['verify'])).toMatchObject({ code: 2, err: expect.stringMatching(/^Usage: gatehouse-hmac sign/) });
    expect(run(['--help'])).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: gatehouse-hmac sign/) });
  });
});
