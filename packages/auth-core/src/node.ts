import { concatBytes, type CappedRead } from './body.js';
import { compileAdapterOptions, LazyAuthRequest, type AuthRequest, type CompiledAdapterOptions, type RequestAdapterOptions } from './request.js';

/**
 * The part of Node's `http.IncomingMessage` the adapter uses, stated structurally so this entry needs no
 * `node:` import.
 */
export interface NodeIncomingMessage {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly rawHeaders: readonly string[];
  readonly socket: { readonly remoteAddress?: string | undefined } | null;
  readonly readableEnded?: boolean;
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches EventEmitter's own signature
  off(event: string, listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

const encoder = new TextEncoder();
const NO_VALUES: readonly string[] = Object.freeze([]);

/** `name.toLowerCase() === lowerCaseName` without building the lower-case copy (header names are ASCII). */
function equalsLowerCase(name: string, lowerCaseName: string): boolean {
  if (name.length !== lowerCaseName.length) return false;
  for (let i = 0; i < name.length; i++) {
    let code = name.charCodeAt(i);
    if (code > 0x7f) return name.toLowerCase() === lowerCaseName;
    if (code >= 65 && code <= 90) code |= 0x20;
    if (code !== lowerCaseName.charCodeAt(i)) return false;
  }
  return true;
}

class NodeAuthRequest extends LazyAuthRequest {
  readonly #incoming: NodeIncomingMessage;

  constructor(incoming: NodeIncomingMessage, options: CompiledAdapterOptions) {
    super(incoming.method ?? 'GET', incoming.url ?? '/', options);
    this.#incoming = incoming;
  }

  protected readHeaderValues(lowerCaseName: string): readonly string[] {
    // rawHeaders keeps every field line as sent; Node's `headers` object silently drops repeated
    // `Authorization` lines, which would hide the ambiguity strategies must reject.
    const raw = this.#incoming.rawHeaders;
    let values: string[] | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (equalsLowerCase(raw[i] as string, lowerCaseName)) (values ??= []).push(raw[i + 1] as string);
    }
    return values ?? NO_VALUES;
  }

  protected readSocketAddress(): string | null {
    return this.#incoming.socket?.remoteAddress ?? null;
  }

  protected readRawBody(maxBytes: number): Promise<CappedRead> {
    const incoming = this.#incoming;
    if (incoming.readableEnded === true) return Promise.resolve({ type: 'failed' });
    return new Promise<CappedRead>((resolve) => {
      const parts: Uint8Array[] = [];
      let total = 0;
      const finish = (result: CappedRead): void => {
        incoming.off('data', onData);
        incoming.off('end', onEnd);
        incoming.off('error', onError);
        incoming.off('close', onClose);
        resolve(result);
      };
      const onData = (chunk: Uint8Array | string): void => {
        const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
        total += bytes.length;
        if (total > maxBytes) {
          // Stop reading at once; the server discards or closes the rest after the reply.
          incoming.pause();
          finish({ type: 'too-large' });
          return;
        }
        parts.push(bytes);
      };
      const onEnd = (): void => finish({ type: 'read', bytes: concatBytes(parts) });
      const onError = (): void => finish({ type: 'failed' });
      const onClose = (): void => finish({ type: 'failed' });
      incoming.on('data', onData);
      incoming.on('end', onEnd);
      incoming.on('error', onError);
      incoming.on('close', onClose);
      incoming.resume();
    });
  }
}

/**
 * Creates an adapter from a Node `http.IncomingMessage` to an {@link AuthRequest}, without building a Fetch
 * `Request` (which would cost more than the whole verification). Headers are read in place from
 * `rawHeaders`; the body is consumed only if a strategy asks for it, so read it through
 * `authRequest.body()` afterwards too.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createNodeRequestAdapter } from '@gatehouse/auth-core/node';
 * const toAuthRequest = createNodeRequestAdapter({ trustedProxies: ['127.0.0.1'] });
 * createServer(async (req, res) => {
 *   const outcome = await strategy.authenticate(toAuthRequest(req));
 *   res.end(outcome.type);
 * });
 * ```
 */
export function createNodeRequestAdapter(
  options: RequestAdapterOptions = {},
): (incoming: NodeIncomingMessage) => AuthRequest {
  const compiled = compileAdapterOptions(options);
  return (incoming) => new NodeAuthRequest(incoming, compiled);
}

export type { AuthRequest, RequestAdapterOptions } from './request.js';
