import { describe, expect, it } from 'vitest';
import { createIpMatcher, normalizeIpAddress, resolveClientIp } from './ip.js';

describe('normalizeIpAddress', () => {
  it('maps IPv4-mapped IPv6 onto IPv4', () => {
    expect(normalizeIpAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIpAddress('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(normalizeIpAddress('0:0:0:0:0:ffff:7f00:0001')).toBe('127.0.0.1');
  });

  it('gives equal IPv6 spellings one RFC 5952 form', () => {
    expect(normalizeIpAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeIpAddress('2001:db8::0:1')).toBe('2001:db8::1');
    expect(normalizeIpAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIpAddress('::')).toBe('::');
    expect(normalizeIpAddress('::1')).toBe('::1');
    expect(normalizeIpAddress('[::1]')).toBe('::1');
    expect(normalizeIpAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIpAddress('2001:db8:1:1:1:1:1:0')).toBe('2001:db8:1:1:1:1:1:0');
  });

  it('rejects anything that is not an address', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.4 ', 'a::b::c', '1:2:3:4:5:6:7:8:9', '12345::', 'localhost', '::ffff:1.2.3.256', '1:2:3:4:5:6:7::8']) {
      expect(normalizeIpAddress(bad)).toBeNull();
    }
  });
});

describe('createIpMatcher', () => {
  it('matches IPv4 CIDRs against IPv4 and IPv4-mapped spellings', () => {
    const matcher = createIpMatcher(['10.0.0.0/8', '192.168.1.7']);
    expect(matcher.matches('10.255.0.1')).toBe(true);
    expect(matcher.matches('::ffff:10.1.1.1')).toBe(true);
    expect(matcher.matches('11.0.0.1')).toBe(false);
    expect(matcher.matches('192.168.1.7')).toBe(true);
    expect(matcher.matches('192.168.1.8')).toBe(false);
  });

  it('matches IPv6 CIDRs at any prefix length', () => {
    const matcher = createIpMatcher(['2001:db8::/33', 'fd00::/7']);
    expect(matcher.matches('2001:db8:7fff::1')).toBe(true);
    expect(matcher.matches('2001:db8:8000::1')).toBe(false);
    expect(matcher.matches('fc12::1')).toBe(true);
    expect(matcher.matches('not-an-ip')).toBe(false);
  });

  it('throws on an unparseable entry, naming it', () => {
    expect(() => createIpMatcher(['10.0.0.0/33'], 'trustedProxies')).toThrow(/trustedProxies.*10\.0\.0\.0\/33/);
    expect(() => createIpMatcher(['example.com'])).toThrow(/example\.com/);
  });
});

describe('resolveClientIp', () => {
  const proxies = createIpMatcher(['10.0.0.1', '10.0.0.2']);

  it('uses the socket address and ignores X-Forwarded-For without trusted proxies', () => {
    expect(resolveClientIp('::ffff:198.51.100.7', ['1.2.3.4'], null)).toBe('198.51.100.7');
  });

  it('ignores X-Forwarded-For when the peer is not a trusted proxy', () => {
    expect(resolveClientIp('198.51.100.7', ['1.2.3.4'], proxies)).toBe('198.51.100.7');
  });

  it('reads X-Forwarded-For right to left behind trusted proxies, so a spoofed left entry is ignored', () => {
    expect(resolveClientIp('10.0.0.1', ['6.6.6.6, 203.0.113.9, 10.0.0.2'], proxies)).toBe('203.0.113.9');
    expect(resolveClientIp('10.0.0.1', ['6.6.6.6', '203.0.113.9'], proxies)).toBe('203.0.113.9');
  });

  it('falls back to the proxy itself when no header was sent', () => {
    expect(resolveClientIp('10.0.0.1', [], proxies)).toBe('10.0.0.1');
  });

  it('returns null when the hop to be believed is malformed', () => {
    expect(resolveClientIp('10.0.0.1', ['1.2.3.4, garbage'], proxies)).toBeNull();
    expect(resolveClientIp('10.0.0.1', ['1.2.3.4,,'], proxies)).toBeNull();
    expect(resolveClientIp(undefined, [], null)).toBeNull();
  });
});
