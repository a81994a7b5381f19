import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../platform/http/app-error';
import { IdTokenHints, type VerifiedHint } from './id-token-hint';
import type { OidcClientSettings } from './oidc-clients';
import { OpenIdConfig, openIdConfig } from './openid-config';

/** The parameters of RP-Initiated Logout 1.0 §2 this service reads (others are ignored). */
export const LOGOUT_PARAMETERS = [
  'id_token_hint',
  'client_id',
  'post_logout_redirect_uri',
  'state',
] as const;

export type LogoutParameters = Partial<Record<(typeof LOGOUT_PARAMETERS)[number], string>>;

/** The specification's other parameters (§2, §4), which an app may send and which are ignored. */
export const IGNORED_LOGOUT_PARAMETERS = ['logout_hint', 'ui_locales'] as const;

/** Longest value taken for each: an ID token of many claims, an app's opaque state. */
export const MAX_LENGTH: Record<keyof LogoutParameters, number> = {
  id_token_hint: 8192,
  client_id: 2048,
  post_logout_redirect_uri: 2048,
  state: 2048,
};

/** An app's sign-out request, checked. */
export interface CheckedLogout {
  parameters: LogoutParameters;
  /** The hint, when this provider issued it to the app it names (see IdTokenHints). */
  hint?: VerifiedHint;
  /** The app the hint proves the request comes from; never one only named by client_id. */
  app?: OidcClientSettings;
  /** Where the browser goes once signed out: the app's registered address, with its `state`. */
  returnTo?: string;
  /**
   * Why an address to return to that was asked for will not be used: the hint's app did not
   * register it, or nothing proves which app asks (no valid hint).
   */
  returnRefused?: 'unregistered' | 'unproven';
}

/**
 * The parameters from a query or a form: each once at most, a string, not too long. `onlyKnown`
 * (an app's form post): a field the specification does not define is refused, as on every body
 * this service reads.
 */
export function readLogoutParameters(
  source: unknown,
  { onlyKnown = false } = {},
): LogoutParameters {
  const values = (typeof source === 'object' && source !== null ? source : {}) as Record<
    string,
    unknown
  >;
  const known: readonly string[] = [...LOGOUT_PARAMETERS, ...IGNORED_LOGOUT_PARAMETERS];
  const unknown = onlyKnown ? Object.keys(values).find((name) => !known.includes(name)) : undefined;
  if (unknown !== undefined) {
    throw new AppError('VALIDATION_FAILED', `Unknown field "${unknown}".`, unknown);
  }
  for (const name of IGNORED_LOGOUT_PARAMETERS) {
    if (values[name] !== undefined && typeof values[name] !== 'string') {
      throw new AppError('VALIDATION_FAILED', `${name} must be given once, as a string.`, name);
    }
  }
  const parameters: LogoutParameters = {};
  for (const name of LOGOUT_PARAMETERS) {
    const value = values[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') {
      throw new AppError('VALIDATION_FAILED', `${name} must be given once, as a string.`, name);
    }
    if (value.length > MAX_LENGTH[name]) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${name} must be at most ${MAX_LENGTH[name]} characters.`,
        name,
      );
    }
    parameters[name] = value;
  }
  return parameters;
}

/**
 * What an app's sign-out request proves (RP-Initiated Logout 1.0 §2-3): the app is the audience
 * of a valid `id_token_hint` (which must include `client_id` when both are given), and the browser
 * goes back only to a `post_logout_redirect_uri` that app registered exactly. A hint this provider
 * did not issue, or issued to another app than `client_id`, proves nothing: it counts as no hint.
 */
@Injectable()
export class LogoutRequests {
  constructor(
    private readonly hints: IdTokenHints,
    @Inject(openIdConfig.KEY) private readonly openid: OpenIdConfig,
  ) {}

  async check(parameters: LogoutParameters): Promise<CheckedLogout> {
    const { id_token_hint, client_id, post_logout_redirect_uri, state } = parameters;
    // Without apps there is no key to check it against, and none is made for it.
    const verified =
      id_token_hint && this.openid.oidcClients.length > 0
        ? await this.hints.verify(id_token_hint)
        : undefined;
    const appId = client_id ?? (verified?.audiences.length === 1 ? verified.audiences[0] : '');
    const app =
      verified?.audiences.includes(appId) === true
        ? this.openid.oidcClients.find(({ client_id: id }) => id === appId)
        : undefined;
    const hint = app && verified;
    let returnTo: string | undefined;
    if (app && post_logout_redirect_uri !== undefined) {
      if (app.post_logout_redirect_uris.includes(post_logout_redirect_uri)) {
        const url = new URL(post_logout_redirect_uri);
        if (state !== undefined) url.searchParams.set('state', state);
        returnTo = url.href;
      }
    }
    const refused = post_logout_redirect_uri !== undefined && returnTo === undefined;
    return {
      parameters,
      hint,
      app,
      returnTo,
      returnRefused: refused ? (app ? 'unregistered' : 'unproven') : undefined,
    };
  }
}
