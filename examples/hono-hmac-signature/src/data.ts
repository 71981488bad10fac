// The demo's users and what its calls answer: in your application they come from your own database.
import { hashPassword, verifyPassword } from '@gatehouse/auth-core/crypto';

interface User {
  /** What `WebAuthenticateUser` signs in: the id the user's API keys belong to, and the name it replies with. */
  readonly login: { readonly userId: string; readonly userName: string };
  readonly passwordHash: string;
  /** What `GetUserInfo` answers (APEX's fields, trimmed). */
  readonly info: { readonly UserId: number; readonly UserName: string; readonly Email: string; readonly AccountId: number; readonly Use2FA: boolean };
}

const user = async (userId: number, userName: string, password: string): Promise<[string, User]> => [
  userName,
  { login: { userId: String(userId), userName }, passwordHash: await hashPassword(password), info: { UserId: userId, UserName: userName, Email: `${userName}@example.com`, AccountId: userId, Use2FA: false } },
];

/** Two users, by user name: each manages and uses only their own API keys. */
export const users = new Map<string, User>([await user(1, 'demo', 'demo-password'), await user(2, 'demo-2', 'demo-password')]);

const NO_SUCH_USER = await hashPassword('no such user');

/**
 * The user whose name and password these are, or `null`. An unknown name is checked against a hash too, so the
 * time taken does not tell which user names exist.
 */
export async function checkPassword(userName: string, password: string): Promise<User['login'] | null> {
  const found = users.get(userName);
  const matches = await verifyPassword(password, found?.passwordHash ?? NO_SUCH_USER);
  return matches && found !== undefined ? found.login : null;
}

/** `GetUserInfo` of a user id. */
export function userInfo(userId: string): User['info'] | undefined {
  return [...users.values()].find((found) => found.login.userId === userId)?.info;
}

let lastOrderId = 1000;

/** `SendOrder`: the demo accepts every order (APEX's reply, trimmed). */
export function placeOrder(): { readonly status: 'Accepted'; readonly errormsg: string; readonly OrderId: number } {
  return { status: 'Accepted', errormsg: '', OrderId: ++lastOrderId };
}
