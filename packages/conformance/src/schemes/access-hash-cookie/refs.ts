// Where the access-hash-cookie@2 rules come from, as the cases' `ref` strings cite them.
import { AUTH_CORE_SECURITY, PUQ_ACCESS_HASHES } from '../../profiles/sources.js';

export const REF_DOC = PUQ_ACCESS_HASHES;
export const REF_COOKIE = `${PUQ_ACCESS_HASHES}: hashes "must be passed in the http header as the value of the "access_hash" parameter in Cookies"`;
export const REF_IP = `${PUQ_ACCESS_HASHES}: "Each API Access Hash only works from a specific IP address"`;
export const REF_ONCE = `${PUQ_ACCESS_HASHES}: a hash "will only be shown once"`;
export const REF_DELETE = `${PUQ_ACCESS_HASHES}: "You can view/create/delete API Access Hashs"`;
export const REF_ENVELOPE = `${PUQ_ACCESS_HASHES}: "Each response from the server will have the same structure" ({"error","msg","status"}; "SUCCESS"/"ERROR" in the prose, lower case in the example)`;
export const REF_SECURITY = AUTH_CORE_SECURITY;
export const REF_COOKIE_SYNTAX = 'RFC 6265 §4.2.1';
export const REF_COOKIE_PARSING = 'RFC 6265 §5.2';
export const REF_MAPPED = 'RFC 4291 §2.5.5.2';
export const REF_FORWARDED = 'RFC 7239 §8.1 (any client can write Forwarded or X-Forwarded-For)';
export const REF_SMUGGLING = 'RFC 9112 §6.3, §11.2 (request smuggling)';
