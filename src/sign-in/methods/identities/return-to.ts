/**
 * Where to send someone after a sign-in: a URL on this service (under PUBLIC_URL's path) or on an
 * origin listed in ALLOWED_RETURN_ORIGINS, as the absolute URL that was checked. Callers redirect
 * to exactly that URL and never re-read a path from it, so the sign-in cannot be an open redirect.
 * Returns undefined for anything else.
 */
export function resolveReturnTo(
  requested: unknown,
  publicUrl: string,
  allowedOrigins: string[],
): string | undefined {
  if (typeof requested !== 'string' || requested.length === 0 || requested.length > 2048) {
    return undefined;
  }
  // Browsers read "\" as "/" and drop control characters, so such input means something else to them.
  if (/[\p{Cc}\\]/u.test(requested)) return undefined;
  const base = new URL(publicUrl);
  const basePath = base.pathname.replace(/\/$/, '');
  const isPath = requested.startsWith('/') && !requested.startsWith('//');
  let url: URL;
  try {
    url = isPath ? new URL(`${basePath}${requested}`, base.origin) : new URL(requested);
  } catch {
    return undefined;
  }
  if (url.username || url.password || !['http:', 'https:'].includes(url.protocol)) return undefined;
  if (url.origin === base.origin) {
    // "/..//evil.example/x" and the like resolve to a path starting "//": refuse rather than keep.
    const underBase =
      basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
    return underBase && !url.pathname.startsWith('//') ? url.href : undefined;
  }
  const allowed = allowedOrigins.map((origin) => new URL(origin).origin);
  return !isPath && allowed.includes(url.origin) ? url.href : undefined;
}
