// The server's own key routes (capability key-routes): `api/key/create`, `api/key/list`, `api/key/delete`. Every key
// a case creates is deleted before the case ends.
import { encodeHex, randomBytes } from '@gatehouse/auth-core/crypto';
import type { ConformanceCase } from '../../../case.js';
import { check, fail, neverAccepted, neverLeaked } from '../../../check.js';
import { nvx, nvxCase, type Exchange, type NvxCaseContext } from '../context.js';
import type { NvxHashDriver } from '../fixtures.js';
import { isAccepted, issuedHashOf, keyListOf, NAVIXY_AUTHENTICATION, NAVIXY_HASH_KINDS, replyDifferences } from '../wire.js';
import { notLive } from './hash.js';
import { wrongKind } from './kinds.js';

const LIMIT = `${NAVIXY_AUTHENTICATION} ("Every user account may have up to 20 API keys")`;
const DELETE = `${NAVIXY_AUTHENTICATION} (an API key "can be deleted at any time if there is a suspicion of compromise")`;
const CREATE = `${NAVIXY_AUTHENTICATION} ("creating a new API key using the another API key is not available"; "Sub-users don't have API keys functionality")`;
const MAX_KEYS = 20;

/** The key routes under the API base path, and the keys a case made (deleted at its end). */
class KeyRoutes {
  readonly made: string[] = [];

  constructor(readonly c: NvxCaseContext) {}

  route(name: 'create' | 'list' | 'delete'): string {
    return `${this.c.fx.apiBasePath}/api/key/${name}`;
  }

  /** `api/key/create` with `hash` in the header; a key the reply carries is remembered for deletion. */
  async create(hash: string): Promise<{ readonly sent: Exchange; readonly key: string | null }> {
    const sent = await this.c.send({ method: 'POST', path: this.route('create'), headers: nvx(hash), json: { title: `gatehouse-conformance ${encodeHex(randomBytes(4))}` } });
    const key = isAccepted(sent.reply) ? issuedHashOf(sent.reply.body) : null;
    if (key !== null) {
      this.made.push(key);
      this.c.addSecret(`created key ${this.made.length}`, key);
    }
    return { sent, key };
  }

  async delete(key: string): Promise<Exchange> {
    const sent = await this.c.send({ method: 'POST', path: this.route('delete'), headers: nvx(this.c.fx.userSessionHash), json: { key_hash: key } });
    const at = this.made.indexOf(key);
    if (isAccepted(sent.reply) && at !== -1) this.made.splice(at, 1);
    return sent;
  }

  /** How many live keys `api/key/list` shows, or `null` when its reply has no list. */
  async count(): Promise<number | null> {
    const sent = await this.c.send({ method: 'POST', path: this.route('list'), headers: nvx(this.c.fx.userSessionHash), json: {} });
    if (!isAccepted(sent.reply)) return null;
    return keyListOf(sent.reply.body)?.length ?? null;
  }

  /** Runs `body`, then deletes every key the case made; a key left behind fails the case (after `body`'s own failure). */
  async run(body: () => Promise<void>): Promise<void> {
    let failure: unknown = null;
    try {
      await body();
    } catch (error) {
      failure = error;
    }
    const left: string[] = [];
    for (const key of [...this.made]) {
      const sent = await this.delete(key).catch(() => null);
      if (sent === null || !isAccepted(sent.reply)) left.push(key);
    }
    if (failure !== null) throw failure;
    check(left.length === 0, () => `the case could not delete ${left.length} key(s) it created through ${this.route('delete')}; delete the keys titled "gatehouse-conformance …" by hand`);
  }
}

