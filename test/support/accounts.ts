import request from 'supertest';
import type { App } from 'supertest/types';

let counter = 0;

/** A password that passes the default policy (15+ characters, not a common one). */
export const GOOD_PASSWORD = 'correct horse battery staple';

export interface NewAccount {
  email: string;
  password: string;
  username?: string;
  name?: string;
}

/** Fresh, unique registration details. */
export function newAccount(overrides: Partial<NewAccount> = {}): NewAccount {
  counter += 1;
  const id = `${Date.now().toString(36)}${counter}`;
  return { email: `person${id}@example.test`, password: GOOD_PASSWORD, ...overrides };
}

/**
 * The session cookie from a response's Set-Cookie, as a Cookie request header value. Over https
 * at the root of an origin it is named `__Host-<name>`.
 */
export function sessionCookie(response: request.Response, name = 'sid'): string {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.find((line) =>
    [name, `__Host-${name}`].some(
      (candidate) => line.startsWith(`${candidate}=`) && !line.startsWith(`${candidate}=;`),
    ),
  );
  if (!cookie) throw new Error(`No ${name} cookie in ${JSON.stringify(header)}`);
  return cookie.split(';')[0];
}

/** Registers an account and returns its session cookie and the user from the response. */
export async function register(http: App, account: NewAccount = newAccount()) {
  const response = await request(http).post('/auth/register').send(account).expect(201);
  return {
    cookie: sessionCookie(response),
    user: response.body.user as { id: string; username: string },
    account,
  };
}

export async function login(http: App, login: string, password: string) {
  const response = await request(http).post('/auth/login').send({ login, password }).expect(200);
  return sessionCookie(response);
}
