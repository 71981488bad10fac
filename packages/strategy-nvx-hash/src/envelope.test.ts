import { AuthError, type AuthErrorCode, AUTH_ERROR_CODES } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import vectors from '../test-vectors/envelope.json' with { type: 'json' };
import { formatNvxDate, NVX_CODE_FOR_AUTH_ERROR, renderNvxError, renderNvxStatus, renderNvxSuccess } from './index.js';

describe('renderNvxError', () => {
  for (const vector of vectors.vectors) {
    it(`renders ${vector.authError} as Navixy code ${vector.body.status.code} with HTTP ${vector.httpStatus}`, () => {
      const reply = renderNvxError(new AuthError(vector.authError as AuthErrorCode));
      expect(reply.httpStatus).toBe(vector.httpStatus);
      expect(reply.body).toEqual(vector.body);
      expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    });
  }

  it('maps every Gatehouse error code to a Navixy code, with one published vector per code', () => {
    expect(Object.keys(NVX_CODE_FOR_AUTH_ERROR).sort()).toEqual(Object.keys(AUTH_ERROR_CODES).sort());
    expect(vectors.vectors.map((vector) => vector.authError).sort()).toEqual(Object.keys(AUTH_ERROR_CODES).sort());
  });

  it('renders Navixy\'s "Wrong hash" reply byte for byte', () => {
    expect(JSON.stringify(renderNvxError(new AuthError('CREDENTIALS_INVALID')).body)).toBe('{"success":false,"status":{"code":3,"description":"Wrong hash"}}');
  });
});

describe('renderNvxStatus', () => {
  it('renders an unknown code as 6 "Unexpected error" rather than inventing one', () => {
    expect(renderNvxStatus(8 as never).body).toEqual({ success: false, status: { code: 6, description: 'Unexpected error' } });
  });
});

describe('renderNvxSuccess', () => {
  it('puts success first and keeps the fields, with HTTP 200 and the JSON content type', () => {
    const reply = renderNvxSuccess({ hash: '882fb333405d006df0d5a3f410115e92' });
    expect(JSON.stringify(reply.body)).toBe('{"success":true,"hash":"882fb333405d006df0d5a3f410115e92"}');
    expect(reply.httpStatus).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('puts a payload that is not an object under value', () => {
    expect(JSON.stringify(renderNvxSuccess(['a', 'b']).body)).toBe('{"success":true,"value":["a","b"]}');
    expect(renderNvxSuccess('text').body).toEqual({ success: true, value: 'text' });
    expect(renderNvxSuccess(7).body).toEqual({ success: true, value: 7 });
    expect(renderNvxSuccess(null).body).toEqual({ success: true, value: null });
    expect(JSON.stringify(renderNvxSuccess(undefined).body)).toBe('{"success":true}');
  });

  it('never lets a payload field turn success false or move it from first place', () => {
    expect(JSON.stringify(renderNvxSuccess({ id: 1, success: false }).body)).toBe('{"success":true,"id":1}');
  });

  it('keeps an own __proto__ field of a parsed payload as a plain field, polluting nothing', () => {
    const body = renderNvxSuccess(JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object).body as Record<string, unknown>;
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(body['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('uses the HTTP status asked for', () => {
    expect(renderNvxSuccess({ id: 7 }, { httpStatus: 201 }).httpStatus).toBe(201);
  });
});

describe('formatNvxDate', () => {
  it('formats as YYYY-MM-DD HH:mm:ss in UTC, as Navixy shows create_date', () => {
    expect(formatNvxDate(Date.UTC(2021, 9, 29, 12, 0, 36))).toBe('2021-10-29 12:00:36');
  });
});
