import { withAuth } from '@gatehouse/next';
import { trackers } from '@/lib/data';
import { nvx } from '@/lib/gatehouse';

// An API key (the strategy refuses a hash of another kind here with code 11).
export const GET = withAuth(nvx, async () => Response.json({ success: true, list: trackers }));
export const POST = GET;
