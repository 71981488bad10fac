// The panel's envelope ("Response from the server in json format"): only these cases judge it, and only as wire
// fidelity; every other case reads replies tolerantly.
import { ConformanceSkip, type ConformanceCase } from '../../../case.js';
import { deepEqual } from '../../../check.js';
import { ahcCase, type AccessHashDriver, type AhcContext, type AhcRequestSpec } from '../context.js';
import { REF_ENVELOPE } from '../refs.js';
import { envelopeKeys, isFailureEnvelope, isSuccessEnvelope } from '../wire.js';

/** Requests every server refuses whatever it declared: no cookie, an unknown hash, a cut one, a foreign one. */
function refusedSpecs(c: AhcContext): AhcRequestSpec[] {
  return [{ path: c.fx.resourcePath }, c.get(c.pair(c.fx.unknownHash)), c.get(c.pair(c.fx.accessHash.slice(0, -1))), c.get(c.pair(c.fx.foreignAccessHash))];
}

export const envelopeCases: readonly ConformanceCase<AccessHashDriver>[] = [
  ahcCase(
    'AHC-ENV-001',
    'MUST',
    REF_ENVELOPE,
    'a success is a 2xx with `{"error":"","msg":…,"status":"success"}`',
    async (c) => {
      const sent = await c.send(c.get(c.pair(c.fx.accessHash)));
      if (!c.accepted(sent)) throw new ConformanceSkip('the live hash was not accepted (see AHC-COOKIE-001): no success to judge');
      c.wire(
        sent.reply.status >= 200 && sent.reply.status < 300 && isSuccessEnvelope(sent.reply),
        () => `${sent.label}: expected a 2xx with {"error":"","msg":…,"status":"success"}, got ${c.describe(sent)}`,
      );
    },
  ),
  ahcCase(
    'AHC-ENV-002',
    'MUST',
    REF_ENVELOPE,
    'a refusal carries `{"error":"<text>","msg":…,"status":"error"}` (a refusal by the HTTP layer, 413 or 431, aside)',
    async (c) => {
      for (const spec of refusedSpecs(c)) {
        const sent = await c.send(spec);
        c.notAccepted(sent);
        if (sent.reply.status === 413 || sent.reply.status === 431) continue;
        c.wire(isFailureEnvelope(sent.reply), () => `${sent.label}: expected {"error":"<text>","msg":…,"status":"error"}, got ${c.describe(sent)}`);
      }
    },
  ),
  ahcCase(
    'AHC-ENV-003',
    'SHOULD',
    REF_ENVELOPE,
    'success and failure replies have exactly the keys `error`, `msg` and `status`',
    async (c) => {
      for (const spec of [c.get(c.pair(c.fx.accessHash)), ...refusedSpecs(c)]) {
        const sent = await c.send(spec);
        if (sent.reply.status === 413 || sent.reply.status === 431) continue;
        c.wire(deepEqual(envelopeKeys(sent.reply), ['error', 'msg', 'status']), () => `${sent.label}: expected exactly error, msg, status, got ${c.describe(sent)}`);
      }
    },
  ),
];
