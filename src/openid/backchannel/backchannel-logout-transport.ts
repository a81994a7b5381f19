/** How long one delivery attempt may take, answer included. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** The app answered, but not with a 2xx. */
export class LogoutTokenRefused extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
    this.name = 'LogoutTokenRefused';
  }
}

/**
 * Posts one logout token to an app (Back-Channel Logout 1.0 §2.5): a form body `logout_token=…`.
 * Any address the operator configured is reached, its own network included (unlike
 * oidc-provider's sender). Resolves on a 2xx; throws on any other answer, a network error or the
 * timeout.
 */
export async function postLogoutToken(
  uri: string,
  token: string,
  userAgent: string,
): Promise<void> {
  const response = await fetch(uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': userAgent },
    body: new URLSearchParams({ logout_token: token }).toString(),
    // A redirect is not a delivery: it is retried like any other answer that is not a 2xx.
    redirect: 'manual',
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
  });
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new LogoutTokenRefused(response.status);
}
