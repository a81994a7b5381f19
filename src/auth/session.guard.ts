import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/app-error';
import { IS_PUBLIC } from '../common/public.decorator';
import { UsersRepository } from '../users/users.repository';
import { AuthenticatedRequest } from './authenticated-request';
import { SessionCookie } from './session-cookie';
import { SessionsService } from './sessions.service';

/** Global guard: every route needs a live session unless it is marked @Public(). */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly cookie: SessionCookie,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = this.cookie.read(request);
    const session = token === undefined ? null : await this.sessions.resolve(token);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) {
      throw new AppError('UNAUTHENTICATED', 'You are not signed in, or your session has ended.');
    }
    request.auth = { user, session };
    return true;
  }
}
