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

  it('maps every Gatehouse error code to a Navixy code', () => {
    expect(Object.keys(NVX_CODE_FOR_AUTH_ERROR).sort()).toEqual(Object.keys(AUTH_ERROR_CODES).sort());
  });

  it('renders the seed\'s "Wrong hash" reply byte for byte', () => {
    expect(JSON.stringify(renderNvxError(new AuthError('CREDENTIALS_INVALID')).body)).toBe('{"success":false,"status":{"code":3,"description":"Wrong hash"}}');
  });
});

describe('renderNvxStatus', () => {
  it('renders an unknown code as 6 "Unexpected error" rather than inventing one', () => {
    expect(renderNvxStatus(8 as never).body).toEqual({ success: false, status: { code: 6, description: 'Unexpected error' } });
  });
});

describe('renderNvxSuccess', () => {
  it('puts success first and keeps the fields', () => {
    expect(JSON.stringify(renderNvxSuccess({ hash: '882fb333405d006df0d5a3f410115e92' }).body)).toBe('{"success":true,"hash":"882fb333405d006df0d5a3f410115e92"}');
  });
});

describe('formatNvxDate', () => {
  it('formats as YYYY-MM-DD HH:mm:ss in UTC, as in seed 000', () => {
    expect(formatNvxDate(Date.UTC(2021, 9, 29, 12, 0, 36))).toBe('2021-10-29 12:00:36');
  });
});
