// The AuthenticateUser request: missing, oversized, mistyped and hostile values are never accepted; values that
// disagree (headers against body, two header lines, two JSON members of one name) are refused or resolved one
// consistent way, never checked as one value and used as another.
import { neverAccepted } from '../../../check.js';
import { guardingPrototypes } from '../../../profiles/strategy-contract.js';
import { headersOf, hmacCase, type HmacCase, type HmacCaseContext, type HmacExchange, type HmacRequestSpec, type PartialValues } from '../context.js';
import {
  alterCharacter,
  HMAC_FIELDS,
  KIIEX_API_KEY,
  KIIEX_AUTHENTICATE_USER,
  loginAccepted,
  namesUser,
  OWASP_URL,
  RFC_6585,
  RFC_8259,
  RFC_9110,
  RFC_9110_FIELDS,
  type HmacValues,
} from '../wire.js';

const MIB = 1024 * 1024;
const REF_HEADERS = `${KIIEX_API_KEY} (APIKEY, Signature, UserId and Nonce in the request headers)`;
const REF_BODY = `${KIIEX_AUTHENTICATE_USER} (the same four values as JSON body fields)`;
const REF_SIZE = `${RFC_9110} (413 Content Too Large); ${RFC_6585} (431); a value is never cut to a valid part`;

/** The UserId of a user who does not own the fixtures' key: the real other user when the fixtures name one. */
function otherUser(c: HmacCaseContext): string {
  return c.fx.otherUserId ?? alterCharacter(c.fx.userId, -1);
}

/** A fresh nonce the values were not signed over. */
function unsignedNonce(c: HmacCaseContext, values: HmacValues): string {
  return c.policy === 'issued' ? `${values.Nonce}0` : c.nextNonce();
}

/**
 * Two requests that each carry one valid and one altered value of a field, in the two opposite arrangements. A
 * server that refuses both, or lets exactly one arrangement win every time, is consistent; one that accepts both
 * takes whichever value is valid, and one whose session names the altered user checked one value and used another.
 */
function judgePair(c: HmacCaseContext, pair: readonly [HmacExchange, HmacExchange], what: string, signedUser: string): void {
  const [first, second] = pair;
  neverAccepted(
    !(loginAccepted(first.reply) && loginAccepted(second.reply)),
    () => `${what}: both arrangements were accepted (${first.label} → ${c.describe(first)}; ${second.label} → ${c.describe(second)}): the server takes whichever value is valid`,
  );
  for (const one of pair) {
    if (loginAccepted(one.reply)) {
      neverAccepted(namesUser(one.reply, signedUser) !== false, () => `${one.label}: ${what}: the signature was checked for user ${signedUser}, but the session is another user's: ${c.describe(one)}`);
    } else {
      c.refusalStatus(one);
    }
  }
}

/** A JSON body with the four values and one name repeated, as text (JSON.stringify cannot repeat a name). */
function repeatedMember(values: HmacValues, name: string, repeated: string): string {
  const members = HMAC_FIELDS.map((field) => `${JSON.stringify(field)}:${JSON.stringify(values[field])}`);
  return `{${members.join(',')},${JSON.stringify(name)}:${JSON.stringify(repeated)}}`;
}

