import type Provider from 'oidc-provider';
import type { Auth } from '../sign-in/authenticated-request';
import { type StepUp, stepUpOwed } from './authentication-context';
import type { OpenIdConfig } from './openid-config';
import { apisAsked, type RequestedApi } from './resource-grants';
import type { DeviceCodes } from './storage/device-codes';

/** A device's request as the /device page shows it, found by its user code. */
export interface DeviceRequestView {
  /** The user code as the device shows it (XXXX-XXXX). */
  userCode: string;
  clientId: string;
  appName: string;
  /** The OpenID Connect scopes the app asks for, by name. */
  scopes: string[];
  /** The APIs (`resource=`) it asks to call as the person, with their scopes. */
  apis: RequestedApi[];
  /**
   * The device asks for two factors (`acr_values=mfa`) and the person signed in with one could
   * give a second: how. Approving then waits for it (see decide).
   */
  stepUp?: StepUp;
}

/** Why a user code leads to nothing to decide: none such, too late, or decided already. */
export type DeviceRequestProblem = 'unknown' | 'expired' | 'used';

export type DeviceRequestLookup = { found: DeviceRequestView } | { problem: DeviceRequestProblem };

/** A decision: taken (the request as it was), not possible, or waiting for a second factor. */
export type DeviceDecision =
  DeviceRequestLookup | { stepUpFirst: DeviceRequestView & { stepUp: StepUp } };

/** The user code as the library stores it: capitals, without spaces or dashes (its normalize). */
export function normalizeUserCode(typed: string): string {
  return typed.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** XXXXXXXX as XXXX-XXXX, the library's mask. */
function shown(userCode: string): string {
  return `${userCode.slice(0, 4)}-${userCode.slice(4)}`;
}

/**
 * The device flow's requests on the running provider, for the /device page: found by user code,
 * then approved or denied by the person signed in here, once. An approval finishes as the code
 * flow's sign-ins do: the grant is the signed-in person's for this app (first-party: what it
 * asked), and the tokens say how they signed in (`amr`, `acr`, `auth_time`, as providerLogin
 * records them). It outlives this browser's session, as a device's sign-in should, until the
 * person signs out everywhere, changes their password, or revokes it.
 */
export class DeviceRequests {
  constructor(
    private readonly provider: Provider,
    private readonly codes: DeviceCodes,
    private readonly openid: Pick<OpenIdConfig, 'oidcClients' | 'oidcResources'>,
    private readonly login: (auth: Auth) => {
      accountId: string;
      loginTs: number;
      amr: string[];
      acr?: string;
    },
  ) {}

  /** The request with this user code, as `auth`'s person would decide it. */
  async find(typed: string, auth: Auth): Promise<DeviceRequestLookup> {
    const userCode = normalizeUserCode(typed);
    // Not of the codes' form: nothing to look up.
    if (!/^[A-Z]{8}$/.test(userCode)) return { problem: 'unknown' };
    const code = await this.provider.DeviceCode.findByUserCode(userCode, {
      ignoreExpiration: true,
    });
    if (!code) return { problem: 'unknown' };
    if (code.isExpired) return { problem: 'expired' };
    if (code.error || code.accountId || code.inFlight) return { problem: 'used' };
    const client = code.clientId ? await this.provider.Client.find(code.clientId) : undefined;
    if (!client) return { problem: 'unknown' };
    const settings = this.openid.oidcClients.find(({ client_id }) => client_id === client.clientId);
    const stepUp = stepUpOwed(code.params, auth);
    return {
      found: {
        userCode: shown(userCode),
        clientId: client.clientId,
        appName: client.clientName ?? client.clientId,
        scopes: this.scopesOf(code.params?.scope, client.scope),
        apis: apisAsked(code.params ?? {}, settings?.scope ?? '', this.openid.oidcResources),
        ...(stepUp && { stepUp }),
      },
    };
  }

  /**
   * The person's decision: taken once (DeviceCodes.claim, one conditional update), so of two
   * parallel decisions on one code only one counts. A denial makes the device's next poll
   * `access_denied`; an approval gives it its tokens, with the APIs' scopes it asked for (JWT
   * access tokens for those APIs, as the code flow's).
   * A device that asks for two factors (`acr_values=mfa`), approved by someone signed in with one
   * who could give a second (two-step sign-in on, or a passkey), is not approved yet
   * (`stepUpFirst`): the page has them give it, and they approve again with a session of two, so
   * the tokens say `acr: mfa`. The code flow asks once, then lets the sign-in through as it is;
   * here it is asked for until given, which is simpler and as sound: the code stays undecided
   * meanwhile (no interaction to remember an offer in), the person can always give it (that is
   * what `stepUp` means) or deny, and a device's sign-in lasts (refresh tokens). An account that
   * can give only one factor approves as it signed in.
   */
  async decide(typed: string, auth: Auth, approve: boolean): Promise<DeviceDecision> {
    const userCode = normalizeUserCode(typed);
    const before = await this.find(typed, auth);
    if ('problem' in before) return before;
    const { stepUp } = before.found;
    if (approve && stepUp) return { stepUpFirst: { ...before.found, stepUp } };
    if (!(await this.codes.claim(userCode))) {
      // Decided by another request at the same moment, or expired in between.
      const now = await this.find(typed, auth);
      return 'problem' in now ? now : { problem: 'used' };
    }
    const code = await this.provider.DeviceCode.findByUserCode(userCode, {
      ignoreExpiration: true,
    });
    if (!code) return { problem: 'expired' };
    if (!approve) {
      Object.assign(code, {
        error: 'access_denied',
        errorDescription: 'The person denied the request',
      });
      await code.save();
      return before;
    }
    const { accountId, loginTs, amr, acr } = this.login(auth);
    const { clientId, scopes, apis } = before.found;
    const grant = new this.provider.Grant({ accountId, clientId });
    grant.addOIDCScope(scopes.join(' '));
    for (const api of apis) grant.addResourceScope(api.indicator, api.scopes);
    // As the library's own device flow records them: the token endpoint issues a JWT for an API
    // of `resource` that the device names (or, without openid, for the one API asked for).
    const resources = apis.map(({ indicator }) => indicator);
    Object.assign(code, {
      accountId,
      grantId: await grant.save(),
      scope: [...scopes, ...apis.flatMap((api) => api.scopes)].join(' '),
      ...(resources.length > 0 && { resource: resources.length === 1 ? resources[0] : resources }),
      authTime: loginTs,
      amr,
      ...(acr && { acr }),
    });
    await code.save();
    return before;
  }

  /** What the request asks for, of what the app may ask for. */
  private scopesOf(asked: unknown, allowed: string | undefined): string[] {
    const words = (value: unknown) =>
      typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
    const permitted = new Set(words(allowed));
    return [...new Set(words(asked))].filter(
      (scope) => permitted.size === 0 || permitted.has(scope),
    );
  }
}
