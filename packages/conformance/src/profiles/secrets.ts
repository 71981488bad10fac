// Finding secrets in text and altering them inside a request, for the leak and tamper cases.

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The spellings a secret may take in a header, a URL, a JSON or a form body, raw first. */
function spellings(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  return [secret, uri, JSON.stringify(secret).slice(1, -1), uri.replace(/%20/g, '+')];
}

/**
 * Index of the first secret found in `text` (case-insensitively: an upper-cased hex token is still the token),
 * or -1.
 */
export function findSecret(text: string, secrets: readonly string[]): number {
  const haystack = text.toLowerCase();
  return secrets.findIndex((secret) => spellings(secret).some((form) => haystack.includes(form.toLowerCase())));
}

/** Changes one character, keeping it in its class (hex stays hex, base64 stays base64) so syntax checks pass. */
function flipCharacter(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '9' || c === 'f' || c === 'F' || c === 'z' || c === 'Z') return String.fromCharCode(code - 1);
  if (/[0-8a-eA-Eg-yG-Y]/.test(c)) return String.fromCharCode(code + 1);
  return c === '0' ? '1' : '0';
}

/** The secret with its first (or last) character changed. */
export function alterSecret(secret: string, where: 'first' | 'last'): string {
  const index = where === 'first' ? 0 : secret.length - 1;
  return secret.slice(0, index) + flipCharacter(secret.charAt(index)) + secret.slice(index + 1);
}

interface RequestParts {
  readonly method: string;
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array<ArrayBuffer> | null;
}

/** Reads a request once into parts that can be rebuilt into many requests. */
export async function disassemble(request: Request): Promise<RequestParts> {
  const headers: [string, string][] = [];
  request.headers.forEach((value, name) => {
    // The rebuilt body may differ in length; Fetch computes Content-Length itself.
    if (name !== 'content-length') headers.push([name, value]);
  });
  const body = request.body === null ? null : new Uint8Array(await request.arrayBuffer());
  return { method: request.method, url: request.url, headers, body };
}

export function reassemble(parts: RequestParts): Request {
  const headers = new Headers();
  for (const [name, value] of parts.headers) headers.append(name, value);
  const init: RequestInit = { method: parts.method, headers };
  if (parts.body !== null && parts.method !== 'GET' && parts.method !== 'HEAD') init.body = parts.body;
  return new Request(parts.url, init);
}

function replaceAll(text: string, from: string, to: string): { text: string; count: number } {
  const pieces = text.split(from);
  return { text: pieces.join(to), count: pieces.length - 1 };
}

function replaceSpellings(text: string, secret: string, altered: string): { text: string; count: number } {
  const to = spellings(altered);
  const pairs = new Map<string, string>();
  spellings(secret).forEach((form, index) => {
    if (!pairs.has(form)) pairs.set(form, to[index] as string);
  });
  let count = 0;
  let current = text;
  // Longest spellings first, so an encoded form is not half-replaced through its raw substring.
  for (const [from, replacement] of [...pairs].sort((a, b) => b[0].length - a[0].length)) {
    const replaced = replaceAll(current, from, replacement);
    current = replaced.text;
    count += replaced.count;
  }
  return { text: current, count };
}

/**
 * Replaces every occurrence of `secret` (in any of its spellings) in the URL, header values and a UTF-8 body
 * with `altered`. Returns `null` when the secret appears nowhere.
 */
export function replaceSecret(parts: RequestParts, secret: string, altered: string): RequestParts | null {
  let count = 0;
  const url = replaceSpellings(parts.url, secret, altered);
  count += url.count;
  const headers = parts.headers.map(([name, value]) => {
    const replaced = replaceSpellings(value, secret, altered);
    count += replaced.count;
    return [name, replaced.text] as const;
  });
  let body = parts.body;
  if (body !== null) {
    let text: string | null = null;
    try {
      text = utf8.decode(body);
    } catch {
      // A body that is not UTF-8 is left as it is.
    }
    if (text !== null) {
      const replaced = replaceSpellings(text, secret, altered);
      count += replaced.count;
      body = encoder.encode(replaced.text);
    }
  }
  return count === 0 ? null : { method: parts.method, url: url.text, headers, body };
}
