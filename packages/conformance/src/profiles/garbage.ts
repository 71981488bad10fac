// The battery of hostile and malformed requests the strategy-contract profile sends. Every request is built
// fresh (a Fetch body can be read once) and only from values a Fetch `Request` accepts: no NUL, CR or LF in
// header values, no characters above U+00FF.

/** The address garbage requests come from (TEST-NET-1, RFC 5737). */
export const DEFAULT_REMOTE_ADDRESS = '192.0.2.10';

const ORIGIN = 'http://gatehouse.test';

export interface RequestSpec {
  readonly label: string;
  readonly method?: string;
  /** Path and query, starting with `/`. */
  readonly target?: string;
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string | Uint8Array<ArrayBuffer>;
  readonly remoteAddress?: string;
}

export function buildRequest(spec: RequestSpec): Request {
  const headers = new Headers();
  for (const [name, value] of spec.headers ?? []) headers.append(name, value);
  const init: RequestInit = { method: spec.method ?? (spec.body === undefined ? 'GET' : 'POST'), headers };
  if (spec.body !== undefined) init.body = spec.body;
  return new Request(ORIGIN + (spec.target ?? '/'), init);
}

// Header names of the wire schemes the kit knows (NVX, access hash, APEX) and of common API-key schemes: garbage is spread over all of them.
const CREDENTIAL_HEADERS = [
  'authorization',
  'cookie',
  'x-api-key',
  'apikey',
  'signature',
  'userid',
  'nonce',
  'aptoken',
  'x-forwarded-for',
  'proxy-authorization',
] as const;

const KIB = 1024;

function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

export function headerGarbage(): RequestSpec[] {
  const specs: RequestSpec[] = [];
  for (const name of CREDENTIAL_HEADERS) {
    specs.push({ label: `empty ${name} header`, headers: [[name, '']] });
    specs.push({ label: `64 KiB ${name} header`, headers: [[name, repeatTo('a', 64 * KIB)]] });
    specs.push({ label: `control characters in ${name}`, headers: [[name, 'a\u0001b\u0007c\u001b[31md\u007fe\u000bf\u000cg']] });
    specs.push({ label: `Latin-1 bytes in ${name}`, headers: [[name, '\u00ff\u00fe\u00c3\u0028\u00a0\u00e9']] });
    specs.push({ label: `${name} sent twice`, headers: [[name, 'a'], [name, 'b']] });
    specs.push({ label: `tab-separated junk in ${name}`, headers: [[name, 'x\t\t\ty\t"\\"']] });
  }
  specs.push({
    label: '64 headers of 1 KiB each (64 KiB in total)',
    headers: Array.from({ length: 64 }, (_, index) => [`x-garbage-${index}`, repeatTo(`${index}`, KIB)] as const),
  });
  specs.push({
    label: '500 repeated Authorization fields joined into one',
    headers: Array.from({ length: 500 }, (_, index) => ['authorization', `NVX ${index}`] as const),
  });
  return specs;
}

export function authorizationGarbage(): RequestSpec[] {
  const values = [
    '',
    ' ',
    'NVX',
    'NVX ',
    'nvx    ',
    'NVX NVX',
    'NVX ' + 'g'.repeat(32),
    'NVX ' + '0'.repeat(31),
    'NVX ' + '0'.repeat(33),
    'NVX ' + 'A'.repeat(32) + ' extra',
    'NVX\t' + 'a'.repeat(32),
    'NVX,NVX',
    'NVX ' + 'a'.repeat(32) + ', NVX ' + 'b'.repeat(32),
    'Bearer',
    'Bearer ',
    'Bearer a.b.c',
    'Bearer ' + '='.repeat(40),
    'Basic',
    'Basic !!!',
    'Basic ' + btoa(':'),
    'Basic ' + btoa('\u00ff\u0001:\u00fe'),
    'Digest username="x", realm="',
    'Signature keyId="",signature=""',
    'APIKey',
    '=====',
    '\u00ff\u00fe',
    '"NVX ' + 'a'.repeat(32) + '"',
    'NVX ' + 'a'.repeat(64 * KIB),
    'x'.repeat(64 * KIB),
  ];
  return values.map((value) => ({ label: `Authorization: ${JSON.stringify(value.length > 60 ? `${value.slice(0, 40)}…(${value.length} chars)` : value)}`, headers: [['authorization', value]] }));
}

