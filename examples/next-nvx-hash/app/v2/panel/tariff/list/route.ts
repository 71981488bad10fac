import { withAuth } from '@gatehouse/next';
import { tariffs } from '@/lib/data';
import { nvx } from '@/lib/gatehouse';

// A panel session hash only: the strategy refuses user hashes and API keys under /v2/panel/ with code 11.
export const GET = withAuth(nvx, async () => Response.json({ success: true, list: tariffs }));
export const POST = GET;
