import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { AppError } from '../../platform/http/app-error';
import { AuthenticatedRequest } from '../authenticated-request';
import { SessionsService } from '../sessions/sessions.service';
import { SignInConfig, signInConfig } from '../sign-in-config';

/** Decides, for routes that change how an account is entered only sometimes, whether this request does. */
export type ChangesSignIn = (request: AuthenticatedRequest) => boolean;

const RECENT_SIGN_IN = 'recentSignIn';

/**
 * Requires that the session's person proved who they are within RECENT_SIGN_IN_SECONDS, on a route
 * that adds or removes a way into the account: a stolen session cookie alone must not be enough.
 * `when` limits it to the requests that make such a change (e.g. a profile edit that changes the
 * email). The global session guard runs first, so the request is signed in.
 */
export const RequireRecentSignIn = (when?: ChangesSignIn) =>
  applyDecorators(
    SetMetadata(RECENT_SIGN_IN, when ?? true),
    UseGuards(RecentSignInGuard),
    ApiErrors('RECENT_SIGN_IN_REQUIRED'),
  );

@Injectable()
export class RecentSignInGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    @Inject(signInConfig.KEY) private readonly config: SignInConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const when = this.reflector.get<ChangesSignIn | true | undefined>(
      RECENT_SIGN_IN,
      context.getHandler(),
    );
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (typeof when === 'function' && !when(request)) return true;
    if (!request.auth || !this.sessions.isRecent(request.auth.session)) {
      const minutes = Math.round(this.config.RECENT_SIGN_IN_SECONDS / 60);
      throw new AppError(
        'RECENT_SIGN_IN_REQUIRED',
        `This change needs a recent sign-in. Confirm it's you (POST /auth/reauthenticate with your password or a passkey, or sign in with a connected provider with ?reauth=1), then retry within ${minutes} minutes.`,
      );
    }
    return true;
  }
}