export function cookieGarbage(): RequestSpec[] {
  const values = [
    '=;;;=a; __proto__=x; toString=1',
    ';',
    ';;;;',
    '=',
    '==',
    'a=b=c',
    'access_hash',
    'access_hash=',
    'access_hash=;access_hash=',
    'access_hash="' + 'z'.repeat(80) + '"',
    'access_hash=' + 'f'.repeat(79),
    'access_hash=' + 'z'.repeat(80),
    'access_hash=' + 'a'.repeat(80) + '; access_hash=' + 'b'.repeat(80),
    'access_hash=' + 'a'.repeat(80) + ' ; access_hash =' + 'a'.repeat(80),
    ' access_hash = ' + 'a'.repeat(80) + ' ',
    'constructor=1; hasOwnProperty=2; prototype=3; valueOf=4',
    '__proto__[polluted]=1; constructor[prototype][polluted]=1',
    'aptoken=; hash=; session=%zz; token=%E0%A4%A',
    repeatTo('c=1; ', 64 * KIB),
    'access_hash=' + repeatTo('a', 64 * KIB),
    '\u00ff=\u00fe; a=\u0001',
  ];
  return values.map((value) => ({
    label: `Cookie: ${JSON.stringify(value.length > 60 ? `${value.slice(0, 40)}…(${value.length} chars)` : value)}`,
    headers: [['cookie', value]],
  }));
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json'] as const;

export function jsonBodyGarbage(): RequestSpec[] {
  const bodies = [
    '',
    '{',
    '{"hash":',
    '{"hash":"unterminated',
    'nul',
    'null',
    '[]',
    '"hash"',
    '123',
    '{"hash":null}',
    '{"hash":123}',
    '{"hash":true}',
    '{"hash":["a","b"]}',
    '{"hash":{"nested":"x"}}',
    '{"hash":"a","hash":"b"}',
    '{"hash":"' + 'a'.repeat(32) + '\\u0000"}',
    '{"APIKey":{},"Signature":[],"UserId":null,"Nonce":1e309}',
    '{"APIKey":"x","Signature":"y","UserId":-1,"Nonce":"1e999"}',
    '[' + '['.repeat(4_000) + ']'.repeat(4_000) + ']',
    '{"a":' + '{"a":'.repeat(4_000) + '1' + '}'.repeat(4_000) + '}',
    '\ufeff{"hash":"x"}',
    '{"hash":"x"} trailing',
  ];
  const specs: RequestSpec[] = [];
  for (const body of bodies) {
    for (const contentType of JSON_TYPES) {
      specs.push({
        label: `POST ${contentType} body ${JSON.stringify(body.length > 50 ? `${body.slice(0, 30)}…(${body.length} chars)` : body)}`,
        headers: [['content-type', contentType]],
        body,
      });
    }
  }
  specs.push({ label: 'JSON body with a Latin-1 charset', headers: [['content-type', 'application/json; charset=latin1']], body: '{"hash":"x"}' });
  specs.push({ label: 'JSON body without a Content-Type', body: '{"hash":"x"}' });
  specs.push({ label: 'JSON body labelled text/plain', headers: [['content-type', 'text/plain']], body: '{"hash":"x"}' });
  specs.push({ label: 'JSON body labelled with a garbage Content-Type', headers: [['content-type', ';;;/;charset="']], body: '{"hash":"x"}' });
  return specs;
}

export function prototypePollutionPayloads(): RequestSpec[] {
  const json = [
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"hash":{"__proto__":{"polluted":1}}}',
    '{"a":[{"__proto__":{"polluted":1}}]}',
    '{"__proto__":{"toString":"polluted","valueOf":1}}',
  ];
  const forms = [
    '__proto__[polluted]=1',
    '__proto__.polluted=1',
    'constructor[prototype][polluted]=1',
    'hash[__proto__][polluted]=1',
    '__proto__=polluted&constructor=polluted&prototype=polluted',
  ];
  return [
    ...json.map((body) => ({ label: `JSON body ${body}`, headers: [['content-type', 'application/json']] as const, body })),
    ...forms.map((body) => ({
      label: `urlencoded body ${body}`,
      headers: [['content-type', 'application/x-www-form-urlencoded']] as const,
      body,
    })),
    ...forms.map((query) => ({ label: `query ?${query}`, target: `/?${query}` })),
    { label: 'cookies named __proto__ and constructor', headers: [['cookie', '__proto__=polluted; constructor=polluted; __proto__[polluted]=1']] },
    { label: 'header names that look like prototype keys', headers: [['__proto__', 'polluted'], ['constructor', 'polluted'], ['x-__proto__-polluted', '1']] },
  ];
}

export function nonUtf8BodyGarbage(): RequestSpec[] {
  const bytes = new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0x00, 0xed, 0xa0, 0x80]);
  const jsonWithBadString = new Uint8Array([...new TextEncoder().encode('{"hash":"'), 0xc0, 0xaf, 0xff, ...new TextEncoder().encode('"}')]);
  const contentTypes = [null, 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream'];
  const specs: RequestSpec[] = [];
  for (const contentType of contentTypes) {
    const headers = contentType === null ? [] : [['content-type', contentType] as const];
    specs.push({ label: `invalid UTF-8 body (${contentType ?? 'no Content-Type'})`, headers, body: bytes });
    specs.push({ label: `JSON with an invalid UTF-8 string (${contentType ?? 'no Content-Type'})`, headers, body: jsonWithBadString });
  }
  specs.push({ label: 'UTF-16 JSON body', headers: [['content-type', 'application/json; charset=utf-16']], body: new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]) });
  return specs;
}

