import type { Configuration } from 'oidc-provider';

/**
 * oidc-provider's back-channel logout feature, on for what it does well: it takes the apps'
 * `backchannel_logout_uri` and `backchannel_logout_session_required`, puts `sid` in the ID tokens
 * of the apps that require it, and says `backchannel_logout_supported` and
 * `backchannel_logout_session_supported` in discovery. Its own sender is never used: it sends only
 * from its end_session endpoint, which is off (this service's /oauth2/logout replaces it), and it
 * refuses loopback and private addresses. Logout tokens go through the outbox instead
 * (BackchannelLogouts, BackchannelLogoutRelay), for every way a session ends here.
 */
export function backchannelLogoutFeature(): NonNullable<
  Configuration['features']
>['backchannelLogout'] {
  return { enabled: true };
}
