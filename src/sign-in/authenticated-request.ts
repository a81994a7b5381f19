import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { User } from '../users/schemas/user.schema';
import type { ActiveSession } from './sessions/sessions.service';

/** Who is making the request, as established by the session guard. */
export interface Auth {
  user: User;
  session: ActiveSession;
}

export interface AuthenticatedRequest extends Request {
  auth: Auth;
}

/** The signed-in user and their session, on routes behind the session guard. */
export const CurrentAuth = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Auth =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().auth,
);
