import { describe, expect, it } from 'vitest';
import { assertKnownOptions, authErrorForThrown, compileClientIpSource } from './adapter.js';
import { AuthError, ConfigurationError } from './errors.js';
import { createFetchRequestAdapter } from './request.js';

const everywhere = { socket: true, framework: true };

describe('compileClientIpSource', () => {
  it('compiles each source into adapter options', () => {
    expect(compileClientIpSource(undefined, everywhere)).toEqual({ requestOptions: {}, fromFramework: false });
    expect(compileClientIpSource('socket', everywhere)).toEqual({ requestOptions: {}, fromFramework: false });
    expect(compileClientIpSource('framework', everywhere)).toEqual({ requestOptions: {}, fromFramework: true });
    expect(compileClientIpSource({ header: 'x-real-ip' }, everywhere)).toEqual({ requestOptions: { clientIpHeader: 'x-real-ip' }, fromFramework: false });
    expect(compileClientIpSource({ trustedProxies: ['10.0.0.0/8'] }, everywhere)).toEqual({ requestOptions: { trustedProxies: ['10.0.0.0/8'] }, fromFramework: false });
  });

  it('refuses a source the framework cannot serve, naming the option, instead of ignoring it', () => {
    expect(() => compileClientIpSource('framework', { socket: true, framework: false })).toThrow(/`clientIp`: 'framework' is not available/);
    expect(() => compileClientIpSource('socket', { socket: false, framework: false })).toThrow(/`clientIp`: 'socket' is not available/);
    expect(() => compileClientIpSource({ trustedProxies: ['10.0.0.1'] }, { socket: false, framework: false })).toThrow(/`clientIp.trustedProxies`/);
    expect(compileClientIpSource(undefined, { socket: false, framework: false })).toEqual({ requestOptions: {}, fromFramework: false });
  });

  it('refuses a malformed source, naming the part that is wrong', () => {
    expect(() => compileClientIpSource({ header: 'x real ip' }, everywhere)).toThrow(/`clientIp.header`/);
    expect(() => compileClientIpSource({ trustedProxies: ['10.0.0.0/99'] }, everywhere)).toThrow(/`clientIp.trustedProxies`/);
    expect(() => compileClientIpSource('proxy' as never, everywhere)).toThrow(ConfigurationError);
    expect(() => compileClientIpSource({ header: 'x', trustedProxies: [] } as never, everywhere)).toThrow(/`clientIp`/);
  });
});

describe('assertKnownOptions', () => {
  it('refuses a misspelt option by name', () => {
    expect(() => assertKnownOptions({ optional: true }, ['optional', 'require'])).not.toThrow();
    expect(() => assertKnownOptions({ required: 'Trading' }, ['optional', 'require'])).toThrow(/`required`: is not an option here/);
    expect(() => assertKnownOptions(7 as never, ['optional'])).toThrow(/`options`/);
  });
});

describe('authErrorForThrown', () => {
  it('maps body parser, status and syntax errors to the request codes, and the rest to INTERNAL_ERROR marked unexpected', () => {
    const code = (thrown: unknown) => {
      const { error, unexpected } = authErrorForThrown(thrown);
      return `${error.code}${unexpected ? '!' : ''}`;
    };
    expect(code(new AuthError('SCOPE_DENIED'))).toBe('SCOPE_DENIED');
    expect(code(Object.assign(new Error('too big'), { type: 'entity.too.large', status: 413 }))).toBe('REQUEST_TOO_LARGE');
    expect(code(Object.assign(new Error('bad json'), { type: 'entity.parse.failed', status: 400 }))).toBe('REQUEST_MALFORMED');
    expect(code(Object.assign(new Error('fastify'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))).toBe('REQUEST_TOO_LARGE');
    expect(code(Object.assign(new Error('hono'), { status: 404 }))).toBe('ROUTE_NOT_FOUND');
    expect(code(Object.assign(new Error('hono'), { status: 405 }))).toBe('METHOD_NOT_ALLOWED');
    expect(code(Object.assign(new Error('media'), { statusCode: 415 }))).toBe('REQUEST_MALFORMED');
    expect(code(new SyntaxError('Unexpected token'))).toBe('REQUEST_MALFORMED');
    expect(code(new Error('database exploded'))).toBe('INTERNAL_ERROR!');
    expect(code('a string')).toBe('INTERNAL_ERROR!');
    expect(code(Object.assign(new Error('teapot'), { status: 418 }))).toBe('INTERNAL_ERROR!');
  });
});

describe('a lazy remote address', () => {
  it('is called only when a strategy reads the client IP, and at most once', () => {
    let calls = 0;
    const request = createFetchRequestAdapter()(new Request('http://x/'), { remoteAddress: () => (calls++, '::ffff:192.0.2.4') });
    expect(calls).toBe(0);
    expect(request.clientIp).toBe('192.0.2.4');
    expect(request.clientIp).toBe('192.0.2.4');
    expect(calls).toBe(1);
    const throwing = createFetchRequestAdapter()(new Request('http://x/'), { remoteAddress: () => { throw new Error('no socket'); } });
    expect(throwing.clientIp).toBeNull();
  });
});
