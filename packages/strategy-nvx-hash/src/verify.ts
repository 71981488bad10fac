import {
  absent,
  authenticated,
  createBoundedMemo,
  ConfigurationError,
  isCredentialActive,
  rejected,
  resolveCredentialOptions,
  touchQuietly,
  withStrategyGuards,
  type AuthStrategy,
  type CredentialRecord,
  type Principal,
} from '@gatehouse/auth-core';
import { classifyNvxPath, readNvxHash } from './extract.js';
import {
  NVX_DEFAULT_USER_SESSION_PATHS,
  NVX_STRATEGY_ID,
  resolveBasePath,
  type NvxAccountType,
  type NvxCredentialKind,
  type NvxHashOptions,
} from './options.js';

/**
 * Who a hash authenticates: the account id the hash was issued to, and its account type.
 *
 * @example
 * ```ts
 * if (outcome.type === 'authenticated') console.log(outcome.principal.attributes.accountType);
 * ```
 */
export interface NvxPrincipal extends Principal {
  readonly attributes: { readonly accountType: NvxAccountType };
}

const KINDS: ReadonlySet<string> = new Set<NvxCredentialKind>(['api-key', 'user-session', 'panel-session']);
/** Distinct request paths whose classification a strategy remembers. */
const PATH_CACHE_SIZE = 1024;
/** One frozen attributes object per account type, shared by every principal of that type. */
const PRINCIPAL_ATTRIBUTES: Readonly<Record<NvxAccountType, NvxPrincipal['attributes']>> = {
  master: Object.freeze({ accountType: 'master' }),
  sub: Object.freeze({ accountType: 'sub' }),
  panel: Object.freeze({ accountType: 'panel' }),
};

/**
 * Creates the verifying face: an `AuthStrategy` for Navixy hashes (API keys, user session hashes and panel
 * session hashes) in `Authorization: NVX <hash>`, the body field `hash`, or (when allowed) the query.
 *
 * Route rules, from the request path: under `<basePath>/panel/` only panel session hashes are accepted; user
 * session hashes only on the key-management and session routes (unless `userSessionScope: 'everywhere'`);
 * API keys on every user route. A hash of the wrong kind for the route is `CREDENTIALS_NOT_ACCEPTED_HERE`.
 *
 * @example
 * ```ts
 * import { nvxHash, renderNvxError } from '@gatehouse/strategy-nvx-hash';
 * const strategy = nvxHash({ store });
 * const outcome = await strategy.authenticate(toAuthRequest(req));
 * if (outcome.type !== 'authenticated') return send(renderNvxError(outcome.type === 'rejected' ? outcome.error : new AuthError('CREDENTIALS_MISSING')));
 * ```
 */
export function nvxHash(options: NvxHashOptions): AuthStrategy<NvxPrincipal> {
  const { store, digest, clock } = resolveCredentialOptions(options);
  const basePath = resolveBasePath(options.basePath);
  const allowQueryHash = options.allowQueryHash ?? false;
  if (typeof allowQueryHash !== 'boolean') throw new ConfigurationError('allowQueryHash', 'must be true or false');
  const scope = options.userSessionScope ?? 'key-management';
  if (scope !== 'key-management' && scope !== 'everywhere') {
    throw new ConfigurationError('userSessionScope', "must be 'key-management' or 'everywhere'");
  }
  const paths = options.userSessionPaths ?? NVX_DEFAULT_USER_SESSION_PATHS;
  if (!Array.isArray(paths) || paths.some((path) => typeof path !== 'string' || !path.startsWith('/'))) {
    throw new ConfigurationError('userSessionPaths', 'must be an array of paths starting with /');
  }
  const userSessionPaths = new Set(paths.map((path) => path.replace(/\/+$/, '').toLowerCase()));
  // An API has few paths: each is classified once (decoding, normalising) and then read from here.
  const classify = createBoundedMemo((path) => classifyNvxPath(path, basePath, userSessionPaths), PATH_CACHE_SIZE);

  const strategy: AuthStrategy<NvxPrincipal> = {
    id: NVX_STRATEGY_ID,
    async authenticate(request) {
      const hash = await readNvxHash(request, allowQueryHash);
      if (hash === null) return absent();
      if (typeof hash === 'object') return rejected(hash.code);
      const area = classify(request.path);
      if (area === null) return rejected('REQUEST_MALFORMED');

      let record: CredentialRecord | null;
      try {
        record = await store.findByDigest(digest(hash));
      } catch (error) {
        return rejected('STORE_UNAVAILABLE', error);
      }
      const now = clock.now();
      // Unknown, revoked, expired and foreign records get one answer, so a reply never tells them apart.
      if (record === null || record.strategy !== NVX_STRATEGY_ID || !KINDS.has(record.kind) || !isCredentialActive(record, now)) {
        return rejected('CREDENTIALS_INVALID');
      }
      const kind = record.kind as NvxCredentialKind;
      const accepted =
        area === 'panel'
          ? kind === 'panel-session'
          : kind === 'api-key' || (kind === 'user-session' && (area === 'key-management' || scope === 'everywhere'));
      if (!accepted) return rejected('CREDENTIALS_NOT_ACCEPTED_HERE');

      // Least privilege when the record says nothing: only an explicit 'master' may manage API keys.
      const accountType: NvxAccountType = kind === 'panel-session' ? 'panel' : record.attributes['accountType'] === 'master' ? 'master' : 'sub';
      touchQuietly(store, record.id, now);
      return authenticated(
        { id: record.ownerId, attributes: PRINCIPAL_ATTRIBUTES[accountType] },
        { id: record.id, kind, scopes: record.scopes, expiresAt: record.expiresAt },
      );
    },
  };

  return withStrategyGuards(strategy, options);
}
