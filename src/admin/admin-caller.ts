import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AppError } from '../platform/http/app-error';
import type { User } from '../users/schemas/user.schema';
import type { AdminRequest } from './admin.guard';

/** Who calls the admin API, as far as admin accounts go. */
export interface AdminCaller {
  /**
   * An admin's session, a key with the `admin` scope, or the CLI: may change roles and admin
   * accounts. A `users:write` key may not, or it could make itself an admin's equal (a new
   * admin, or an admin's email moved to its owner and a reset link mailed there).
   */
  mayChangeAdmins: boolean;
}

/** The CLI's operator, and an admin's session. */
export const FULL_ADMIN: AdminCaller = { mayChangeAdmins: true };

/** The caller of an admin route, from what the global guards left on the request. */
export const CurrentAdminCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AdminCaller => {
    const { apiKey } = context.switchToHttp().getRequest<AdminRequest>();
    return { mayChangeAdmins: !apiKey || apiKey.scopes.includes('admin') };
  },
);

/**
 * Refuses (403 INSUFFICIENT_SCOPE) a change to `target`, or to anyone's role, by a caller that
 * may not change admins.
 */
export function assertMayChange(
  caller: AdminCaller,
  target: User,
  { role }: { role?: unknown } = {},
): void {
  if (caller.mayChangeAdmins) return;
  if (role !== undefined) {
    throw new AppError(
      'INSUFFICIENT_SCOPE',
      'Changing a role needs an API key with the "admin" scope.',
      'role',
    );
  }
  if (target.role === 'admin') {
    throw new AppError(
      'INSUFFICIENT_SCOPE',
      'Changing an admin account needs an API key with the "admin" scope.',
    );
  }
}
