import type { Request } from 'express';
import type { ApiKeyScope } from '../admin-access';

/** The API key a request was authenticated with, as the session guard establishes it. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
}

/** A request to an admin route made with `Authorization: Bearer <key>`. */
export interface ApiKeyRequest extends Request {
  apiKey: ApiKeyPrincipal;
}

/**
 * The credential of an `Authorization: Bearer …` header (possibly empty or malformed, which no key
 * matches), or undefined when the request has no such header.
 */
export function bearerCredential(request: Request): string | undefined {
  const match = /^Bearer(?:\s+(.*))?$/i.exec(request.headers.authorization ?? '');
  return match ? (match[1] ?? '').trim() : undefined;
}
