import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError } from '../../common/app-error';
import { Public } from '../../common/public.decorator';
import { AppConfig } from '../../config/app-config';
import { toUserView } from '../../users/user.view';
import { ProviderInfoView } from '../providers/provider-info.view';
import { ProviderRegistry } from '../providers/provider-registry';
import { SessionAuthenticator } from '../session-authenticator.service';
import { absoluteReturnTo } from './return-to';
import { FlowRequest } from './sign-in-flows.service';
import { SocialAuthService } from './social-auth.service';

/** Browsers are redirected; a client that asks for JSON gets JSON. */
function wantsJson(request: Request): boolean {
  return request.accepts(['html', 'json']) === 'json';
}

@ApiTags('auth')
@Public()
@Controller('auth')
export class SocialAuthController {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly social: SocialAuthService,
    private readonly sessions: SessionAuthenticator,
    private readonly config: AppConfig,
  ) {}

  @Get('providers')
  @ApiOkResponse({ type: [ProviderInfoView], description: 'The enabled sign-in providers.' })
  providers(): ProviderInfoView[] {
    return this.registry.list();
  }

  @Get(':provider')
  @ApiQuery({
    name: 'returnTo',
    required: false,
    description: 'A path on this service (or an allowed origin) to land on afterwards.',
  })
  @ApiFoundResponse({
    description: 'Redirect to the provider. Signed in, the provider is linked to the account.',
  })
  async start(
    @Param('provider') key: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    try {
      const current = await this.sessions.authenticate(request);
      response.redirect(302, await this.social.start(key, request, response, current));
    } catch (error) {
      this.fail(error, request, response);
    }
  }

  @Get(':provider/callback')
  @ApiProduces('application/json', 'text/html')
  @ApiFoundResponse({
    description: 'Back to `returnTo`, or to /login?error=CODE (/settings?error=CODE when linking).',
  })
  async callback(
    @Param('provider') key: string,
    @Req() request: FlowRequest,
    @Res() response: Response,
  ): Promise<void> {
    try {
      const current = await this.sessions.authenticate(request);
      const result = await this.social.finish(key, request, response, current);
      if (result.action !== 'linked') await this.sessions.signIn(result.user, request, response);
      if (wantsJson(request)) {
        response.status(200).json({
          action: result.action,
          user: toUserView(result.user),
          returnTo: result.returnTo,
        });
      } else {
        response.redirect(302, absoluteReturnTo(result.returnTo, this.config.publicUrl));
      }
    } catch (error) {
      this.fail(error, request, response);
    }
  }

  /** Client errors go back to the browser's page with their code; anything else to the exception filter. */
  private fail(error: unknown, request: FlowRequest, response: Response): void {
    if (!(error instanceof AppError) || wantsJson(request)) throw error;
    response.redirect(
      302,
      absoluteReturnTo(this.social.failurePage(request, error.code), this.config.publicUrl),
    );
  }
}
