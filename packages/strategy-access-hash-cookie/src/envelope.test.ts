import { AUTH_ERROR_CODES, AuthError, type AuthErrorCode } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { ACCESS_HASH_WIRE_ERRORS, accessHashCookiePair, formatAccessHashDate, renderAccessHashError, renderAccessHashSuccess, withAccessHashCookie } from './index.js';

describe('envelope', () => {
  it('renders failures as {"error":"<text>","msg":"","status":"error"} with the scheme statuses', () => {
    const statuses = Object.fromEntries(
      (['CREDENTIALS_MISSING', 'CREDENTIALS_INVALID', 'IP_NOT_ALLOWED', 'CREDENTIALS_MALFORMED', 'CREDENTIALS_AMBIGUOUS', 'STORE_UNAVAILABLE'] as AuthErrorCode[]).map((code) => [code, renderAccessHashError(new AuthError(code)).httpStatus]),
    );
    expect(statuses).toEqual({ CREDENTIALS_MISSING: 401, CREDENTIALS_INVALID: 401, IP_NOT_ALLOWED: 403, CREDENTIALS_MALFORMED: 400, CREDENTIALS_AMBIGUOUS: 400, STORE_UNAVAILABLE: 503 });
    expect(JSON.stringify(renderAccessHashError(new AuthError('CREDENTIALS_INVALID')).body)).toBe('{"error":"Invalid access hash","msg":"","status":"error"}');
  });

  it('covers every Gatehouse error code', () => {
    expect(Object.keys(ACCESS_HASH_WIRE_ERRORS).sort()).toEqual(Object.keys(AUTH_ERROR_CODES).sort());
  });

  it('renders successes as {"error":"","msg":<payload>,"status":"success"}, with a chosen HTTP status', () => {
    expect(JSON.stringify(renderAccessHashSuccess({ version: '1.0' }).body)).toBe('{"error":"","msg":{"version":"1.0"},"status":"success"}');
    expect(renderAccessHashSuccess({ version: '1.0' }).httpStatus).toBe(200);
    expect(renderAccessHashSuccess('created', 201)).toMatchObject({ httpStatus: 201, body: { msg: 'created' } });
  });

  it('formats dates as ISO 8601 with an offset', () => {
    expect(formatAccessHashDate(Date.UTC(2022, 10, 18, 9, 38, 37))).toBe('2022-11-18T09:38:37+00:00');
  });
});

describe('sign', () => {
  const hash = '7effe99173b87e9cdebdab66d6fb23c9b244af250cb09b5dd36d8f80d14a8510b2d00bcba7290252';

  it("produces curl's -b pair", () => {
    expect(accessHashCookiePair(hash)).toBe(`access_hash=${hash}`);
  });

  it('replaces an earlier access_hash cookie and keeps the others', () => {
    const headers = withAccessHashCookie({ cookie: `theme=dark; access_hash=${'0'.repeat(80)}` }, hash);
    expect(headers.get('cookie')).toBe(`theme=dark; access_hash=${hash}`);
  });

  it('refuses a value that is not 80 lower-case hex characters', () => {
    expect(() => accessHashCookiePair(hash.toUpperCase())).toThrow(TypeError);
    expect(() => withAccessHashCookie({}, 'abc')).toThrow(TypeError);
  });
});
