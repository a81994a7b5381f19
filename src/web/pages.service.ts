import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Auth } from '../auth/authenticated-request';
import { enabledProviders, ProviderInfo } from '../auth/providers/provider-catalog';
import { PasswordPolicy } from '../auth/password-policy.service';
import { SessionAuthenticator } from '../auth/session-authenticator.service';
import { absoluteReturnTo, safeReturnTo } from '../auth/social/return-to';
import { AppConfig } from '../config/app-config';
import { CsrfService } from './csrf.service';
import { setFlash, takeFlash } from './flash';

/** What every page needs: who is signed in, a CSRF token, the providers, and the flash message. */
@Injectable()
export class PagesService {
  readonly providers: ProviderInfo[];

  constructor(
    private readonly csrf: CsrfService,
    private readonly authenticator: SessionAuthenticator,
    private readonly config: AppConfig,
    private readonly policy: PasswordPolicy,
  ) {
    this.providers = enabledProviders(config);
  }

  current(request: Request): Promise<Auth | null> {
    return this.authenticator.authenticate(request);
  }

  /** Checks a form's CSRF token; a failure renders the error page. */
  checkForm(request: Request): void {
    this.csrf.assertValid(request);
  }

  render(
    request: Request,
    response: Response,
    view: string,
    model: Record<string, unknown>,
    status = 200,
  ): void {
    response.status(status).render(view, {
      ...model,
      csrfToken: this.csrf.token(request, response),
      notice: takeFlash(request, response, this.config.secureCookies),
      providers: this.providers,
      passwordMinLength: this.policy.minLength,
      // Links are written as {{base}}/path, so the pages work under a PUBLIC_URL with a path.
      base: new URL(this.config.publicUrl).pathname.replace(/\/$/, ''),
    });
  }

  /** See Other, to a path of this service (e.g. '/settings'), with a confirmation for the next page. */
  redirect(response: Response, servicePath: string, notice?: string): void {
    this.redirectTo(response, this.path(servicePath), notice);
  }

  /** See Other, to a resolved `returnTo` (see returnTo()). */
  redirectTo(response: Response, returnTo: string, notice?: string): void {
    if (notice) setFlash(response, notice, this.config.secureCookies);
    response.redirect(303, absoluteReturnTo(returnTo, this.config.publicUrl));
  }

  /** A `returnTo` from a form or query, kept to this service (or allowed origins). */
  returnTo(requested: unknown, fallback = '/'): string {
    return safeReturnTo(
      requested,
      this.config.publicUrl,
      this.config.ALLOWED_RETURN_ORIGINS,
      this.path(fallback),
    );
  }

  /** A path of this service as browsers see it (under PUBLIC_URL's path, if any). */
  path(path: string): string {
    return safeReturnTo(path, this.config.publicUrl, [], path);
  }
}
