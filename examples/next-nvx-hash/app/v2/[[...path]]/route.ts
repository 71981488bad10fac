// Every /v2 path no other route file serves: the kit's routes (user/auth, user/logout, api/key/create|list|delete,
// panel/account/auth), a 405 for another method, and Navixy's code 5 with HTTP 404 for the rest.
import { routeKit } from '@gatehouse/next';
import { adapterOptions, kit } from '@/lib/gatehouse';

export const { GET, POST, PUT, PATCH, DELETE } = routeKit(kit, adapterOptions);
