import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, Types } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../platform/http/app-error';
import { OneTimeToken, TokenPurpose } from './one-time-token.schema';

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/** What every unusable link answers (400 INVALID_TOKEN, naming `token`), and what to do about it. */
export function invalidLinkError(): AppError {
  return new AppError(
    'INVALID_TOKEN',
    'This link is not valid any more: it was used already, it expired, or a newer one replaced it. Ask for a new one.',
    'token',
  );
}

/** Tokens are 43 base64url characters (256 bits); anything else is not worth a lookup. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** The links' tokens: issued with a lifetime, stored as hashes, used once. */
@Injectable()
export class OneTimeTokens {
  constructor(@InjectModel(OneTimeToken.name) private readonly tokens: Model<OneTimeToken>) {}

  /** A new token for the account and purpose; any older one of that purpose stops working. */
  async issue(
    purpose: TokenPurpose,
    userId: Types.ObjectId,
    email: string,
    lifetimeSeconds: number,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.tokens.deleteMany({ userId, purpose }).exec();
    await this.tokens.create({
      _id: hashOf(token),
      purpose,
      userId,
      email,
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
    });
    return token;
  }

  /** The live token's record, without using it up (to show a page about it). */
  async find(purposes: TokenPurpose[], token: unknown): Promise<OneTimeToken | null> {
    if (typeof token !== 'string' || !TOKEN_FORMAT.test(token)) return null;
    return this.tokens.findOne(this.live(purposes, token)).lean<OneTimeToken>().exec();
  }

  /** Uses the token up: returns its record once, null for an unknown, used or expired one. */
  async consume(purposes: TokenPurpose[], token: unknown): Promise<OneTimeToken | null> {
    if (typeof token !== 'string' || !TOKEN_FORMAT.test(token)) return null;
    return this.tokens.findOneAndDelete(this.live(purposes, token)).lean<OneTimeToken>().exec();
  }

  /** Voids the account's tokens of these purposes (all of them when none are named). */
  async void(userId: Types.ObjectId, purposes?: TokenPurpose[]): Promise<void> {
    await this.tokens
      .deleteMany(purposes ? { userId, purpose: mongoose.trusted({ $in: purposes }) } : { userId })
      .exec();
  }

  private live(purposes: TokenPurpose[], token: string) {
    return {
      _id: hashOf(token),
      purpose: mongoose.trusted({ $in: purposes }),
      expiresAt: mongoose.trusted({ $gt: new Date() }),
    };
  }
}
