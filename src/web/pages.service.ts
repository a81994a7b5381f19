import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Auth, AuthenticatedRequest } from '../sign-in/authenticated-request';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { PasswordPolicy } from '../sign-in/methods/password/password-policy.service';
import { ErrorPage, ErrorPages } from '../platform/http/error-pages';
import { AppConfig } from '../platform/config/app-config';
import {
  ProvidersConfig,
  providersConfig,
} from '../sign-in/methods/identities/providers/providers-config';
import { resolveReturnTo } from '../sign-in/methods/identities/return-to';
import { toUserView } from '../users/user.view';
import { CsrfService } from './csrf.service';
import { setFlash, takeFlash } from './flash';
import { SignInConfig, signInConfig } from '../sign-in/sign-in-config';

/** A provider as the pages show it. */
export interface ProviderLink {
  key: string;
  name: string;
}

/** What every page needs: who is signed in, a CSRF token, the providers, and the flash message. */
@Injectable()
export class PagesService implements ErrorPages {
  readonly providers: ProviderLink[];
  /** PUBLIC_URL's path: links are written as {{base}}/path, so pages work under a prefix. */
  readonly base: string;

  constructor(
    private readonly csrf: CsrfService,
    private readonly browserSessions: BrowserSessions,
    private readonly config: AppConfig,
    private readonly policy: PasswordPolicy,
    @Inject(providersConfig.KEY) { providers }: ProvidersConfig,
    @Inject(signInConfig.KEY) private readonly signIn: SignInConfig,
  ) {
    this.providers = providers.map(({ key, name }) => ({ key, name }));
    this.base = config.basePath;
  }

  /** The signed-in person: from the session guard on guarded pages, else from the cookie. */
  async current(request: Request): Promise<Auth | null> {
    return (
      (request as Partial<AuthenticatedRequest>).auth ?? this.browserSessions.authenticate(request)
    );
  }

  async render(
    request: Request,
    response: Response,
    view: string,
    model: Record<string, unknown>,
    status = 200,
  ): Promise<void> {
    this.renderAs(await this.current(request), request, response, view, model, status);
  }

  /**
   * An error page, with the header of whoever is signed in; without the database, only as far as
   * the session guard found out before (the cookie is not looked up: it would wait for it again).
   */
  async renderError(request: Request, response: Response, page: ErrorPage): Promise<void> {
    const { withoutDatabase, ...shown } = page;
    const auth = withoutDatabase
      ? ((request as Partial<AuthenticatedRequest>).auth ?? null)
      : await this.current(request);
    this.renderAs(auth, request, response, 'error', shown, page.status);
  }

  private renderAs(
    auth: Auth | null,
    request: Request,
    response: Response,
    view: string,
    model: Record<string, unknown>,
    status: number,
  ): void {
    response.status(status).render(view, {
      ...model,
      // The header's signed-in state, on every page.
      viewer: auth && toUserView(auth.user),
      csrfToken: this.csrf.token(request, response),
      notice: takeFlash(request, response, this.config.secureCookies),
      providers: this.providers,
      passwordMinLength: this.policy.minLength,
      base: this.base,
    });
  }

  /**
   * "Confirm it's you": the password, a passkey, or a provider connected to the account, before a change to
   * how the account is entered. Afterwards the person lands on their settings again.
   */
  renderConfirm(
    request: Request,
    response: Response,
    { user }: Auth,
    status: number,
    errors: Record<string, string> = {},
  ): Promise<void> {
    const twoStep = user.twoStep?.enabled === true;
    // A provider alone does not confirm an account with two-step sign-in (its round trip cannot
    // carry the code): no links then.
    const linked = twoStep
      ? []
      : this.providers.filter(({ key }) =>
          user.identities.some(({ provider }) => provider === key),
        );
    return this.render(
      request,
      response,
      'confirm',
      {
        title: "Confirm it's you",
        hasPassword: typeof user.passwordHash === 'string',
        twoStep,
        formConfirms: typeof user.passwordHash === 'string' || twoStep,
        // Its passkeys confirm it too (POST /auth/reauthenticate with `passkey`, by the page script).
        hasPasskey: (user.passkeys?.length ?? 0) > 0,
        errors,
        // Without returnTo the provider sends the person to their settings with a confirmation.
        reauthLinks: this.providerLinks(undefined, linked, true),
        minutes: Math.round(this.signIn.RECENT_SIGN_IN_SECONDS / 60),
      },
      status,
    );
  }

  /** Links that start a provider sign-in, carrying `returnTo` encoded as one query value. */
  providerLinks(returnTo?: string, providers = this.providers, reauthenticate = false) {
    return providers.map(({ key, name }) => {
      const query = new URLSearchParams();
      if (reauthenticate) query.set('reauth', '1');
      if (returnTo) query.set('returnTo', returnTo);
      const search = query.size > 0 ? `?${query.toString()}` : '';
      return { key, name, href: `${this.base}/auth/${key}${search}` };
    });
  }

  /** See Other, to a path of this service (e.g. '/settings'), with a confirmation for the next page. */
  redirect(response: Response, servicePath: string, notice?: string): void {
    this.redirectTo(response, this.url(servicePath), notice);
  }

  /** See Other, to an absolute URL already checked (see returnTo()). */
  redirectTo(response: Response, url: string, notice?: string): void {
    if (notice) setFlash(response, notice, this.config.secureCookies);
    response.redirect(303, url);
  }

  /** A `returnTo` from a form or query as the checked absolute URL, or the fallback path's. */
  returnTo(requested: unknown, fallback = '/'): string {
    return (
      resolveReturnTo(requested, this.config.publicUrl, this.config.ALLOWED_RETURN_ORIGINS) ??
      this.url(fallback)
    );
  }

  /** The absolute URL of a path of this service (under PUBLIC_URL's path, if any). */
  url(path: string): string {
    return resolveReturnTo(path, this.config.publicUrl, [])!;
  }
}
