/**
 * Query parameters that carry credentials: provider callbacks bring a code and a state; an app's
 * sign-out (/oauth2/logout) brings an ID token as its hint.
 */
const SECRET_QUERY_PARAMETERS = [
  'code',
  'state',
  'access_token',
  'id_token',
  'token',
  'id_token_hint',
];

/** The URL as logged: secret query values replaced, so a log never holds a usable code. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const query = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (query.has(name)) query.set(name, 'redacted');
  }
  return `${url.slice(0, queryStart)}?${query.toString()}`;
}
