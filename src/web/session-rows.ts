import { SIGN_IN_METHODS } from '../sign-in/methods/sign-in-methods';
import type { SessionView } from '../sign-in/sessions/session.view';
import { deviceName } from './device-name';

/** A moment as the pages show it: in words (UTC, since the page does not know the reader's zone), and for <time>. */
export interface PageTime {
  iso: string;
  text: string;
}

/** A session as the settings page lists it. */
export interface SessionRow {
  id: string;
  current: boolean;
  device: string;
  /** The whole User-Agent, for the device name's tooltip. */
  userAgent: string;
  address: string;
  signedInWith: string;
  createdAt: PageTime;
  lastSeenAt: PageTime;
}

const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** The sessions of GET /me/sessions in words, with providers called by their names. */
export function sessionRows(
  sessions: SessionView[],
  providers: Array<{ key: string; name: string }>,
): SessionRow[] {
  const { password, provider, passkey } = SIGN_IN_METHODS;
  // signedInWith is 'password', 'passkey' or the provider's key (SessionView).
  const methodName = (method: string | null) =>
    method === null
      ? 'Unknown'
      : method === 'password'
        ? password.label()
        : method === 'passkey'
          ? passkey.label()
          : provider.label({ provider: method }, providers);
  return sessions.map((session) => ({
    id: session.id,
    current: session.current,
    device: deviceName(session.userAgent),
    userAgent: session.userAgent ?? '',
    address: addressText(session.ip),
    signedInWith: withSecondFactor(methodName(session.signedInWith), session.secondFactor),
    createdAt: pageTime(session.createdAt),
    lastSeenAt: pageTime(session.lastSeenAt),
  }));
}

/** "Password and a code": how the session signed in, with its second factor when it had one. */
function withSecondFactor(method: string, secondFactor: SessionView['secondFactor']): string {
  if (secondFactor === null) return method;
  return `${method} and ${secondFactor === 'totp' ? 'a code' : 'a recovery code'}`;
}

export function pageTime(date: Date): PageTime {
  return { iso: date.toISOString(), text: `${DATE_TIME.format(date)} UTC` };
}

/** A client's address for people. */
export function addressText(ip: string | null): string {
  // An IPv4 client of a dual-stack socket reads as ::ffff:203.0.113.7.
  return ip?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') ?? 'Unknown';
}