export const keyCases: readonly ConformanceCase<NvxHashDriver>[] = [
  nvxCase({
    id: 'NVX-KEYS-001',
    level: 'MUST',
    ref: LIMIT,
    title: `a master user never holds more than ${MAX_KEYS} live API keys: api/key/create is refused at the limit (declared key_refusal_code)`,
    requires: ['key-routes'],
    parameters: ['key_refusal_code'],
    async run(c) {
      const keys = new KeyRoutes(c);
      await keys.run(async () => {
        const existing = await keys.count();
        const budget = existing === null ? MAX_KEYS + 1 : Math.max(0, MAX_KEYS - existing) + 1;
        let refusal: Exchange | null = null;
        for (let i = 0; i < budget && refusal === null; i++) {
          const { sent, key } = await keys.create(c.fx.userSessionHash);
          if (!isAccepted(sent.reply)) refusal = sent;
          else check(key !== null, () => `${sent.label}: answered success without a 32-hex-digit key hash: ${c.describe(sent.reply)}`);
        }
        const live = (existing ?? 0) + keys.made.length;
        if (refusal === null) {
          fail(`${keys.route('create')} made a live key past ${MAX_KEYS}: ${existing === null ? `${keys.made.length} created by the case alone` : `${existing} held before, ${keys.made.length} created`} (${LIMIT})`);
        }
        c.wire(existing === null || live === MAX_KEYS, () => `${keys.route('create')} was refused at ${live} live keys; the documented limit is ${MAX_KEYS} (${LIMIT})`);
        c.expectShape(refusal, { code: c.p.keyRefusalCode, why: `declared key_refusal_code=${c.p.keyRefusalCode}` });
        if (existing !== null) {
          const after = await keys.count();
          c.wire(after === live, () => `after the refusal, ${keys.route('list')} shows ${after ?? 'no list'} keys instead of ${live}: the refused call made a key`);
        }
      });
    },
  }),
  nvxCase({
    id: 'NVX-KEYS-002',
    level: 'MUST',
    ref: DELETE,
    title: 'a key deleted through api/key/delete is refused on the very next request, with the reply an unknown hash gets',
    requires: ['key-routes'],
    parameters: ['unknown_hash_code'],
    async run(c) {
      const keys = new KeyRoutes(c);
      await keys.run(async () => {
        const { sent, key } = await keys.create(c.fx.userSessionHash);
        check(key !== null, () => `cannot test deletion: ${sent.label} did not create a key: ${c.describe(sent.reply)}`);
        const used = await c.send({ path: c.fx.resourcePath, headers: nvx(key) });
        check(isAccepted(used.reply), () => `cannot test deletion: the new key did not authenticate (${used.label}: ${c.describe(used.reply)})`);
        const deleted = await keys.delete(key);
        check(isAccepted(deleted.reply), () => `cannot test deletion: ${deleted.label} answered ${c.describe(deleted.reply)}`);
        const [afterHeader] = await c.refuseAll(
          [
            { path: c.fx.resourcePath, headers: nvx(key) },
            { path: c.fx.resourcePath, json: { hash: key } },
          ],
          notLive(c),
        );
        const unknown = await c.send({ path: c.fx.resourcePath, headers: nvx(c.fx.unknownHash) });
        const noise = await c.send({ path: c.fx.resourcePath, headers: nvx(c.fx.unknownHash) });
        if (afterHeader === undefined) return;
        const differences = replyDifferences(unknown.reply, noise.reply, afterHeader.reply);
        neverLeaked(
          differences.length === 0,
          () => `${afterHeader.label} got ${c.describe(afterHeader.reply)}, but an unknown hash got ${c.describe(unknown.reply)} (${differences.join(', ')}): a deleted key must not be told from an unknown hash`,
        );
      });
    },
  }),
  nvxCase({
    id: 'NVX-KEYS-003',
    level: 'MUST',
    ref: `${CREATE}; ${NAVIXY_HASH_KINDS}`,
    title: "only a master user's session hash creates API keys: an API key, a sub-user's session and a panel hash never do",
    requires: ['key-routes'],
    parameters: ['key_refusal_code', 'wrong_kind_code'],
    async run(c) {
      const keys = new KeyRoutes(c);
      await keys.run(async () => {
        const attempts: { readonly hash: string; readonly who: string; readonly shape: { readonly code: number; readonly why: string } }[] = [
          { hash: c.fx.apiKey, who: 'an API key', shape: { code: c.p.keyRefusalCode, why: `declared key_refusal_code=${c.p.keyRefusalCode}` } },
          { hash: c.fx.panelSessionHash, who: 'a panel hash', shape: wrongKind(c) },
        ];
        if (c.fx.subUserSessionHash !== null) {
          attempts.push({ hash: c.fx.subUserSessionHash, who: "a sub-user's session", shape: { code: c.p.keyRefusalCode, why: `declared key_refusal_code=${c.p.keyRefusalCode}` } });
        }
        for (const { hash, who, shape } of attempts) {
          const { sent, key } = await keys.create(hash);
          neverAccepted(!isAccepted(sent.reply), () => `${sent.label}: ${who} created an API key${key === null ? '' : ' (deleted by the kit)'}: ${c.describe(sent.reply)}`);
          c.expectShape(sent, shape);
        }
      });
    },
  }),
];
