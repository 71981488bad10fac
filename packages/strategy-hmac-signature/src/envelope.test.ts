import { AuthError } from '@gatehouse/auth-core';
import { describe, expect, it } from 'vitest';
import { HMAC_WIRE_ERRORS, renderApexError, renderApexSuccess, renderAuthenticateUserError, renderAuthenticateUserSuccess } from './index.js';

describe('envelopes', () => {
  it('renders the APEX AuthenticateUser success, with a numeric UserId', () => {
    expect(JSON.stringify(renderAuthenticateUserSuccess('tok', { userId: '1', userName: 'demo' }).body)).toBe(
      '{"Authenticated":true,"SessionToken":"tok","User":{"UserId":1,"UserName":"demo"},"Locked":false,"Requires2FA":false,"errormsg":null}',
    );
  });

  it('renders other failures as {"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}', () => {
    expect(JSON.stringify(renderApexError(new AuthError('CREDENTIALS_INVALID')).body)).toBe('{"result":false,"errormsg":"Not Authorized","errorcode":20,"detail":null}');
    expect(renderApexError(new AuthError('STORE_UNAVAILABLE')).httpStatus).toBe(503);
  });

  it('gives unknown keys, wrong signatures and wrong users one AuthenticateUser text', () => {
    expect(HMAC_WIRE_ERRORS.CREDENTIALS_INVALID.authenticateUser).toBe(HMAC_WIRE_ERRORS.CREDENTIALS_EXPIRED.authenticateUser);
  });

  it('renders an AuthenticateUser failure as exactly {"Authenticated":false,"errormsg":…}', () => {
    expect(JSON.stringify(renderAuthenticateUserError(new AuthError('NONCE_REPLAYED')))).toBe(
      '{"httpStatus":401,"headers":{"content-type":"application/json; charset=utf-8"},"body":{"Authenticated":false,"errormsg":"Nonce already used"}}',
    );
    expect(renderAuthenticateUserError(new AuthError('INTERNAL_ERROR'))).toMatchObject({ httpStatus: 500, body: { errormsg: 'Internal error' } });
  });

  it('renders anything that is not an AuthError as INTERNAL_ERROR', () => {
    expect(renderApexError(new Error('boom') as AuthError)).toEqual(renderApexError(new AuthError('INTERNAL_ERROR')));
    expect(renderAuthenticateUserError({ code: 'CREDENTIALS_INVALID' } as AuthError)).toEqual(renderAuthenticateUserError(new AuthError('INTERNAL_ERROR')));
  });

  it('renders a success payload as itself, 200 unless told otherwise', () => {
    expect(renderApexSuccess({ a: 1 })).toEqual({ httpStatus: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { a: 1 } });
    expect(renderApexSuccess(null, 204).httpStatus).toBe(204);
  });
});
