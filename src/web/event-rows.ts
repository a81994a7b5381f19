import type { EventType } from '../audit/events/event.schema';
import type { EventView } from '../audit/events/event.view';
import { deviceName } from './device-name';
import { addressText, PageTime, pageTime } from './session-rows';

/** An event as the settings page's "Recent security activity" lists it. */
export interface EventRow {
  what: string;
  at: PageTime;
  /** Where the request came from: for the owner's own requests and anonymous attempts only. */
  from?: { device: string; userAgent: string; address: string };
  /** Who did it, when it was not the owner: an administrator, an API key, the command line. */
  by?: string;
  /** Worth a second look (a failed sign-in). */
  warning: boolean;
}

/** Display names for what events refer to by key. */
export interface EventNames {
  providers: Array<{ key: string; name: string }>;
  profileFields: ReadonlyArray<{ key: string; label: string }>;
}

type Details = Record<string, unknown>;
type Describe = (details: Details, names: Names) => string;

interface Names {
  provider: (details: Details) => string;
  fields: (details: Details) => string;
}

/** Every event type in words; the compiler asks for a line for each new type. */
const DESCRIBE: Record<EventType, Describe> = {
  'user.created': (d, n) =>
    d.provider
      ? `Account created with ${n.provider(d)}`
      : d.method === 'passkey'
        ? 'Account created with a passkey'
        : 'Account created',
  'sign_in.succeeded': (d, n) =>
    `Signed in with ${d.provider ? n.provider(d) : d.method === 'passkey' ? 'a passkey' : 'your password'}`,
  'sign_in.failed': (d) =>
    d.method === 'passkey'
      ? d.reason === 'counter_went_backwards'
        ? 'Refused sign-in with a passkey whose counter went backwards: it may have been copied'
        : 'Failed sign-in with a passkey'
      : d.locked
        ? 'Failed sign-in with a wrong password; password sign-in is now locked'
        : 'Failed sign-in with a wrong password',
  'identity.linked': (d, n) => `${n.provider(d)} connected`,
  'identity.unlinked': (d, n) =>
    d.reason === 'linked_before_email_verified'
      ? `${n.provider(d)} disconnected: it was connected before your email address was confirmed`
      : `${n.provider(d)} disconnected`,
  'passkey.added': (d) => `Passkey added: ${String(d.name)}`,
  'passkey.removed': (d) => `Passkey removed: ${String(d.name)}`,
  'password.set': () => 'Password set',
  'password.changed': () => 'Password changed',
  'password.reset': (d) =>
    d.firstPassword ? 'Password set with an email link' : 'Password reset with an email link',
  'password.removed': () => 'Password removed',
  'password.reset_requested': () => 'Password reset link requested',
  'email.changed': (d) =>
    d.released
      ? 'Email address removed: someone else proved it is theirs'
      : 'Email address changed',
  'email.verified': () => 'Email address confirmed',
  'profile.updated': (d, n) => `Profile updated: ${n.fields(d)}`,
  'session.revoked': (d) =>
    d.scope === 'others' ? 'Signed out everywhere else' : 'Signed out a session',
  'two_step.enabled': () => 'Two-step sign-in turned on',
  'two_step.disabled': () => 'Two-step sign-in turned off',
  'recovery_code.used': (d) => `Recovery code used to sign in (${String(d.left)} left)`,
  'recovery_codes.replaced': () => 'New recovery codes made',
  'user.updated': () => 'Account details changed',
  'user.disabled': () => 'Account disabled',
  'user.enabled': () => 'Account enabled',
  'user.deleted': () => 'Account deleted',
  'api_key.created': () => 'API key created',
  'api_key.revoked': () => 'API key revoked',
  'signing_key.rotated': () => 'Signing key rotated',
  'app_access.revoked': (d) => `App's access removed: ${String(d.clientId)}`,
};

const BY: Record<string, string> = {
  user: 'an administrator',
  api_key: 'an API key',
  cli: 'the command line',
};

/** The events of GET /me/events in words, with providers and profile fields by their names. */
export function eventRows(events: EventView[], names: EventNames): EventRow[] {
  const known: Names = {
    provider: ({ provider }) =>
      names.providers.find(({ key }) => key === provider)?.name ?? String(provider),
    fields: ({ fields }) =>
      (Array.isArray(fields) ? fields : [])
        .map((field) => fieldName(String(field), names))
        .join(', '),
  };
  return events.map((event) => {
    const shown = event.ip !== null || event.userAgent !== null;
    return {
      what: DESCRIBE[event.type](event.details, known),
      at: pageTime(event.at),
      from: shown
        ? {
            device: deviceName(event.userAgent),
            userAgent: event.userAgent ?? '',
            address: addressText(event.ip),
          }
        : undefined,
      by: event.actor.self || event.actor.kind === 'anonymous' ? undefined : BY[event.actor.kind],
      warning: event.type === 'sign_in.failed',
    };
  });
}

function fieldName(field: string, names: EventNames): string {
  if (field === 'name') return 'name';
  if (field === 'username') return 'username';
  const key = field.replace(/^data\./, '');
  return names.profileFields.find((each) => each.key === key)?.label ?? key;
}
