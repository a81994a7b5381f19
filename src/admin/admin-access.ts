import { SetMetadata } from '@nestjs/common';

/** What an API key may do: read users, change users, or everything an admin may (`admin`). */
export const API_KEY_SCOPES = ['users:read', 'users:write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const ADMIN_SCOPE = 'adminScope';

/**
 * Marks an admin route: open to a signed-in admin (role `admin`), or to an API key
 * (`Authorization: Bearer <key>`) holding `scope` or the `admin` scope.
 */
export const AdminAccess = (scope: ApiKeyScope) => SetMetadata(ADMIN_SCOPE, scope);
