import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { INTERACTION_PATH, OidcProvider } from '../openid/oidc-provider.service';
import { AppError } from '../platform/http/app-error';
import { Public } from '../platform/http/public.decorator';
import { scopeWords } from './app-access-words';
import { RequireFormToken } from './csrf.guard';
import { PagesService } from './pages.service';

/**
 * The consent page of an app of another party (`first_party: false`): the app's name and what it
 * asks for, with Allow and Deny. Under the interaction's path, which its cookie is limited to.
 * Whenever the page no longer fits (the person signed out, the request was answered), the
 * interaction decides again where the browser goes.
 */
@ApiExcludeController()
@Public({ readsSession: true })
@Controller(`${INTERACTION_PATH.slice(1)}/:uid/consent`)
export class ConsentPageController {
  constructor(
    private readonly pages: PagesService,
    private readonly oidc: OidcProvider,
  ) {}

  @Get()
  async show(
    @Param('uid') uid: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const asked = await this.oidc.consentAsked(request, this.providerOnly(response));
    if (!asked) return this.backToInteraction(response, uid);
    await this.pages.render(request, response, 'consent', {
      title: `Allow ${asked.appName}?`,
      appName: asked.appName,
      grantedBefore: asked.grantedBefore,
      scopes: asked.scopes.map(({ scope, resource, isNew }) => ({
        words: scopeWords(scope, resource),
        scope,
        isNew,
      })),
      action: `${this.pages.base}${INTERACTION_PATH}/${encodeURIComponent(uid)}/consent`,
    });
  }

  @Post()
  @RequireFormToken()
  async answer(
    @Param('uid') uid: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const { decision } = (request.body ?? {}) as Record<string, unknown>;
    if (decision !== 'allow' && decision !== 'deny') {
      throw new AppError('VALIDATION_FAILED', 'Choose Allow or Deny.', 'decision');
    }
    const answered = await this.oidc.answerConsent(
      request,
      this.providerOnly(response),
      decision === 'allow',
    );
    if (!answered) this.backToInteraction(response, uid);
  }

  /** The provider is there only when apps are configured; without it there is no such page. */
  private providerOnly(response: Response): Response {
    if (!this.oidc.enabled) throw new AppError('NOT_FOUND', 'There is no such page.');
    return response;
  }

  private backToInteraction(response: Response, uid: string): void {
    response.redirect(303, `${this.pages.base}${INTERACTION_PATH}/${encodeURIComponent(uid)}`);
  }
}
