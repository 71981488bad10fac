// A small, well-behaved example strategy (a static API key in header `x-api-key` or JSON/form body field
// `apiKey`) and flawed variants of it, for the kit's own tests.
import {
  absent,
  AuthError,
  authenticated,
  isJsonObject,
  rejected,
  type AuthEventListener,
  type AuthOutcome,
  type AuthRequest,
  type AuthStrategy,
} from '@gatehouse/auth-core';
import { withOutcomeEvents } from '@gatehouse/auth-core/strategy';
import { constantTimeEqualStrings, isHexString } from '@gatehouse/auth-core/crypto';
import { withRenderer } from './refusal.js';

export interface StrategyFlaws {
  /** Also reads `Authorization: Key <k>`, splitting it carelessly, and throws when there is no space. */
  readonly throwsOnMalformedAuthorization?: boolean;
  /** Returns `{ type: 'error' }` for a malformed key. */
  readonly invalidOutcomeOnMalformed?: boolean;
  /** Puts the presented key into the rejection message. */
  readonly secretInMessage?: boolean;
  /** Puts the expected key into the rejection message (a debugging leftover). */
  readonly expectedKeyInMessage?: boolean;
  /** Returns rejected (not absent) when there are no credentials at all. */
  readonly rejectsWhenAbsent?: boolean;
  /** Keeps the generic message but attaches the presented key to the error object. */
  readonly presentedKeyOnError?: boolean;
  /** Authenticates requests without any credentials as an anonymous principal. */
  readonly authenticatesAnonymous?: boolean;
  /** Compares only the first 16 characters. */
  readonly comparesPrefixOnly?: boolean;
  /** Uses the key itself as the credential id in the outcome. */
  readonly keyAsCredentialId?: boolean;
  /** Reports the presented key as the credential id of its events. */
  readonly keyInEvents?: boolean;
  /** Rejects with a message of its own instead of the generic one. */
  readonly customMessage?: boolean;
  /** Rejects with an error whose httpStatus is 200. */
  readonly status200?: boolean;
  /** Parses `a[b]=c` query parameters into nested objects, qs-style, without guarding `__proto__`. */
  readonly pollutesPrototype?: boolean;
  /** Each key works once. */
  readonly oneTimeKeys?: boolean;
  /** Returns absent (not rejected) for a wrong key. */
  readonly absentOnWrongKey?: boolean;
  /** Has an empty id. */
  readonly emptyId?: boolean;
}

export interface StaticKeyStrategyOptions {
  /** 32 lower-case hex characters. */
  readonly key: string;
  readonly onEvent?: AuthEventListener;
  readonly flaws?: StrategyFlaws;
}

function parseNestedQuery(url: string): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  for (const [name, value] of new URLSearchParams(query)) {
    const path = name.split(/[[\].]+/).filter((part) => part !== '');
    let node: Record<string, unknown> = target;
    path.forEach((part, index) => {
      if (index === path.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return target;
}

async function presentedKey(request: AuthRequest): Promise<{ key: string | null } | { outcome: AuthOutcome }> {
  let key = request.header('x-api-key');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const body = await request.body();
    let fromBody: unknown;
    if (body.type === 'json' && isJsonObject(body.value)) fromBody = body.value['apiKey'];
    else if (body.type === 'form') {
      const values = body.fields.get('apiKey') ?? [];
      if (values.length > 1) return { outcome: rejected('CREDENTIALS_AMBIGUOUS') };
      fromBody = values[0];
    }
    if (fromBody !== undefined) {
      if (typeof fromBody !== 'string') return { outcome: rejected('CREDENTIALS_MALFORMED') };
      if (key !== null && key !== fromBody) return { outcome: rejected('CREDENTIALS_AMBIGUOUS') };
      key = fromBody;
    }
  }
  return { key };
}

export function createStaticKeyStrategy(options: StaticKeyStrategyOptions): AuthStrategy {
  const { key: expected, onEvent, flaws = {} } = options;
  const used = new Set<string>();
  const id = flaws.emptyId ? '' : 'static-key';

  const inner: AuthStrategy = withRenderer({
    id,
    async authenticate(request) {
      if (flaws.pollutesPrototype) parseNestedQuery(request.url);
      if (flaws.throwsOnMalformedAuthorization) {
        const authorization = request.header('authorization');
        if (authorization !== null) {
          const token = authorization.split(' ')[1] as string;
          if (token.length !== 32) return rejected('CREDENTIALS_MALFORMED');
        }
      }
      const found = await presentedKey(request);
      if ('outcome' in found) return found.outcome;
      const presented = found.key;
      if (presented === null) {
        if (flaws.rejectsWhenAbsent) return rejected('CREDENTIALS_MISSING');
        return flaws.authenticatesAnonymous ? authenticated({ id: 'anonymous' }, { id: 'none', kind: 'anonymous', scopes: [] }) : absent();
      }
      if (!isHexString(presented, 32)) {
        return flaws.invalidOutcomeOnMalformed ? ({ type: 'error' } as unknown as AuthOutcome) : rejected('CREDENTIALS_MALFORMED');
      }
      const matches = flaws.comparesPrefixOnly
        ? presented.slice(0, 16).toLowerCase() === expected.slice(0, 16)
        : constantTimeEqualStrings(presented.toLowerCase(), expected);
      if (!matches) {
        if (flaws.absentOnWrongKey) return absent();
        const error = new AuthError('CREDENTIALS_INVALID');
        if (flaws.secretInMessage) error.message = `API key ${presented} is not valid`;
        if (flaws.expectedKeyInMessage) error.message = `Credentials are not valid (expected ${expected}).`;
        if (flaws.customMessage) error.message = 'Unknown API key.';
        if (flaws.presentedKeyOnError) Object.assign(error, { presented });
        if (flaws.status200) return { type: 'rejected', error: { ...error.toJSON(), httpStatus: 200 } as unknown as AuthError };
        return rejected(error);
      }
      if (flaws.oneTimeKeys) {
        if (used.has(presented)) return rejected('CREDENTIALS_INVALID');
        used.add(presented);
      }
      if (flaws.keyInEvents) {
        onEvent?.({ type: 'authenticated', strategyId: id, at: Date.now(), principalId: 'service-account', credentialId: presented, credentialKind: 'api-key', clientIp: request.clientIp });
      }
      return authenticated({ id: 'service-account' }, { id: flaws.keyAsCredentialId ? presented : 'key-1', kind: 'api-key', scopes: ['read'] });
    },
  });
  // withOutcomeEvents turns throws and invalid outcomes (an error that is not an AuthError among them) into
  // INTERNAL_ERROR rejections; the mutants that show what the kit does with such raw outcomes must not be wrapped.
  if (flaws.throwsOnMalformedAuthorization || flaws.invalidOutcomeOnMalformed || flaws.status200) return inner;
  return withOutcomeEvents(inner, onEvent === undefined ? {} : { onEvent });
}
