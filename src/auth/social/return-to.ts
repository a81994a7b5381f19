/**
 * Where to send someone after a provider sign-in. Only paths on this service, or URLs on origins
 * listed in ALLOWED_RETURN_ORIGINS, are honoured; anything else falls back to the default, so the
 * sign-in can never be used as an open redirect.
 */
export function safeReturnTo(
  requested: unknown,
  publicUrl: string,
  allowedOrigins: string[],
  fallback: string,
): string {
  if (typeof requested !== 'string' || requested.length === 0 || requested.length > 2048)
    return fallback;
  const base = new URL(publicUrl);
  // A path on this service: "/x" but not "//host" or "/\host", which browsers read as another origin.
  if (/^\/(?![/\\])/.test(requested) && !/[\p{Cc}\\]/u.test(requested)) {
    const resolved = new URL(`${base.pathname.replace(/\/$/, '')}${requested}`, base);
    if (resolved.origin === base.origin) return resolved.pathname + resolved.search + resolved.hash;
    return fallback;
  }
  try {
    const url = new URL(requested);
    const allowed = allowedOrigins.map((origin) => new URL(origin).origin);
    return allowed.includes(url.origin) && !url.username && !url.password ? url.href : fallback;
  } catch {
    return fallback;
  }
}

/** A returnTo as an absolute URL (paths are relative to PUBLIC_URL's origin). */
export function absoluteReturnTo(returnTo: string, publicUrl: string): string {
  return new URL(returnTo, publicUrl).href;
}
