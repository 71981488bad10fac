import {
  absent,
  ConfigurationError,
  refusalError,
  rejected,
  type AuthRefusal,
  type AuthStrategy,
  type Principal,
  type RenderSuccessOptions,
  type WireReply,
} from '@gatehouse/auth-core';
import {
  createBoundedMemo,
  createCredentialLookup,
  resolveCredentialOptions,
  withStrategyGuards,
} from '@gatehouse/auth-core/strategy';
import { renderNvxError, renderNvxSuccess } from './envelope.js';
import { classifyNvxPath, hashFromSources, readHeaderHash } from './extract.js';
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
  /** The account type of the hash's owner: `master`, `sub` or `panel`. */
  readonly attributes: { readonly accountType: NvxAccountType };
}

const KINDS: readonly NvxCredentialKind[] = Object.freeze(['api-key', 'user-session', 'panel-session']);
/** Distinct request paths whose classification a strategy remembers. */
const PATH_CACHE_SIZE = 1024;
/** One frozen attributes object per account type, shared by every principal of that type. */
const PRINCIPAL_ATTRIBUTES: Readonly<Record<NvxAccountType, NvxPrincipal['attributes']>> = {
  master: Object.freeze({ accountType: 'master' }),
  sub: Object.freeze({ accountType: 'sub' }),
  panel: Object.freeze({ accountType: 'panel' }),
};

/**
 * This scheme's reply to a refusal: Navixy's failure envelope for the rejection's error, or for
 * `CREDENTIALS_MISSING` (code 3) when no hash was sent.
 */
function renderNvxRefusal(refusal: AuthRefusal): WireReply<unknown> {
  return renderNvxError(refusalError(refusal));
}

/** This scheme's success envelope: `{"success":true, ...payload}` (a non-object payload under `value`). */
function renderNvxSuccessReply(payload: unknown, options?: RenderSuccessOptions): WireReply<unknown> {
  return renderNvxSuccess(payload, options);
}

/**
 * Creates the verifying face: an `AuthStrategy` for Navixy hashes (API keys, user session hashes and panel
 * session hashes) in `Authorization: NVX <hash>`, the body field `hash`, or (when allowed) the query. Its
 * `renderRefusal` answers in Navixy's envelope (`renderNvxError`), its `renderSuccess` as
 * `{"success":true, ...payload}` (`renderNvxSuccess`).
 *
 * Route rules, from the request path: under `<basePath>/panel/` only panel session hashes are accepted; user
 * session hashes only on the key-management and session routes (unless `userSessionScope: 'everywhere'`);
 * API keys on every user route. A hash of the wrong kind for the route is `CREDENTIALS_NOT_ACCEPTED_HERE`. A
 * request whose body was consumed before authentication is refused with `INTERNAL_ERROR`.
 *
 * @example
 * ```ts
 * import { createAuthGuard } from '@gatehouse/auth-core';
 * import { nvxHash } from '@gatehouse/strategy-nvx-hash';
 * const guard = createAuthGuard(nvxHash({ store }));
 * const decision = await guard(toAuthRequest(req));
 * if (decision.type === 'refused') return writeNodeReply(res, decision.reply); // {"success":false,"status":{"code":3,…}}
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
  const credentials = createCredentialLookup({ store, digest, clock, strategyId: NVX_STRATEGY_ID, kinds: KINDS });

  const strategy: AuthStrategy<NvxPrincipal> = {
    id: NVX_STRATEGY_ID,
    async authenticate(request) {
      const fromHeader = readHeaderHash(request);
      if (typeof fromHeader === 'object') return rejected(fromHeader.code, fromHeader.cause);
      const hash = hashFromSources(request, fromHeader, await request.body(), allowQueryHash);
      if (hash === null) return absent();
      if (typeof hash === 'object') return rejected(hash.code, hash.cause);
      const area = classify(request.path);
      if (area === null) return rejected('REQUEST_MALFORMED');

      const found = await credentials.find(hash);
      if (found.type === 'rejected') return found;
      const { record } = found;
      // The route rule: which kinds of hash this path accepts.
      const kind = record.kind as NvxCredentialKind;
      const accepted =
        area === 'panel'
          ? kind === 'panel-session'
          : kind === 'api-key' || (kind === 'user-session' && (area === 'key-management' || scope === 'everywhere'));
      if (!accepted) return rejected('CREDENTIALS_NOT_ACCEPTED_HERE');

      // Least privilege when the record says nothing: only an explicit 'master' may manage API keys.
      const accountType: NvxAccountType = kind === 'panel-session' ? 'panel' : record.attributes['accountType'] === 'master' ? 'master' : 'sub';
      return credentials.grant(found, { id: record.ownerId, attributes: PRINCIPAL_ATTRIBUTES[accountType] });
    },
    renderRefusal: renderNvxRefusal,
    renderSuccess: renderNvxSuccessReply,
  };

  return withStrategyGuards(strategy, options);
}
