import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { SignInFlow } from './sign-in-flow.schema';

export const FLOW_LIFETIME_MS = 10 * 60 * 1000;

export type NewFlow = Omit<SignInFlow, 'browserBinding' | 'createdAt' | 'expiresAt'>;

/**
 * The provider round trips under way, in MongoDB (so any instance can finish what another
 * started), each bound to the browser that started it and usable once.
 */
@Injectable()
export class SignInFlows implements OnModuleInit {
  constructor(@InjectModel(SignInFlow.name) private readonly flows: Model<SignInFlow>) {}

  async onModuleInit(): Promise<void> {
    await this.flows.init();
  }

  /** Stores a flow for the browser holding `browserSecret` (its flow cookie). */
  async create(flow: NewFlow, browserSecret: string): Promise<void> {
    const now = new Date();
    await this.flows.create({
      ...flow,
      browserBinding: hash(browserSecret),
      createdAt: now,
      expiresAt: new Date(now.getTime() + FLOW_LIFETIME_MS),
    });
  }

  /** The flow for this state, provider and browser, removed so it cannot be replayed; else null. */
  async consume(
    state: unknown,
    provider: string,
    browserSecret: string | undefined,
  ): Promise<SignInFlow | null> {
    if (typeof state !== 'string' || state.length > 100 || browserSecret === undefined) return null;
    return this.flows
      .findOneAndDelete({
        _id: state,
        provider,
        browserBinding: hash(browserSecret),
        expiresAt: mongoose.trusted({ $gt: new Date() }),
      })
      .lean<SignInFlow>()
      .exec();
  }
}

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
