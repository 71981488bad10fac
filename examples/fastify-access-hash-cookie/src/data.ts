// The demo's administrator and resource: in your application they come from your own configuration and systems.
import { constantTimeEqual, sha256Digest } from '@gatehouse/auth-core/crypto';

const ADMIN_AUTHORIZATION = sha256Digest(`Bearer ${process.env['ADMIN_TOKEN'] ?? 'demo-admin-token'}`);

/**
 * Whether an `Authorization` header is the administrator's bearer token (`ADMIN_TOKEN`, demo default
 * `demo-admin-token`). Compared by digest, so the time taken tells nothing about the token.
 */
export function isAdministrator(authorization: string | null): boolean {
  return constantTimeEqual(sha256Digest(authorization ?? ''), ADMIN_AUTHORIZATION);
}

const startedAt = new Date().toISOString();

/** What `GET /api/v1/system/status` reports (shaped like a VPN control panel's status). */
export function systemStatus(): object {
  return { version: '1.0.0', started_at: startedAt, uptime_seconds: Math.round(process.uptime()), servers: [{ name: 'vpn-1', online: true, clients: 12 }] };
}
