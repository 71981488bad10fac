// The APEX account routes the HTTP driver provisions with: `WebAuthenticateUser` (a user's name and password for a
// web session), `AddUserAPIKey` (a key with its secret and nonce, shown once), `RemoveUserAPIKey`, `LogOut`. Replies
// are read tolerantly (any casing, extra fields); a 429 is the server throttling the run.
import { CONFORMANCE_ORIGIN, type WireResponse, type WireSender } from '../../drivers/wire.js';
import { replyText } from '../../profiles/wire-request.js';
import { ServerThrottledError } from '../../scheme.js';
import type { HmacKeyFixture } from './fixtures.js';
import { APTOKEN_HEADER, callAccepted, loginAccepted, memberOf, sessionTokenOf, userIdOf } from './wire.js';

/** What provisioning needs: the sender, where the account routes live, and the user's login. */
export interface ApexAccount {
  readonly sender: WireSender;
  /** The path the account routes sit under, e.g. `/ap` (`/ap/WebAuthenticateUser`). */
  readonly basePath: string;
  readonly login: string;
  readonly password: string;
}

/** A web session of the account: its token, and the user id keys are made for. */
export interface ApexWebSession {
  readonly token: string;
  /** The user id as the server gave it (a number stays a number in the JSON the kit sends back). */
  readonly userId: string | number;
}

/** What a key is created with. */
export interface NewKeyOptions {
  readonly permissions: readonly string[];
  readonly allowedIps?: readonly string[];
}

/** A provisioning step the server refused: what was asked and what it answered, never a secret. */
export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
}

async function post(account: ApexAccount, route: string, body: unknown, token?: string): Promise<WireResponse> {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (token !== undefined) headers.set(APTOKEN_HEADER, token);
  const reply = await account.sender.send(new Request(`${CONFORMANCE_ORIGIN}${account.basePath}/${route}`, { method: 'POST', headers, body: JSON.stringify(body) }));
  if (reply.status === 429) throw new ServerThrottledError(route);
  return reply;
}

/** A short description of a reply with the given secrets blanked out. */
function describe(reply: WireResponse, secrets: readonly string[]): string {
  let text = replyText(reply.body);
  for (const secret of secrets) if (secret !== '') text = text.split(secret).join('<secret>');
  return `HTTP ${reply.status} ${text.length > 300 ? `${text.slice(0, 240)}…` : text}`;
}

function text(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return null;
}

/** Signs in with the user's name and password (`WebAuthenticateUser`), for a web session that may manage keys. */
export async function webSignIn(account: ApexAccount, fallbackUserId: string | undefined): Promise<ApexWebSession> {
  const route = 'WebAuthenticateUser';
  const reply = await post(account, route, { UserName: account.login, Password: account.password });
  const token = sessionTokenOf(reply);
  if (token === null || !loginAccepted(reply)) {
    throw new ProvisioningError(`${account.basePath}/${route} with the fixtures login and password did not sign in: ${describe(reply, [account.password])}`);
  }
  const named = userIdOf(reply);
  const userId = typeof named === 'number' || (typeof named === 'string' && named !== '') ? named : fallbackUserId;
  if (userId === undefined) {
    throw new ProvisioningError(`${account.basePath}/${route} signed in but its reply names no user id (User.UserId): give the fixture user_id`);
  }
  return { token, userId };
}

/** Creates a key (`AddUserAPIKey`) and reads its APIKey, APISecret and Nonce, shown once. */
export async function addKey(account: ApexAccount, session: ApexWebSession, options: NewKeyOptions): Promise<HmacKeyFixture> {
  const route = 'AddUserAPIKey';
  const body = { UserId: session.userId, Permissions: options.permissions, ...(options.allowedIps === undefined ? {} : { AllowedIps: options.allowedIps }) };
  const reply = await post(account, route, body, session.token);
  const apiKey = text(memberOf(reply.body, 'APIKey'));
  const apiSecret = text(memberOf(reply.body, 'APISecret'));
  const nonce = text(memberOf(reply.body, 'Nonce'));
  if (!callAccepted(reply) || apiKey === null || apiSecret === null || nonce === null) {
    throw new ProvisioningError(
      `${account.basePath}/${route} ${JSON.stringify({ ...body, UserId: '<user id>' })} did not create a key with APIKey, APISecret and Nonce: ${describe(reply, apiSecret === null ? [] : [apiSecret])}`,
    );
  }
  return { apiKey, apiSecret, userId: String(session.userId), nonce };
}

/** Removes a key (`RemoveUserAPIKey`); resolves once the server says it did. */
export async function removeKey(account: ApexAccount, session: ApexWebSession, apiKey: string): Promise<void> {
  const route = 'RemoveUserAPIKey';
  const reply = await post(account, route, { UserId: session.userId, APIKey: apiKey }, session.token);
  if (!callAccepted(reply)) throw new ProvisioningError(`${account.basePath}/${route} did not remove the key: ${describe(reply, [apiKey])}`);
}

/** Ends the web session (`LogOut`), best effort: a server without the route leaves it to expire. */
export async function logOut(account: ApexAccount, session: ApexWebSession): Promise<void> {
  try {
    await post(account, 'LogOut', {}, session.token);
  } catch {
    // Best effort: the run's keys are already removed.
  }
}
