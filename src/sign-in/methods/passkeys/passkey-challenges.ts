import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { ChallengePurpose, PasskeyChallenge } from './passkey-challenge.schema';

/** How long a ceremony's options may be used: the challenge lives as long as the browser waits. */
export const CHALLENGE_LIFETIME_MS = 5 * 60_000;

/** What a challenge is kept with. */
export type IssuedChallenge = Omit<PasskeyChallenge, '_id' | 'expiresAt'>;

/**
 * The challenges of WebAuthn ceremonies, kept server-side: a response is accepted only for a
 * challenge this service gave out for that purpose, within its lifetime, once. Using one is one
 * delete that returns it, so a replay (also in parallel) finds nothing.
 */
@Injectable()
export class PasskeyChallenges {
  constructor(
    @InjectModel(PasskeyChallenge.name) private readonly challenges: Model<PasskeyChallenge>,
  ) {}

  /** Keeps `challenge` (as the options carry it) with what its ceremony needs to finish. */
  async issue(challenge: string, issued: IssuedChallenge): Promise<void> {
    await this.challenges.create({
      ...issued,
      _id: hashOf(challenge),
      expiresAt: new Date(Date.now() + CHALLENGE_LIFETIME_MS),
    });
  }

  /**
   * Uses up the challenge a response signed, when it was given out for `purpose` (and, for
   * `add`, to `userId`) and has not expired: returns it, or null when there is none such (never
   * issued, used already, expired, of another purpose or account).
   */
  async consume(
    challenge: string,
    purpose: ChallengePurpose,
    userId?: PasskeyChallenge['userId'],
  ): Promise<PasskeyChallenge | null> {
    return this.challenges
      .findOneAndDelete({
        _id: hashOf(challenge),
        purpose,
        ...(userId !== undefined && { userId }),
        expiresAt: mongoose.trusted({ $gt: new Date() }),
      })
      .lean<PasskeyChallenge>()
      .exec();
  }
}

function hashOf(challenge: string): string {
  return createHash('sha256').update(challenge).digest('hex');
}
