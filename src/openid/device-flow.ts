import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { DeviceCodes, POLLING_INTERVAL_SECONDS } from './storage/device-codes';

/** Where a person enters a device's user code: this service's page (DevicePageController). */
export const DEVICE_PAGE_PATH = '/device';

/**
 * oidc-provider's device authorization grant (RFC 8628), for CLIs and TVs. The device gets its
 * codes at the device authorization endpoint and polls the token endpoint; the person enters the
 * user code on this service's /device page, whose controller decides through OidcProvider
 * (device-requests.ts). The library's own pages at `code_verification` are never reached: the
 * middleware does not pass that path to it, so its HTML hooks only refuse.
 * User codes are 8 letters of the library's base-20 alphabet (no vowels, so no words and no 0/O or
 * 1/I to confuse), about 34 bits, shown as XXXX-XXXX; case, spaces and dashes do not matter.
 */
export function deviceFlowFeature(): NonNullable<
  NonNullable<Configuration['features']>['deviceFlow']
> {
  const servedByThisService = () => {
    throw new Error(`The device flow's pages are this service's own (${DEVICE_PAGE_PATH})`);
  };
  return {
    enabled: true,
    charset: 'base-20',
    mask: '****-****',
    userCodeInputSource: servedByThisService,
    userCodeConfirmSource: servedByThisService,
    successSource: servedByThisService,
  };
}

/**
 * Koa middleware around the provider's endpoints, for the pace of the device flow: the device
 * authorization response says how often to poll (`interval`), and a device that polls a pending
 * request sooner than that hears `slow_down` instead of `authorization_pending` (RFC 8628 §3.5),
 * with 5 more seconds to wait from then on. oidc-provider has neither. Only the answer changes:
 * a pending request issued nothing.
 */
export function devicePolling(deviceCodes: DeviceCodes) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const route = (ctx.oidc as Partial<KoaContextWithOIDC['oidc']> | undefined)?.route;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (route === 'device_authorization' && ctx.status === 200 && body?.device_code) {
      ctx.body = { ...body, interval: POLLING_INTERVAL_SECONDS };
      return;
    }
    if (route !== 'token' || body?.error !== 'authorization_pending') return;
    const deviceCode = ctx.oidc.params?.device_code;
    if (typeof deviceCode === 'string' && (await deviceCodes.pollTooEarly(deviceCode))) {
      ctx.body = {
        error: 'slow_down',
        error_description: 'poll less often: wait 5 seconds more between requests',
      };
    }
  };
}