export const requestCases: readonly HmacCase[] = [
  hmacCase('HMAC-REQ-001', 'MUST', REF_HEADERS, 'with any one of the four headers missing, the request is never accepted', async (c) => {
    await c.refusedLogins(
      HMAC_FIELDS.map((field) => {
        const values: PartialValues = { ...c.values() };
        delete values[field];
        return c.loginHeaders(values);
      }),
      'a sign-in with a header missing',
    );
  }),
  hmacCase('HMAC-REQ-002', 'MUST', REF_BODY, 'with any one of the four JSON body fields missing, the request is never accepted', async (c) => {
    await c.refusedLogins(
      HMAC_FIELDS.map((field) => {
        const values: PartialValues = { ...c.values() };
        delete values[field];
        return c.loginJson(values);
      }),
      'a sign-in with a field missing',
    );
  }),
  hmacCase(
    'HMAC-REQ-003',
    'MUST',
    `${REF_HEADERS}; ${REF_BODY}`,
    'an AuthenticateUser call with none of the four values (no body, `{}`, an unrelated JSON body, look-alike header names) is never accepted',
    async (c) => {
      const values = c.values();
      await c.refusedLogins(
        [
          { method: 'POST', path: c.fx.authenticatePath },
          c.loginJson({}),
          c.loginJson({ param1: 'value1' }),
          c.loginHeaders({}, [
            ['X-APIKey', values.APIKey],
            ['X-Signature', values.Signature],
            ['X-UserId', values.UserId],
            ['X-Nonce', values.Nonce],
          ]),
        ],
        'a sign-in without the four values',
      );
    },
  ),
  hmacCase(
    'HMAC-REQ-004',
    'MUST',
    `${REF_HEADERS}; ${REF_BODY}; declared source_conflict`,
    'headers and a JSON body that disagree (a valid set in one place, the Signature, UserId, APIKey or Nonce changed in the other, both ways round) are refused or resolved one consistent way: never both arrangements accepted, never a session for the UserId that was not signed',
    async (c) => {
      const declared = c.parameter('source_conflict');
      const alterations: readonly [string, (values: HmacValues) => HmacValues][] = [
        ['Signature', (values) => ({ ...values, Signature: alterCharacter(values.Signature, -1) })],
        ['UserId', (values) => ({ ...values, UserId: otherUser(c), Signature: c.values({ ...c.fx, userId: otherUser(c) }, values.Nonce).Signature })],
        ['APIKey', (values) => ({ ...values, APIKey: alterCharacter(values.APIKey, -1) })],
        ['Nonce', (values) => ({ ...values, Nonce: unsignedNonce(c, values) })],
      ];
      for (const [field, alter] of alterations) {
        const valid = c.values();
        const headersWin = await c.send(c.loginJson({ ...alter(valid) }, headersOf(valid)));
        const otherValid = c.values();
        const bodyWins = await c.send(c.loginJson({ ...otherValid }, headersOf(alter(otherValid))));
        judgePair(c, [headersWin, bodyWins], `headers and body disagree on ${field}`, c.fx.userId);
        const expected = { reject: [false, false], headers: [true, false], body: [false, true] }[declared];
        c.wire(
          loginAccepted(headersWin.reply) === expected[0] && loginAccepted(bodyWins.reply) === expected[1],
          () =>
            `${field} differs between headers and body: valid headers ${loginAccepted(headersWin.reply) ? 'accepted' : 'refused'}, valid body ${loginAccepted(bodyWins.reply) ? 'accepted' : 'refused'}; the declared source_conflict=${declared} wants ${declared === 'reject' ? 'both refused' : `only the valid ${declared} accepted`}`,
        );
      }
    },
    { parameters: ['source_conflict'] },
  ),
  hmacCase(
    'HMAC-REQ-005',
    'MUST',
    REF_SIZE,
    'a 1 MiB value in any of the four headers (also a valid Signature followed by 1 MiB of zeros) is never accepted, and the server keeps answering',
    async (c) => {
      const pad = 'x'.repeat(MIB);
      const specs = HMAC_FIELDS.map((field) => c.loginHeaders({ ...c.values(), [field]: pad }));
      const values = c.values();
      specs.push(c.loginHeaders({ ...values, Signature: values.Signature + '0'.repeat(MIB) }));
      await c.refusedLogins(specs, 'an oversized value', { layer: true });
      await c.login();
    },
  ),
  hmacCase(
    'HMAC-REQ-006',
    'MUST',
    `${REF_HEADERS}; ${RFC_9110_FIELDS} (a field repeated with different values)`,
    'a header sent twice with a valid and a changed value (APIKey, Signature, UserId; both orders) is refused or resolved one consistent way: never both orders accepted, never a session for the UserId that was not signed',
    async (c) => {
      const changes: readonly [keyof HmacValues, (values: HmacValues) => string][] = [
        ['APIKey', (values) => alterCharacter(values.APIKey, 0)],
        ['Signature', (values) => alterCharacter(values.Signature, -1)],
        ['UserId', () => otherUser(c)],
      ];
      for (const [field, change] of changes) {
        const pair: HmacExchange[] = [];
        for (const validFirst of [true, false]) {
          const values = c.values();
          const others = headersOf(values).filter(([name]) => name !== field);
          const lines: [string, string][] = validFirst ? [[field, values[field]], [field, change(values)]] : [[field, change(values)], [field, values[field]]];
          pair.push(await c.send(c.loginHeaders({}, [...others, ...lines])));
        }
        judgePair(c, pair as [HmacExchange, HmacExchange], `two ${field} header lines`, c.fx.userId);
      }
    },
  ),
  hmacCase(
    'HMAC-REQ-007',
    'MUST',
    `${REF_BODY}; ${RFC_8259}`,
    'JSON fields of the wrong type (array, object, boolean, null) are never accepted, and `__proto__` / `constructor` payloads neither sign in nor pollute a prototype',
    async (c) => {
      await guardingPrototypes(async () => {
        const typed: HmacRequestSpec[] = [];
        for (const field of HMAC_FIELDS) {
          for (const wrong of [(value: string): unknown => [value], (value: string): unknown => ({ value }), (): unknown => true, (): unknown => null]) {
            const values = c.values();
            typed.push(c.loginJson({ ...values, [field]: wrong(values[field]) }));
          }
        }
        await c.refusedLogins(typed, 'a field of the wrong type');
        const json = (values: HmacValues): string => JSON.stringify(values);
        const hostile: HmacRequestSpec[] = [c.loginJson(`{"__proto__":${json(c.values())}}`), c.loginJson(`{"constructor":{"prototype":${json(c.values())}}}`)];
        let values = c.values();
        hostile.push(c.loginJson(`{"APIKey":${JSON.stringify(values.APIKey)},"UserId":${JSON.stringify(values.UserId)},"Nonce":${JSON.stringify(values.Nonce)},"__proto__":{"Signature":${JSON.stringify(values.Signature)}}}`));
        values = c.values();
        hostile.push(c.loginJson(`{"__proto__":{"APIKey":${JSON.stringify(values.APIKey)},"UserId":${JSON.stringify(values.UserId)},"Nonce":${JSON.stringify(values.Nonce)}}}`, [['Signature', values.Signature]]));
        await c.refusedLogins(hostile, 'values hidden in __proto__ or constructor');
        // On the wire too: a later request without any value must still be refused.
        await c.refusedLogins([{ method: 'POST', path: c.fx.authenticatePath }, c.loginHeaders({ Signature: c.values().Signature })], 'a sign-in after a prototype payload');
      });
    },
  ),
  hmacCase(
    'HMAC-REQ-008',
    'MUST',
    REF_SIZE,
    'a 1 MiB JSON body, even with the four valid values at its start, is never accepted, and the server keeps answering',
    async (c) => {
      const body = `${JSON.stringify(c.values()).slice(0, -1)},"pad":"${'x'.repeat(MIB)}"}`;
      await c.refusedLogins([c.loginJson(body)], 'an oversized body', { layer: true });
      await c.login();
    },
  ),
  hmacCase('HMAC-REQ-009', 'MUST', `${REF_HEADERS}; ${OWASP_URL}`, 'the four values as query parameters never sign in', async (c) => {
    const values = c.values();
    await c.refusedLogins([{ method: 'POST', path: c.fx.authenticatePath, query: HMAC_FIELDS.map((field) => [field, values[field]] as const) }], 'the values in the URL');
  }),
  hmacCase(
    'HMAC-REQ-010',
    'MUST',
    `${REF_BODY}; ${RFC_8259}; declared duplicate_json_keys`,
    'a JSON body that repeats `UserId` (the signed user and another, both orders) or `Signature` (a valid and a wrong one, both orders) is refused or resolved one consistent way: never both orders accepted, never a session for the UserId that was not signed',
    async (c) => {
      const declared = c.parameter('duplicate_json_keys');
      const pairs: [string, HmacExchange, HmacExchange][] = [];
      // The signed UserId first, another after it; then another first, the signed one last.
      let values = c.values();
      const signedFirst = await c.send(c.loginJson(repeatedMember(values, 'UserId', otherUser(c))));
      values = c.values();
      const signedLast = await c.send(c.loginJson(repeatedMember({ ...values, UserId: otherUser(c) }, 'UserId', values.UserId)));
      pairs.push(['UserId', signedFirst, signedLast]);
      values = c.values();
      const validFirst = await c.send(c.loginJson(repeatedMember(values, 'Signature', alterCharacter(values.Signature, -1))));
      values = c.values();
      const validLast = await c.send(c.loginJson(repeatedMember({ ...values, Signature: alterCharacter(values.Signature, -1) }, 'Signature', values.Signature)));
      pairs.push(['Signature', validFirst, validLast]);
      for (const [name, first, last] of pairs) {
        judgePair(c, [first, last], `two ${name} members in the JSON body`, c.fx.userId);
        const wanted = declared === 'reject' ? [false, false] : [false, true];
        c.wire(
          loginAccepted(first.reply) === wanted[0] && loginAccepted(last.reply) === wanted[1],
          () =>
            `two ${name} members: the valid one first ${loginAccepted(first.reply) ? 'accepted' : 'refused'}, last ${loginAccepted(last.reply) ? 'accepted' : 'refused'}; the declared duplicate_json_keys=${declared} wants ${declared === 'reject' ? 'both refused' : 'only the valid last one accepted'}`,
        );
      }
    },
    { parameters: ['duplicate_json_keys'] },
  ),
];
