// The shape of hmac-signature@2: ids, public refs, declared parameters with the silence that makes them a choice,
// and the scheme object the kit registers.
import { describe, expect, it } from 'vitest';
import { describeSchemeProblem } from '../index.js';
import { apexSignature, HMAC_HTTP_FIXTURES, HMAC_PARAMETERS, hmacSignatureScheme, hmacSignatureV2 } from './index.js';

describe('hmac-signature@2', () => {
  it('has MUST and SHOULD cases with HMAC ids, a public ref and a title each', () => {
    const must = hmacSignatureV2.cases.filter((testCase) => testCase.level === 'MUST');
    expect(must.length).toBeGreaterThanOrEqual(40);
    expect(hmacSignatureV2.cases.some((testCase) => testCase.level === 'SHOULD')).toBe(true);
    const ids = new Set<string>();
    for (const testCase of hmacSignatureV2.cases) {
      expect(testCase.id).toMatch(/^HMAC-(AUTH|ENV|SIG|KEY|USER|REQ|NONCE|SESSION|PERM|IP|STORE|LEAK|DESYNC)-\d{3}$/);
      expect(ids.has(testCase.id)).toBe(false);
      ids.add(testCase.id);
      expect(testCase.ref).toMatch(/KiiEx docs|RFC \d+|OWASP/);
      expect(`${testCase.ref} ${testCase.title}`).not.toMatch(/seed|DESIGN\.md|shared\//i);
    }
  });

  it('declares parameters whose defaults are Gatehouse’s choices and whose silence cites the KiiEx documents', () => {
    expect(hmacSignatureV2.parameters).toBe(HMAC_PARAMETERS);
    expect(Object.fromEntries(HMAC_PARAMETERS.map((spec) => [spec.name, spec.default]))).toEqual({
      nonce_policy: 'unique',
      login_reply_casing: 'any',
      signature_hex_case: 'any',
      source_conflict: 'reject',
      duplicate_json_keys: 'reject',
      refusal_status: '4xx',
      foreign_ip_reply: 'distinct',
    });
    for (const spec of HMAC_PARAMETERS) {
      expect(spec.values).toContain(spec.default);
      expect(spec.silence).toMatch(/KiiEx docs, "(Authenticate with API Key|AuthenticateUser)"/);
      expect(spec.silence).not.toMatch(/seed|DESIGN\.md|shared\//i);
    }
    const names = new Set(HMAC_PARAMETERS.map((spec) => spec.name));
    for (const testCase of hmacSignatureV2.cases) for (const name of testCase.parameters ?? []) expect(names.has(name), `${testCase.id} reads ${name}`).toBe(true);
  });

  it('is one ConformanceScheme object with its HTTP fixtures and driver', () => {
    expect(describeSchemeProblem(hmacSignatureScheme)).toBeNull();
    expect(hmacSignatureScheme.profile).toBe(hmacSignatureV2);
    expect(hmacSignatureScheme.fixtures).toBe(HMAC_HTTP_FIXTURES);
    expect(HMAC_HTTP_FIXTURES.filter((fixture) => fixture.required)).toEqual([]);
    expect(HMAC_HTTP_FIXTURES.map((fixture) => fixture.name)).toEqual(expect.arrayContaining(['login', 'password', 'permission', 'permission_path', 'api_key', 'api_secret', 'nonce', 'user_id']));
    expect(typeof hmacSignatureScheme.createHttpDriver).toBe('function');
  });

  it('signs as openssl dgst -sha256 -hmac over Nonce + UserId + APIKey', () => {
    // printf %s "170000000010123456789abcdef0123456789abcdef" | openssl dgst -sha256 -hmac "a3f1…8f90"
    expect(apexSignature('a3f1c2d4e5f60718293a4b5c6d7e8f90a3f1c2d4e5f60718293a4b5c6d7e8f90', '1700000000', '1', '0123456789abcdef0123456789abcdef')).toBe(
      'dd5adf84f4d630578c639a033ecefa0c83923b66aada097af6eb125cf3f5b994',
    );
  });
});
