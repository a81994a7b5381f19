import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { User } from '../users/schemas/user.schema';
import { ADMIN_SCOPE, ApiKeyScope } from './admin-access';
import { AdminGuard } from './admin.guard';

/** A route marked with `scope` (or unmarked), and the request the session guard left. */
function context(scope: ApiKeyScope | undefined, request: object): ExecutionContext {
  const handler = () => undefined;
  if (scope) Reflect.defineMetadata(ADMIN_SCOPE, scope, handler);
  return {
    getHandler: () => handler,
    getClass: () => class {},
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

const signedIn = (role: User['role']) => ({ auth: { user: { role } as User } });
const withKey = (...scopes: string[]) => ({ apiKey: { id: 'key-1', scopes } });

describe('AdminGuard', () => {
  const guard = new AdminGuard(new Reflector());

  it('lets every request through on a route that is not an admin route', () => {
    expect(guard.canActivate(context(undefined, {}))).toBe(true);
  });

  it('lets a signed-in admin in, and refuses another signed-in account with ADMIN_REQUIRED', () => {
    expect(guard.canActivate(context('users:write', signedIn('admin')))).toBe(true);
    expect(() => guard.canActivate(context('users:read', signedIn('user')))).toThrow(
      expect.objectContaining({ code: 'ADMIN_REQUIRED', status: 403 }),
    );
  });

  it('refuses a request with neither a session nor a key with UNAUTHENTICATED', () => {
    expect(() => guard.canActivate(context('users:read', {}))).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED', status: 401 }),
    );
  });

  it('checks an API key by its scopes, `admin` including every other', () => {
    expect(guard.canActivate(context('users:read', withKey('users:read')))).toBe(true);
    expect(guard.canActivate(context('users:write', withKey('admin')))).toBe(true);
    expect(() => guard.canActivate(context('users:write', withKey('users:read')))).toThrow(
      expect.objectContaining({ code: 'INSUFFICIENT_SCOPE', status: 403 }),
    );
    // The key decides, not the role of an account: a key without the scope stays refused.
    expect(() =>
      guard.canActivate(context('admin', { ...signedIn('admin'), ...withKey('users:write') })),
    ).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_SCOPE' }));
  });
});
