import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import * as client from 'openid-client';

/** The client metadata to put in OIDC_CLIENTS for the sample app (a confidential client). */
export interface SampleAppClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  client_name: string;
}

/**
 * A tiny relying party, as a team's app would be written: it signs its users in through this
 * service with openid-client (discovery, authorization code + PKCE S256), and keeps them in its own
 * sessions (an in-memory map keyed by its own cookie). It listens on its own localhost port before
 * the service starts, so its addresses can be registered; it needs the issuer only at sign-in.
 */
export interface SampleApp {
  /** Its origin, e.g. http://localhost:54321 (no trailing slash). */
  url: string;
  /** Its registration, for OIDC_CLIENTS. */
  client: SampleAppClient;
  /** Where it sends people to sign in (the service's PUBLIC_URL): set once the service runs. */
  useIssuer(issuer: string): void;
  close(): Promise<void>;
}

/** What the app remembers of one browser. */
interface Session {
  /** The authorization request under way: its PKCE verifier and state. */
  pending?: { verifier: string; state: string };
  /** The signed-in person: the ID token's claims, with the userinfo claims over them. */
  user?: Record<string, unknown>;
  /** The ID token, the hint of its sign-out (RP-Initiated Logout 1.0). */
  idToken?: string;
}

const COOKIE = 'sample_app_session';
const SCOPE = 'openid email profile';

export async function startSampleApp({
  clientId = 'sample-app',
  clientSecret = randomBytes(24).toString('hex'),
  responseMode,
}: {
  clientId?: string;
  clientSecret?: string;
  /** 'form_post': the service answers with a form the browser posts to /callback. */
  responseMode?: 'form_post';
} = {}): Promise<SampleApp> {
  const sessions = new Map<string, Session>();
  /** The states of sign-outs this app started, to recognise the way back. */
  const logoutStates = new Set<string>();
  let issuer: URL | undefined;
  let discovered: Promise<client.Configuration> | undefined;
  let url = '';

  const registration = (): SampleAppClient => ({
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [`${url}/callback`],
    post_logout_redirect_uris: [`${url}/`],
    client_name: 'Sample App',
  });

  /** Discovery once, on first use (plain http is allowed: everything runs on localhost). */
  function configuration(): Promise<client.Configuration> {
    if (!issuer) throw new Error('The sample app has no issuer yet (call useIssuer)');
    discovered ??= client
      .discovery(issuer, clientId, clientSecret, undefined, {
        execute: [client.allowInsecureRequests],
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  }

  function sessionOf(request: IncomingMessage): { id: string; session: Session } | undefined {
    const id = cookies(request)[COOKIE];
    const session = id ? sessions.get(id) : undefined;
    return id && session ? { id, session } : undefined;
  }

  function startSession(response: ServerResponse): Session {
    const id = randomBytes(24).toString('base64url');
    const session: Session = {};
    sessions.set(id, session);
    response.setHeader('Set-Cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
    return session;
  }

  type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;
  const routes: Record<string, Route> = {
    '/': (request, response) => {
      const here = new URL(request.url ?? '/', url);
      const state = here.searchParams.get('state');
      const signedOut = state !== null && logoutStates.delete(state);
      const user = sessionOf(request)?.session.user;
      if (!user) {
        page(
          response,
          200,
          `${signedOut ? '<p role="status">You are signed out.</p>' : ''}
<p>You are not signed in.</p>
<p><a href="/login">Sign in</a></p>`,
        );
        return;
      }
      const claims = Object.entries(user)
        .map(([name, value]) => `<dt>${escape(name)}</dt><dd>${escape(JSON.stringify(value))}</dd>`)
        .join('\n');
      page(
        response,
        200,
        `<p id="signed-in-as">Signed in as ${escape(String(user.email))}</p>
<dl id="claims">
${claims}
</dl>
<p><a href="/logout">Sign out</a></p>`,
      );
    },

    '/login': async (request, response) => {
      const config = await configuration();
      const session = sessionOf(request)?.session ?? startSession(response);
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      session.pending = { verifier, state };
      const target = client.buildAuthorizationUrl(config, {
        redirect_uri: `${url}/callback`,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...(responseMode && { response_mode: responseMode }),
      });
      redirect(response, target.href);
    },

    '/callback': async (request, response) => {
      const found = sessionOf(request);
      const pending = found?.session.pending;
      if (!found || !pending) {
        page(response, 400, '<p role="alert">No sign-in is under way here.</p>');
        return;
      }
      const config = await configuration();
      let user: Record<string, unknown>;
      let idToken: string | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, await callbackOf(request, url), {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
        });
        const claims = tokens.claims();
        if (!claims) throw new Error('No ID token');
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        user = { ...claims, ...info };
        idToken = tokens.id_token;
      } catch (error) {
        page(response, 400, `<p role="alert">Sign-in failed: ${escape(explain(error))}</p>`);
        return;
      } finally {
        delete found.session.pending;
      }
      // A new session id on sign-in (no session fixation).
      sessions.delete(found.id);
      Object.assign(startSession(response), { user, idToken });
      redirect(response, '/');
    },

    '/logout': (request, response) => {
      const found = sessionOf(request);
      const idToken = found?.session.idToken;
      if (found) sessions.delete(found.id);
      response.setHeader('Set-Cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
      if (!issuer) throw new Error('The sample app has no issuer yet (call useIssuer)');
      const state = client.randomState();
      logoutStates.add(state);
      // Under the issuer's path (PUBLIC_URL may have one).
      const target = new URL('oauth2/logout', issuer.href.replace(/\/?$/, '/'));
      // The ID token proves the app asks for its person: the service signs out without asking.
      target.search = new URLSearchParams({
        ...(idToken && { id_token_hint: idToken }),
        client_id: clientId,
        post_logout_redirect_uri: `${url}/`,
        state,
      }).toString();
      redirect(response, target.href);
    },
  };

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://sample.invalid').pathname;
    const route = routes[path];
    const method = path === '/callback' && responseMode === 'form_post' ? 'POST' : 'GET';
    if (!route || request.method !== method) {
      page(response, 404, '<p>Not found.</p>');
      return;
    }
    Promise.resolve()
      .then(() => route(request, response))
      .catch((error: unknown) => {
        if (!response.headersSent) page(response, 500, `<p>${escape(explain(error))}</p>`);
        else response.end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, () => resolve());
  });
  url = `http://localhost:${(server.address() as AddressInfo).port}`;

  return {
    url,
    client: registration(),
    useIssuer(value: string) {
      issuer = new URL(value);
      discovered = undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The authorization response as openid-client takes it: the callback's URL (query), or a Request
 * with the form the browser posted (form_post).
 */
async function callbackOf(request: IncomingMessage, origin: string): Promise<URL | Request> {
  const url = new URL(request.url ?? '/', origin);
  if (request.method !== 'POST') return url;
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Request(url, {
    method: 'POST',
    headers: { 'Content-Type': String(request.headers['content-type']) },
    body: Buffer.concat(chunks).toString(),
  });
}

function page(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sample App</title></head>
<body>
<h1>Sample App</h1>
${body}
</body>
</html>`);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { Location: location, 'Cache-Control': 'no-store' });
  response.end();
}

function cookies(request: IncomingMessage): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) result[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return result;
}

function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!,
  );
}

function explain(error: unknown): string {
  if (error instanceof client.ResponseBodyError) return `${error.error}: ${error.message}`;
  if (error instanceof client.AuthorizationResponseError) return `${error.error}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
