import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, Types } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { buildDocument, InsertOneWrite } from '../../platform/database/write-batches';
import type { SignInProof } from '../sessions/sessions.service';
import { PendingSecondStep } from './second-step.schema';

/** How long the second step may wait (the cookie lives as long). */
export const SECOND_STEP_LIFETIME_MS = 5 * 60_000;

/** Wrong codes that end a pending second step: the sign-in starts again from its first factor. */
export const MAX_SECOND_STEP_FAILURES = 5;

/** A wrong code's outcome for the pending step. */
export type CountedFailure = { ended: false; left: number } | { ended: true };

/**
 * The sign-ins waiting for their second factor (`second_steps`). Each change is one conditional
 * operation: a wrong code counts once and only while fewer than MAX_SECOND_STEP_FAILURES were
 * given, and the step is taken (to finish the sign-in) once.
 */
@Injectable()
export class SecondSteps implements OnModuleInit {
  constructor(
    @InjectModel(PendingSecondStep.name) private readonly steps: Model<PendingSecondStep>,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.steps.init();
  }

  /** A new pending step for `userId`, who proved `proof`: its token and its insert (for WriteBatches). */
  async starting(
    userId: Types.ObjectId,
    proof: SignInProof,
  ): Promise<{ token: string; write: InsertOneWrite }> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    const step = await buildDocument(this.steps, {
      _id: hashToken(token),
      userId,
      method: proof.method,
      provider: proof.provider,
      failures: 0,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SECOND_STEP_LIFETIME_MS),
    });
    return { token, write: { target: this.steps, insertOne: step } };
  }

  /** The live step behind `token`, or null (unknown, expired, or ended by wrong codes). */
  async find(token: string): Promise<PendingSecondStep | null> {
    return this.steps.findOne(this.live(token)).lean<PendingSecondStep>().exec();
  }

  /** Counts a wrong code; the fifth ends the step. */
  async countFailure(token: string): Promise<CountedFailure> {
    const counted = await this.steps
      .findOneAndUpdate(this.live(token), { $inc: { failures: 1 } }, { returnDocument: 'after' })
      .lean<PendingSecondStep>()
      .exec();
    if (!counted || counted.failures >= MAX_SECOND_STEP_FAILURES) {
      await this.steps.deleteOne({ _id: hashToken(token) }).exec();
      return { ended: true };
    }
    return { ended: false, left: MAX_SECOND_STEP_FAILURES - counted.failures };
  }

  /** Takes the live step behind `token` to finish its sign-in: once, whatever runs in parallel. */
  async take(token: string): Promise<PendingSecondStep | null> {
    return this.steps.findOneAndDelete(this.live(token)).lean<PendingSecondStep>().exec();
  }

  private live(token: string) {
    return {
      _id: hashToken(token),
      failures: mongoose.trusted({ $lt: MAX_SECOND_STEP_FAILURES }),
      expiresAt: mongoose.trusted({ $gt: new Date() }),
    };
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
