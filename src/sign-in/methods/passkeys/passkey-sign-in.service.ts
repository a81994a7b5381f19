import { Injectable } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { AppError } from '../../../platform/http/app-error';
import { SignInMetrics } from '../../../platform/metrics/sign-in-metrics';
import { usernameBaseFromEmail } from '../../../users/identifiers';
import { ProfileFields } from '../../../users/profile-fields/profile-fields.service';
import { UsersRepository } from '../../../users/users.repository';
import { accountDisabledError } from '../../account-disabled';
import { AuthService } from '../../auth.service';
import { SignInRecord } from '../../sign-in-record';
import { PasskeySignUpDto } from './dto/passkey-sign-up.dto';
import { passkeyMethod } from './passkey.method';
import { PasskeyCeremonies } from './passkey-ceremonies';
import { passkeyProof } from './passkey-proof';
import { newPasskey } from './passkeys.service';

/** Signing in with a passkey, and signing up with one instead of a password. */
@Injectable()
export class PasskeySignIn {
  constructor(
    private readonly ceremonies: PasskeyCeremonies,
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly profileFields: ProfileFields,
    private readonly signIns: SignInMetrics,
  ) {}

  /**
   * The account an assertion proves, with what its sign-in writes (the audit event) for
   * SignInService.complete. INVALID_CREDENTIALS for any assertion refused; ACCOUNT_DISABLED for a
   * disabled account's accepted one.
   */
  verify(response: object): Promise<SignInRecord> {
    return this.signIns.track(passkeyMethod.metricsLabel(), this.check(response));
  }

  private async check(response: object): Promise<SignInRecord> {
    const { user, passkey } = await this.ceremonies.verifyAssertion(response);
    if (user.disabled === true) throw accountDisabledError();
    return new SignInRecord(user, passkeyProof(passkey), [], true);
  }

  /**
   * Options to create the passkey of a new account. The email and username are checked now (and
   * again, by the unique indexes, when the account is created), and kept with the challenge.
   */
  async signUpOptions(dto: PasskeySignUpDto): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const data = this.profileFields.forRegistration(dto.data);
    if (await this.users.findByLogin(dto.email)) {
      throw new AppError('EMAIL_TAKEN', 'That email is already used by another account.', 'email');
    }
    if (dto.username !== undefined && (await this.users.findByLogin(dto.username))) {
      throw new AppError('USERNAME_TAKEN', 'That username is already taken.', 'username');
    }
    const handle = this.ceremonies.newUserHandle();
    return this.ceremonies.creationOptions(
      { handle, userName: dto.email, displayName: dto.username ?? dto.email },
      [],
      {
        purpose: 'sign-up',
        webauthnUserId: handle,
        signUp: { email: dto.email, username: dto.username, data },
      },
    );
  }

  /**
   * The account a sign-up's registration response creates, with that passkey as its way in, as a
   * sign-in with it (for SignInService.complete).
   */
  async signUp(response: object, name: string | undefined): Promise<SignInRecord> {
    const { challenge, credential } = await this.ceremonies.verifyCreation(response, 'sign-up');
    const { signUp, webauthnUserId } = challenge;
    if (!signUp || !webauthnUserId) throw new Error('A sign-up challenge without its account');
    const passkey = newPasskey(credential, name);
    const user = await this.auth.createAccount(
      {
        email: signUp.email,
        username: signUp.username,
        usernameBase: usernameBaseFromEmail(signUp.email),
        data: signUp.data,
        passkey: { passkey, webauthnUserId },
      },
      'passkey',
    );
    return new SignInRecord(user, passkeyProof(passkey));
  }
}
