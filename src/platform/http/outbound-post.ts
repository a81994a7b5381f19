/** How long one delivery attempt to another service may take, answer included. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** The other service answered, but not with a 2xx. */
export class DeliveryRefused extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
    this.name = 'DeliveryRefused';
  }
}

/**
 * One delivery to a service the operator configured (a webhook receiver, an app's back-channel
 * logout endpoint): a POST that resolves on a 2xx, and throws on any other answer, a network
 * error or the timeout. Any address is reached, the operator's own network included.
 */
export async function postOutbound(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body,
    // A redirect is not a delivery: it is retried like any other answer that is not a 2xx.
    redirect: 'manual',
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
  });
  // The answer's body is of no interest (and may be large): not read.
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new DeliveryRefused(response.status);
}

/** A failed delivery in one line, for the logs and the outbox: the status, or the network error's code. */
export function describeDeliveryFailure(error: unknown): string {
  const { name, message, cause } = (error ?? {}) as {
    name?: string;
    message?: string;
    cause?: { code?: string };
  };
  if (name === 'TimeoutError') return `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`;
  return [cause?.code, message ?? 'unknown error'].filter(Boolean).join(' ').slice(0, 300);
}
