import { postOutbound } from '../../platform/http/outbound-post';

/**
 * Posts one logout token to an app (Back-Channel Logout 1.0 §2.5): a form body `logout_token=…`,
 * to any address the operator configured, its own network included (unlike oidc-provider's
 * sender). Resolves on a 2xx; throws on any other answer, a network error or the timeout.
 */
export function postLogoutToken(uri: string, token: string, userAgent: string): Promise<void> {
  return postOutbound(
    uri,
    { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': userAgent },
    new URLSearchParams({ logout_token: token }).toString(),
  );
}
