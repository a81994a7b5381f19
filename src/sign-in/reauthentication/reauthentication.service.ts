import { Injectable } from '@nestjs/common';
import { AppError } from '../../platform/http/app-error';
import type { Auth } from '../authenticated-request';
import { AuthService } from '../auth.service';
import { PasskeyCeremonies } from '../methods/passkeys/passkey-ceremonies';
import { passkeyProof } from '../methods/passkeys/passkey-proof';
import type { SignInProof } from '../sessions/sessions.service';
import { oneSecondFactor } from '../two-step/dto/two-step.dto';
import { SecondFactorAnswer, SecondFactorCheck } from '../two-step/second-factor-check';
import { secondFactorRequiredError } from '../two-step/second-factor-errors';

/**
 * What someone gives to confirm it's them: the password (with two-step sign-in, and a code), or
 * an assertion of one of the account's passkeys.
 */
export interface ReauthenticationAnswer extends SecondFactorAnswer {
  password?: string;
  passkey?: object;
}

/**
 * "Confirm it's you" for a signed-in person, the same for the API (POST /auth/reauthenticate) and
 * the page (/settings/confirm): what confirms an account is what signs it in. With two-step
 * sign-in on, a password alone does not (a stolen session and a leaked password must not turn it
 * off): a code or a recovery code is needed too, and an account without a password confirms with
 * the code alone. A passkey, which is two factors by itself, confirms alone.
 */
@Injectable()
export class Reauthentication {
  constructor(
    private readonly auth: AuthService,
    private readonly secondFactors: SecondFactorCheck,
    private readonly passkeys: PasskeyCeremonies,
  ) {}

  /** The fresh proof `answer` gives, for the session's renewal; throws naming the field when none. */
  async confirm(auth: Auth, answer: ReauthenticationAnswer): Promise<SignInProof> {
    if (answer.passkey === undefined) return this.confirmWithPassword(auth, answer);
    if (answer.password !== undefined || oneSecondFactor(answer, false) !== undefined) {
      throw new AppError(
        'VALIDATION_FAILED',
        'Give either a passkey, or the password (and a code), not both.',
        'passkey',
      );
    }
    const { user, passkey } = await this.passkeys.verifyAssertion(answer.passkey, 'passkey');
    if (!user._id.equals(auth.user._id)) {
      throw new AppError(
        'INVALID_CREDENTIALS',
        'That passkey is not one of this account’s.',
        'passkey',
      );
    }
    return passkeyProof(passkey);
  }

  private async confirmWithPassword(
    { user, session }: Auth,
    answer: ReauthenticationAnswer,
  ): Promise<SignInProof> {
    const twoStep = user.twoStep?.enabled === true;
    const secondFactor = oneSecondFactor(answer, false);
    if (twoStep && secondFactor === undefined) {
      throw secondFactorRequiredError(
        'Your account has two-step sign-in: give a code from your authenticator app (code) or a recovery code (recoveryCode) with your password.',
        'code',
      );
    }
    // Only an account with two-step on and no password confirms with its code alone.
    if (answer.password !== undefined || !twoStep || typeof user.passwordHash === 'string') {
      if (answer.password === undefined) {
        throw new AppError('VALIDATION_FAILED', 'password must be a string', 'password');
      }
      await this.auth.confirmPassword(user, answer.password, 'password');
    }
    const proof: SignInProof =
      answer.password !== undefined
        ? { method: 'password' }
        : { method: session.method ?? 'password', provider: session.provider };
    if (twoStep) proof.secondFactor = await this.secondFactors.verify(user, secondFactor!);
    return proof;
  }
}
