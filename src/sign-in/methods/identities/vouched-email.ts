import { isEmail } from 'class-validator';
import type { ProviderIdentity } from './providers/provider-identity';
import { emailCharacterProblem } from '../../../users/identifiers';
import { EMAIL_MAX_LENGTH } from '../../../users/user-fields';

/**
 * The identity with its vouched email only if it is an address a person could register here. One
 * with invisible or compatibility characters (`ﬁ`, full-width letters) could pass for another
 * account's address, so it counts as no address at all: the person gets an account (or a link)
 * without it, as when the provider vouches for none.
 */
export function withRegistrableEmail(identity: ProviderIdentity): ProviderIdentity {
  const email = identity.verifiedEmail;
  const registrable =
    email !== undefined &&
    [...email].length <= EMAIL_MAX_LENGTH &&
    isEmail(email) &&
    emailCharacterProblem(email) === undefined;
  return registrable ? identity : { ...identity, verifiedEmail: undefined };
}