const MIB = 1024 * 1024;

export function hugeBodyGarbage(): RequestSpec[] {
  const encoder = new TextEncoder();
  return [
    { label: '1 MiB of bytes labelled application/json', headers: [['content-type', 'application/json']], body: new Uint8Array(MIB).fill(0x61) },
    { label: '1 MiB JSON string field hash', headers: [['content-type', 'application/json']], body: encoder.encode(`{"hash":"${'a'.repeat(MIB)}"}`) },
    { label: '1 MiB urlencoded field hash', headers: [['content-type', 'application/x-www-form-urlencoded']], body: encoder.encode(`hash=${'a'.repeat(MIB)}`) },
    { label: '1 MiB body without a Content-Type', body: new Uint8Array(MIB) },
    { label: '1 MiB body with a lying Content-Length of 2', headers: [['content-type', 'application/json'], ['content-length', '2']], body: new Uint8Array(MIB).fill(0x20) },
  ];
}

export function formBodyGarbage(): RequestSpec[] {
  const bodies = [
    '%zz',
    'hash=%zz',
    'hash=%E0%A4%A',
    'hash=%C3%28',
    'hash=%00',
    '%zz=hash',
    '&&&===&',
    'hash',
    'hash=',
    '=',
    'hash=a&hash=b',
    'hash=' + 'a'.repeat(32) + '&hash=' + 'a'.repeat(32),
    '+++',
    'hash=%',
    'hash=%%%%',
    'APIKey=&Signature=&UserId=&Nonce=',
    'hash=' + '%61'.repeat(10_000),
  ];
  return bodies.map((body) => ({
    label: `urlencoded body ${JSON.stringify(body.length > 50 ? `${body.slice(0, 30)}…(${body.length} chars)` : body)}`,
    headers: [['content-type', 'application/x-www-form-urlencoded']] as const,
    body,
  }));
}

export function queryGarbage(): RequestSpec[] {
  const targets = [
    '/?hash=%zz',
    '/?hash=',
    '/?hash',
    '/?hash=a&hash=b',
    '/?%%%',
    '/?%zz=1',
    '/?hash[]=1&hash[]=2',
    '/?hash[a]=1',
    '/?hash=' + 'a'.repeat(8_000),
    '/?' + 'a=1&'.repeat(2_000),
    '/?hash=%E0%A4%A&aptoken=%C3%28',
    '/panel/../?hash=' + '0'.repeat(32),
    '/%2e%2e/%2e%2e/etc/passwd?hash=' + '0'.repeat(32),
    '/%00?hash=%00',
    '//?hash=' + 'f'.repeat(32),
    '/?hash=' + 'f'.repeat(32) + '#fragment',
    '/' + 'a/'.repeat(1_000),
  ];
  return targets.map((target) => ({
    label: `GET ${target.length > 60 ? `${target.slice(0, 40)}…(${target.length} chars)` : target}`,
    target,
  }));
}

export function methodGarbage(): RequestSpec[] {
  return [
    { label: 'HEAD /', method: 'HEAD' },
    { label: 'OPTIONS /', method: 'OPTIONS' },
    { label: 'DELETE / with a body', method: 'DELETE', headers: [['content-type', 'application/json']], body: '{"hash":"x"}' },
    { label: 'PUT / with an empty body', method: 'PUT', body: '' },
    { label: 'PATCH / with an empty JSON body', method: 'PATCH', headers: [['content-type', 'application/json']], body: '' },
    { label: 'PROPFIND /', method: 'PROPFIND' },
    { label: 'lower-case method post', method: 'post', headers: [['content-type', 'application/json']], body: '{}' },
    { label: 'custom method X-GATEHOUSE', method: 'X-GATEHOUSE' },
  ];
}

export function addressGarbage(): RequestSpec[] {
  const addresses = ['', 'not-an-ip', '999.999.999.999', '::ffff:999.1.1.1', '[::1]', '::1', 'fe80::1%eth0', '0.0.0.0', '::', '::ffff:192.0.2.10', '1.2.3.4:5678', 'x'.repeat(10_000)];
  return addresses.map((remoteAddress) => ({
    label: `remote address ${JSON.stringify(remoteAddress.length > 40 ? `${remoteAddress.slice(0, 20)}…` : remoteAddress)} with X-Forwarded-For`,
    headers: [['x-forwarded-for', '203.0.113.1, garbage, ::1']] as const,
    remoteAddress,
  }));
}

/** Every garbage request, for cases that look at all outcomes. */
export function allGarbage(): RequestSpec[] {
  return [
    ...headerGarbage(),
    ...authorizationGarbage(),
    ...cookieGarbage(),
    ...jsonBodyGarbage(),
    ...prototypePollutionPayloads(),
    ...nonUtf8BodyGarbage(),
    ...hugeBodyGarbage(),
    ...formBodyGarbage(),
    ...queryGarbage(),
    ...methodGarbage(),
    ...addressGarbage(),
  ];
}
