// Each entry serves one kind of reader; its runtime exports are pinned here, so nothing reaches an entry (or
// leaves it) without a deliberate change to this list and a changeset.
import { describe, expect, it } from 'vitest';
import * as crypto from './entry/crypto.js';
import * as strategy from './entry/strategy.js';
import * as root from './index.js';
import * as node from './node.js';

describe('entries', () => {
  it('the root holds what applications need: the contract, outcomes, errors, the guard, composition, adapters, memory stores', () => {
    expect(Object.keys(root).sort()).toEqual([
      'AUTH_ERROR_CODES',
      'AuthError',
      'ConfigurationError',
      'absent',
      'allOf',
      'authenticated',
      'createAuthGuard',
      'createFetchRequestAdapter',
      'createLoginThrottle',
      'createManualClock',
      'createMemoryCredentialStore',
      'createMemoryEphemeralStore',
      'createRouteKitHandler',
      'describeRouteKit',
      'firstOf',
      'isAuthErrorCode',
      'isJsonObject',
      'refusalError',
      'rejected',
      'rejectedCredential',
      'renderSuccess',
      'systemClock',
      'toFetchResponse',
      'withFailureThrottle',
    ]);
  });

  it('/strategy holds the tools of strategy and store authors', () => {
    expect(Object.keys(strategy).sort()).toEqual([
      'JSON_CONTENT_TYPE',
      'assertKnownOptions',
      'authErrorForThrown',
      'authenticateSafely',
      'compileClientIpSource',
      'createBoundedMemo',
      'createCredentialLookup',
      'createEventEmitter',
      'createIpMatcher',
      'findOwnedCredential',
      'formatIpAddress',
      'guardStore',
      'insertCredential',
      'isCredentialActive',
      'isPrintableText',
      'manageFailure',
      'manageSuccess',
      'newCredentialId',
      'normalizeIpAddress',
      'parseAuthorizationHeader',
      'parseCookieHeader',
      'parseFormSafely',
      'parseIpAddress',
      'parseJsonSafely',
      'readCredentialReference',
      'renderingOf',
      'replaceCredential',
      'resolveCredentialOptions',
      'rotationOverlapMs',
      'touchQuietly',
      'ttlToMilliseconds',
      'withOutcomeEvents',
      'withStrategyGuards',
    ]);
  });

  it('/crypto holds secrets, digests, encodings, sealing and passwords', () => {
    expect(Object.keys(crypto).sort()).toEqual([
      'CRYPTO_BACKEND',
      'constantTimeEqual',
      'constantTimeEqualStrings',
      'createHmacSha256',
      'createPasswordHasher',
      'createSecretDigester',
      'createSecretSealer',
      'decodeBase64Url',
      'decodeHex',
      'encodeBase64Url',
      'encodeHex',
      'generateHexToken',
      'hashPassword',
      'hmacSha256',
      'isHexString',
      'parseKeyEncryptionKeys',
      'randomBytes',
      'sha256Digest',
      'verifyPassword',
    ]);
  });

  it('/node holds the IncomingMessage adapter and the reply writer, and no internals', () => {
    expect(Object.keys(node).sort()).toEqual(['createNodeRequestAdapter', 'writeNodeReply']);
  });

  it('no entry exports the lazy request machinery', () => {
    for (const entry of [root, strategy, crypto, node]) {
      expect(entry).not.toHaveProperty('LazyAuthRequest');
      expect(entry).not.toHaveProperty('compileAdapterOptions');
      expect(entry).not.toHaveProperty('decodeRequestBody');
    }
  });
});
