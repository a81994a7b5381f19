import { ValidateBy } from 'class-validator';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';

/** express's "trust proxy" as this service allows it: a hop count, or the proxies themselves. */
export type TrustProxySetting = number | string[];

/** express's names for address ranges (proxy-addr's). */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

const EXPECTED =
  'a hop count (e.g. 1) or comma-separated proxy addresses or subnets (or loopback, linklocal, uniquelocal)';

/** `2` → 2; `loopback, 10.0.0.0/8` → ['loopback', '10.0.0.0/8']. */
export function parseTrustProxy(value: string): TrustProxySetting {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return trimmed.split(',').map((entry) => entry.trim());
}

/**
 * Why TRUST_PROXY cannot be used, or undefined when it can. `true` is refused: it believes the
 * left-most X-Forwarded-For address, which any client writes itself (and so dodges rate limits).
 */
export function trustProxyProblem(value: string): string | undefined {
  if (/^true$/i.test(value.trim())) {
    return `TRUST_PROXY must be ${EXPECTED}; "true" would let any client choose its address through X-Forwarded-For`;
  }
  const setting = parseTrustProxy(value);
  if (typeof setting === 'number') {
    return setting >= 1 ? undefined : `TRUST_PROXY must be ${EXPECTED}; a hop count is at least 1`;
  }
  // proxy-addr also takes legacy IPv4 forms ("1" is 0.0.0.1), never what anyone means here.
  const unclear = setting.find(
    (entry) => !RANGE_NAMES.includes(entry) && !isIP(entry.split('/')[0]),
  );
  if (unclear !== undefined)
    return `TRUST_PROXY must be ${EXPECTED}; "${unclear}" is none of these`;
  try {
    // What express itself compiles the setting with, so it accepts exactly what express would.
    proxyAddr.compile(setting);
    return undefined;
  } catch (error) {
    return `TRUST_PROXY must be ${EXPECTED} (${(error as Error).message})`;
  }
}

export const IsTrustProxy = () =>
  ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !trustProxyProblem(value),
      defaultMessage: (args) =>
        (typeof args?.value === 'string' && trustProxyProblem(args.value)) ||
        `TRUST_PROXY must be ${EXPECTED}`,
    },
  });
