import type { Account } from './accounts.js';

// The demo's own resources behind the three APIs: fixed data shaped like the vendors' replies, trimmed. The route
// files serve them; nothing here is about authentication.

/** `GET /v2/tracker/list` (shaped like Navixy's `tracker/list`). */
export const DEMO_TRACKERS = [
  {
    id: 123451,
    label: 'Delivery van 1',
    group_id: 0,
    clone: false,
    source: { id: 65431, device_id: '356173065441111', model: 'telfmb920', blocked: false, tariff_id: 2, phone: '+15550100001', creation_date: '2024-03-01 09:15:00' },
  },
  {
    id: 123452,
    label: 'Delivery van 2',
    group_id: 0,
    clone: false,
    source: { id: 65432, device_id: '356173065442222', model: 'telfmb920', blocked: false, tariff_id: 2, phone: '+15550100002', creation_date: '2024-03-01 09:20:00' },
  },
  {
    id: 123453,
    label: 'Trailer 7',
    group_id: 1,
    clone: false,
    source: { id: 65433, device_id: '862531040733333', model: 'qlgv300', blocked: true, tariff_id: 1, phone: '+15550100003', creation_date: '2024-05-12 14:02:11' },
  },
] as const;

/** `GET /v2/retranslator/list`. */
export const DEMO_RETRANSLATORS = [{ id: 201, name: 'Fleet archive', protocol_id: 3, address: 'retranslator.example.com', port: 20180, enabled: true }] as const;

/** `GET /v2/panel/tariff/list` (admin panel). */
export const DEMO_TARIFFS = [
  { id: 1, name: 'Basic', group_id: 1, active: true, type: 'monitoring', price: 5, device_type: 'tracker', max_trackers: 10 },
  { id: 2, name: 'Fleet', group_id: 1, active: true, type: 'monitoring', price: 9, device_type: 'tracker', max_trackers: 500 },
] as const;

/** What `system/status` of the PUQ panel reports as the product version. */
export const PANEL_VERSION = '1.0';
/** The demo panel's licence runs for a year from start-up. */
export const PANEL_LICENSE_DAYS = 365;

/** The APEX `GetUserInfo` reply for a demo account (a sub-user's `AccountId` is its master's). */
export function apexUserInfo(account: Account): Record<string, unknown> {
  return {
    UserId: account.id,
    UserName: account.login,
    Email: `${account.login}@example.com`,
    EmailVerified: true,
    AccountId: account.parentId ?? account.id,
    DateTimeCreated: new Date(account.createdAt).toISOString(),
    AffiliateId: 0,
    RefererId: 0,
    OMSId: 1,
    Use2FA: false,
    Locked: false,
    LockedTime: null,
    NumberOfFailedAttempt: 0,
    MarginBorrowerEnabled: false,
    MarginAcquisitionHalt: false,
    OperatorId: 1,
  };
}
