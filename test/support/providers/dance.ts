/**
 * Plays the browser's part at the identity provider: follows redirects on the provider side
 * (one cookie jar per provider origin), fills the OIDC issuer's login form, and stops at the
 * first redirect back to the app.
 */
import request from 'supertest';

/** A browser's cookie jar for one origin. */
export type ProviderJar = ReturnType<typeof request.agent>;

export interface ProviderLogin {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
}

export interface SignInOptions {
  /** The app's public origin: a redirect there ends the dance. */
  publicUrl?: string;
  maxSteps?: number;
  /** Reuse jars across calls, e.g. to test an existing provider session. */
  jars?: Map<string, ProviderJar>;
}

/**
 * From the app's redirect to the provider, returns the URL the provider finally sends the browser
 * back to (the app callback, with code & state or an error). Throws on any other dead end.
 */
export async function signInAtProvider(
  startLocation: string,
  login?: ProviderLogin,
  {
    publicUrl = 'http://localhost:3000',
    maxSteps = 20,
    jars = new Map<string, ProviderJar>(),
  }: SignInOptions = {},
): Promise<string> {
  const appOrigin = new URL(publicUrl).origin;
  let current = new URL(startLocation);
  let loggedIn = false;

  for (let step = 0; step < maxSteps; step++) {
    if (current.origin === appOrigin) return current.href;

    let agent = jars.get(current.origin);
    if (!agent) {
      agent = request.agent(current.origin);
      jars.set(current.origin, agent);
    }
    const response = await agent.get(current.pathname + current.search);
    const location = response.headers.location as string | undefined;
    if (response.status >= 300 && response.status < 400 && location) {
      current = new URL(location, current);
      continue;
    }

    const action = response.status === 200 ? loginFormAction(response.text) : undefined;
    if (action) {
      if (!login) throw new Error(`the provider asks for a login at ${current.href}; pass one`);
      if (loggedIn) throw new Error(`the provider asks for a login again at ${current.href}`);
      loggedIn = true;
      const target = new URL(action, current);
      const posted = await agent
        .post(target.pathname + target.search)
        .type('form')
        .send(loginForm(login));
      const next = posted.headers.location as string | undefined;
      if (posted.status < 300 || posted.status >= 400 || !next) {
        throw new Error(`login at ${target.href} answered ${posted.status}: ${posted.text}`);
      }
      current = new URL(next, target);
      continue;
    }

    throw new Error(
      `provider answered ${response.status} at ${current.href}: ${response.text.slice(0, 500)}`,
    );
  }
  throw new Error(`no redirect to ${appOrigin} after ${maxSteps} steps`);
}

function loginFormAction(html: string): string | undefined {
  const form = /<form\b[^>]*\bmethod="post"[^>]*\baction="([^"]+)"/i.exec(html);
  return form?.[1].replace(/&amp;/g, '&');
}

function loginForm(login: ProviderLogin): Record<string, string> {
  const form: Record<string, string> = { sub: login.sub };
  if (login.email !== undefined) form.email = login.email;
  if (login.email_verified !== undefined) form.email_verified = String(login.email_verified);
  if (login.name !== undefined) form.name = login.name;
  if (login.preferred_username !== undefined) form.preferred_username = login.preferred_username;
  return form;
}
