import type Provider from 'oidc-provider';
import type { Auth } from '../sign-in/authenticated-request';
import type { DeviceCodes } from './storage/device-codes';

/** A device's request as the /device page shows it, found by its user code. */
export interface DeviceRequestView {
  /** The user code as the device shows it (XXXX-XXXX). */
  userCode: string;
  clientId: string;
  appName: string;
  /** The scopes the app asks for, by name. */
  scopes: string[];
}

/** Why a user code leads to nothing to decide: none such, too late, or decided already. */
export type DeviceRequestProblem = 'unknown' | 'expired' | 'used';

export type DeviceRequestLookup = { found: DeviceRequestView } | { problem: DeviceRequestProblem };

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
    private readonly login: (auth: Auth) => {
      accountId: string;
      loginTs: number;
      amr: string[];
      acr?: string;
    },
  ) {}

  async find(typed: string): Promise<DeviceRequestLookup> {
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
    return {
      found: {
        userCode: shown(userCode),
        clientId: client.clientId,
        appName: client.clientName ?? client.clientId,
        scopes: this.scopesOf(code.params?.scope, client.scope),
      },
    };
  }

  /**
   * The person's decision: taken once (DeviceCodes.claim, one conditional update), so of two
   * parallel decisions on one code only one counts. A denial makes the device's next poll
   * `access_denied`; an approval gives it its tokens.
   */
  async decide(typed: string, auth: Auth, approve: boolean): Promise<DeviceRequestLookup> {
    const userCode = normalizeUserCode(typed);
    const before = await this.find(typed);
    if ('problem' in before) return before;
    if (!(await this.codes.claim(userCode))) {
      // Decided by another request at the same moment, or expired in between.
      const now = await this.find(typed);
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
    const grant = new this.provider.Grant({ accountId, clientId: before.found.clientId });
    const scope = before.found.scopes.join(' ');
    grant.addOIDCScope(scope);
    Object.assign(code, {
      accountId,
      grantId: await grant.save(),
      scope,
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
