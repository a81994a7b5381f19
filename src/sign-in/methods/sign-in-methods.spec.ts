import { Types } from 'mongoose';
import type { User } from '../../users/schemas/user.schema';
import {
  metricsLabelOf,
  SIGN_IN_METHOD_KEYS,
  SIGN_IN_METHODS,
  SignInMethods,
  WayIn,
} from './sign-in-methods';

const providers = [
  { key: 'google', name: 'Google' },
  { key: 'github', name: 'GitHub' },
];
const methods = new SignInMethods(providers.map(({ key }) => key));

function account(fields: Partial<User>): User {
  return { _id: new Types.ObjectId(), username: 'ada', identities: [], ...fields } as User;
}

function passkey(id: string) {
  return { id, credentialId: `cred-${id}`, name: 'Laptop' } as NonNullable<
    User['passkeys']
  >[number];
}

function identity(provider: string) {
  return { provider, subject: `${provider}-1`, linkedAt: new Date() };
}

describe('the sign-in methods registry', () => {
  it('records each method under the key sessions and events have always used', () => {
    expect(SIGN_IN_METHOD_KEYS).toEqual(['password', 'provider', 'passkey']);
    for (const key of SIGN_IN_METHOD_KEYS) expect(SIGN_IN_METHODS[key].key).toBe(key);
  });

  it("gives apps 'pwd' for the password, 'fed' for a provider, and for a passkey 'hwk' (device-bound) or 'swk' (synced) with 'user'", () => {
    expect(SIGN_IN_METHODS.password.amr()).toEqual(['pwd']);
    expect(SIGN_IN_METHODS.provider.amr()).toEqual(['fed']);
    expect(SIGN_IN_METHODS.passkey.amr({ passkeyBackedUp: false })).toEqual(['hwk', 'user']);
    expect(SIGN_IN_METHODS.passkey.amr({ passkeyBackedUp: true })).toEqual(['swk', 'user']);
    // A session from before the passkey was recorded claims no more than it knows.
    expect(SIGN_IN_METHODS.passkey.amr({})).toEqual(['swk', 'user']);
  });

  it("labels the metrics 'password', the provider's key or 'passkey'", () => {
    expect(metricsLabelOf({ method: 'password' })).toBe('password');
    expect(metricsLabelOf({ method: 'provider', provider: 'github' })).toBe('github');
    expect(metricsLabelOf({ method: 'passkey', id: 'pk1' })).toBe('passkey');
  });

  it('names the password, and a provider by its name (its key when it is switched off)', () => {
    expect(SIGN_IN_METHODS.password.label()).toBe('Password');
    expect(SIGN_IN_METHODS.provider.label({ provider: 'github' }, providers)).toBe('GitHub');
    expect(SIGN_IN_METHODS.provider.label({ provider: 'okta' }, providers)).toBe('okta');
  });
});

describe('the never-lock-out rule on an account already read', () => {
  const password: WayIn = { method: 'password' };
  const google: WayIn = { method: 'provider', provider: 'google' };
  const pk1: WayIn = { method: 'passkey', id: 'pk1' };

  it.each<[string, Partial<User>, WayIn, boolean]>([
    ['the password alone', { passwordHash: 'h' }, password, false],
    [
      'the password beside Google',
      { passwordHash: 'h', identities: [identity('google')] },
      password,
      true,
    ],
    [
      'Google beside the password',
      { passwordHash: 'h', identities: [identity('google')] },
      google,
      true,
    ],
    [
      'Google beside GitHub',
      { identities: [identity('google'), identity('github')] },
      google,
      true,
    ],
    [
      'Google beside a switched-off provider',
      { identities: [identity('google'), identity('okta')] },
      google,
      false,
    ],
    [
      'Google beside a password with nothing to type',
      { passwordHash: 'h', username: undefined, identities: [identity('google')] },
      google,
      false,
    ],
    ['the only passkey', { passkeys: [passkey('pk1')] }, pk1, false],
    ['a passkey beside another', { passkeys: [passkey('pk1'), passkey('pk2')] }, pk1, true],
    [
      'Google beside a passkey',
      { identities: [identity('google')], passkeys: [passkey('pk1')] },
      google,
      true,
    ],
    [
      'the password beside a passkey',
      { passwordHash: 'h', passkeys: [passkey('pk1')] },
      password,
      true,
    ],
    ['a passkey beside the password', { passwordHash: 'h', passkeys: [passkey('pk1')] }, pk1, true],
  ])('removing %s: %s', (_name, fields, removing, keeps) => {
    expect(methods.canSignInWithout(account(fields), removing)).toBe(keeps);
  });
});
