import { SetMetadata } from '@nestjs/common';
import { RequireRecentSignIn } from '../sign-in/reauthentication/recent-sign-in.guard';

/** What an API key may do: read users, change users, or everything an admin may (`admin`). */
export const API_KEY_SCOPES = ['users:read', 'users:write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const ADMIN_SCOPE = 'adminScope';

/**
 * Marks an admin route: open to a signed-in admin (role `admin`), or to an API key
 * (`Authorization: Bearer <key>`) holding `scope` or the `admin` scope.
 */
export const AdminAccess = (scope: ApiKeyScope) => SetMetadata(ADMIN_SCOPE, scope);

/**
 * Marks an admin change that adds or removes a way into an account or into the admin API (a role,
 * an email, a disabled state, a provider, an API key): made with an admin's session, it needs a
 * recent sign-in (RECENT_SIGN_IN_REQUIRED), so that a stolen admin cookie cannot make another admin,
 * take over an account's email or mint a key. An API key is asked nothing more: it is a credential
 * of its own, not a session.
 */
export const AdminChange = () => RequireRecentSignIn((request) => request.auth !== undefined);
