import { Injectable } from '@nestjs/common';
import { WriteBatches } from '../../platform/database/write-batches';
import { AppError } from '../../platform/http/app-error';
import { SignInMetrics } from '../../platform/metrics/sign-in-metrics';
import { UsersRepository } from '../../users/users.repository';
import type { SignInProof } from '../sessions/sessions.service';
import { SignInRecord } from '../sign-in-record';
import type { Auth } from '../authenticated-request';
import { SecondStepRequired, SignInClient, SignInOutcome, SignInService } from '../sign-in.service';
import { SecondFactorAnswer, SecondFactorCheck, wrongCodeError } from './second-factor-check';
import type { SecondFactor } from './second-factor';
import { secondStepExpiredError } from './second-factor-errors';
import { SecondSteps } from './second-steps';

/**
 * The second step of a sign-in with two-step sign-in on (POST /auth/second-factor, the page
 * /login/second-factor): the pending step behind the browser's cookie, finished by a code or a
 * recovery code at the same door as every sign-in (SignInService.complete). Wrong codes count
 * toward the account's limits and the step's own five; the step is taken once.
 */
@Injectable()
export class SecondStepSignIn {
  constructor(
    private readonly steps: SecondSteps,
    private readonly users: UsersRepository,
    private readonly check: SecondFactorCheck,
    private readonly signIn: SignInService,
    private readonly signIns: SignInMetrics,
    private readonly batches: WriteBatches,
  ) {}

  /**
   * A second step for a session that signed in with one factor, when an app asks for two
   * (acr_values=mfa): what the session proved is the first factor, and finishing the step with a
   * code signs the browser in afresh with both, in place of that session.
   */
  async stepUp({ user, session }: Auth): Promise<SecondStepRequired> {
    const { token, write } = await this.steps.starting(user._id, {
      method: session.method ?? 'password',
      provider: session.provider,
    });
    await this.batches.write([write]);
    return { status: 'second-factor-required', user, token };
  }

  /** Whether `token` names a live pending step (for the page: show the form or start again). */
  async isPending(token: string | undefined): Promise<boolean> {
    return token !== undefined && (await this.steps.find(token)) !== null;
  }

  /**
   * Finishes the pending step with `answer`. Counted in sign_ins_total under its factor's label
   * (`totp`, `recovery_code`): the first factor was counted when it was given.
   */
  finish(
    token: string | undefined,
    answer: SecondFactorAnswer,
    client: SignInClient,
  ): Promise<SignInOutcome> {
    const factor: SecondFactor = answer.code !== undefined ? 'totp' : 'recovery_code';
    return this.signIns.track(factor, this.secondStep(token, answer, client));
  }

  private async secondStep(
    token: string | undefined,
    answer: SecondFactorAnswer,
    client: SignInClient,
  ): Promise<SignInOutcome> {
    const pending = token === undefined ? null : await this.steps.find(token);
    const user = pending && (await this.users.findById(pending.userId));
    if (!pending || !user) throw secondStepExpiredError();
    const proof: SignInProof = { method: pending.method, provider: pending.provider };
    // Turned off meanwhile (by an admin): the first factor is all the account asks for now.
    if (user.twoStep?.enabled === true) {
      try {
        proof.secondFactor = await this.check.verify(user, answer);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'WRONG_CODE') throw error;
        const counted = await this.steps.countFailure(token!);
        throw wrongCodeError(
          answer.code !== undefined ? 'totp' : 'recovery_code',
          counted.ended
            ? ' Too many wrong codes: sign in again.'
            : ` ${counted.left} ${counted.left === 1 ? 'try is' : 'tries are'} left.`,
        );
      }
    }
    if (!(await this.steps.take(token!))) throw secondStepExpiredError();
    return this.signIn.complete(new SignInRecord(user, proof, [], true), client);
  }
}
