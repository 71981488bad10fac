// The JSON vectors of vectors/hmac-signature/: right by three independent implementations (auth-core, Node's
// crypto, the openssl command) plus Web Crypto, and naming cases hmac-signature@2 has.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeHex, hmacSha256 } from '@gatehouse/auth-core/crypto';
import { describe, expect, it } from 'vitest';
import { apexSignature, hmacSignatureV2 } from './index.js';

interface HmacVector {
  readonly description: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  readonly nonce: string;
  readonly message: string;
  readonly signature: string;
  readonly signatureUpperCase: string;
}

const file = JSON.parse(readFileSync(fileURLToPath(new URL('../../../vectors/hmac-signature/signatures.json', import.meta.url)), 'utf8')) as {
  notes: string[];
  reproduce: string;
  vectors: HmacVector[];
};

const opensslAvailable = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('vectors/hmac-signature/signatures.json', () => {
  it('has at least 5 vectors with string inputs, a note on the declared hex case and the openssl recipe', () => {
    expect(file.vectors.length).toBeGreaterThanOrEqual(5);
    for (const vector of file.vectors) {
      for (const key of ['description', 'apiKey', 'apiSecret', 'userId', 'nonce', 'message', 'signature', 'signatureUpperCase'] as const) expect(typeof vector[key]).toBe('string');
    }
    expect(file.notes.some((note) => /signature_hex_case/.test(note) && /upper case/i.test(note))).toBe(true);
    expect(file.reproduce).toBe('printf %s "$NONCE$USERID$APIKEY" | openssl dgst -sha256 -hmac "$APISECRET"');
    for (const id of ['HMAC-SIG-001', 'HMAC-SIG-002', 'HMAC-SIG-003', 'HMAC-SIG-004', 'HMAC-USER-001', 'HMAC-USER-002']) {
      expect(hmacSignatureV2.cases.some((testCase) => testCase.id === id)).toBe(true);
      expect(file.notes.join(' ')).toContain(id);
    }
  });

  it.each(file.vectors.map((vector, index) => [index, vector] as const))('vector %i: message = Nonce + UserId + APIKey, signed as the kit signs', (_index, vector) => {
    expect(vector.message).toBe(vector.nonce + vector.userId + vector.apiKey);
    expect(apexSignature(vector.apiSecret, vector.nonce, vector.userId, vector.apiKey)).toBe(vector.signature);
  });

  it.each(file.vectors.map((vector, index) => [index, vector] as const))('vector %i: the signature is right by auth-core, node:crypto and Web Crypto', async (_index, vector) => {
    expect(vector.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(vector.signatureUpperCase).toBe(vector.signature.toUpperCase());
    expect(encodeHex(hmacSha256(vector.apiSecret, vector.message))).toBe(vector.signature);
    expect(createHmac('sha256', Buffer.from(vector.apiSecret, 'utf8')).update(vector.message, 'utf8').digest('hex')).toBe(vector.signature);
    const encoder = new TextEncoder();
    const key = await crypto.subtle.importKey('raw', encoder.encode(vector.apiSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    expect(encodeHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(vector.message))))).toBe(vector.signature);
  });

  it.skipIf(!opensslAvailable).each(file.vectors.map((vector, index) => [index, vector] as const))('vector %i: the signature is what `openssl dgst -sha256 -hmac` computes', (_index, vector) => {
    const output = execFileSync('openssl', ['dgst', '-sha256', '-hmac', vector.apiSecret], { input: vector.message, encoding: 'utf8' });
    expect(output.trim().split(/\s+/).at(-1)).toBe(vector.signature);
  });

  it('shows the Nonce + UserId ambiguity: two vectors, one message, one signature', () => {
    const byMessage = new Map<string, HmacVector[]>();
    for (const vector of file.vectors) byMessage.set(vector.message, [...(byMessage.get(vector.message) ?? []), vector]);
    const shared = [...byMessage.values()].find((vectors) => vectors.length === 2);
    expect(shared?.[0]?.userId).not.toBe(shared?.[1]?.userId);
    expect(shared?.[0]?.signature).toBe(shared?.[1]?.signature);
  });
});
