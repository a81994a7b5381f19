import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Request, Response } from 'express';
import mongoose, { Model, Types } from 'mongoose';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { SignInFlow } from './sign-in-flow.schema';

const FLOW_LIFETIME_MS = 10 * 60 * 1000;

/** What the service decides when a flow starts, carried through the provider round trip. */
export interface FlowIntent {
  returnTo: string;
  linkUserId?: Types.ObjectId;
  /** PKCE verifier for strategies without PKCE of their own (passport-openidconnect). */
  codeVerifier?: string;
}

export interface FlowRequest extends Request {
  /** Hash of this browser's flow cookie secret, set when a flow starts. */
  flowBinding?: string;
  /** The flow a callback completed, once its state has been verified and consumed. */
  signInFlow?: SignInFlow;
}

type StoreCallback = (error: Error | null, state?: string) => void;
type VerifyCallback = (error: Error | null, ok?: unknown, state?: unknown) => void;

/**
 * The OAuth `state` of every provider sign-in: kept in MongoDB (so any instance can finish what
 * another started), bound to the starting browser by an HTTP-only cookie, and usable once.
 * It implements the state-store interfaces of passport-oauth2 and passport-openidconnect.
 */
@Injectable()
export class SignInFlows implements OnModuleInit {
  /** The PKCE verifier of the token exchange in progress, for passport-openidconnect (see oidc.provider). */
  readonly pkceVerifier = new AsyncLocalStorage<string | undefined>();
  private readonly cookieName: string;
  /** The callback paths as browsers see them: under PUBLIC_URL's path, if it has one. */
  private readonly cookiePath: string;

  constructor(
    @InjectModel(SignInFlow.name) private readonly flows: Model<SignInFlow>,
    private readonly config: AppConfig,
  ) {
    this.cookieName = `${config.SESSION_COOKIE_NAME}_flow`;
    this.cookiePath = `${new URL(config.publicUrl).pathname.replace(/\/$/, '')}/auth`;
  }

  async onModuleInit(): Promise<void> {
    await this.flows.init();
  }

  /** Gives this browser a fresh flow secret (cookie) and remembers its hash for the store. */
  bindBrowser(request: FlowRequest, response: Response): void {
    const secret = randomBytes(32).toString('base64url');
    response.cookie(this.cookieName, secret, {
      ...this.cookieAttributes(),
      maxAge: FLOW_LIFETIME_MS,
    });
    request.flowBinding = hash(secret);
  }

  clearBrowser(response: Response): void {
    response.clearCookie(this.cookieName, this.cookieAttributes());
  }

  /** State store for passport-oauth2 strategies (Google, GitHub, Facebook), PKCE included. */
  oauth2Store(provider: string) {
    return {
      store: (
        req: FlowRequest,
        verifier: string | undefined,
        intent: FlowIntent,
        _meta: unknown,
        done: StoreCallback,
      ) =>
        void this.create(req, provider, { ...intent, codeVerifier: verifier }).then(
          (state): void => done(null, state),
          (error: Error): void => done(error),
        ),
      verify: (req: FlowRequest, state: unknown, _meta: unknown, done: VerifyCallback) =>
        void this.consume(req, provider, state).then(
          // passport-oauth2 takes a string `ok` as the PKCE verifier for the token request.
          (flow): void =>
            flow ? done(null, flow.codeVerifier ?? true, flow) : done(null, false, mismatch()),
          (error: Error): void => done(error),
        ),
    };
  }

  /** State store for passport-openidconnect: also keeps its nonce. */
  oidcStore(provider: string) {
    return {
      store: (
        req: FlowRequest,
        context: { nonce?: string },
        intent: FlowIntent,
        _meta: unknown,
        done: StoreCallback,
      ) =>
        void this.create(req, provider, { ...intent, nonce: context.nonce }).then(
          (state): void => done(null, state),
          (error: Error): void => done(error),
        ),
      verify: (req: FlowRequest, state: unknown, done: VerifyCallback) =>
        void this.consume(req, provider, state).then(
          (flow): void => {
            if (!flow) return done(null, false, mismatch());
            // The token request follows synchronously inside `done`: give it the PKCE verifier.
            this.pkceVerifier.run(flow.codeVerifier, () => done(null, { nonce: flow.nonce }, flow));
          },
          (error: Error): void => done(error),
        ),
    };
  }

  private async create(
    request: FlowRequest,
    provider: string,
    fields: FlowIntent & { nonce?: string },
  ): Promise<string> {
    if (!request.flowBinding) throw new Error('bindBrowser() must run before a flow is stored');
    const state = randomBytes(32).toString('base64url');
    await this.flows.create({
      _id: state,
      provider,
      browserBinding: request.flowBinding,
      codeVerifier: fields.codeVerifier,
      nonce: fields.nonce,
      returnTo: fields.returnTo,
      linkUserId: fields.linkUserId,
      expiresAt: new Date(Date.now() + FLOW_LIFETIME_MS),
    });
    return state;
  }

  /** The flow for this state, provider and browser, removed so it cannot be replayed; else null. */
  private async consume(
    request: FlowRequest,
    provider: string,
    state: unknown,
  ): Promise<SignInFlow | null> {
    const cookies = request.cookies as Record<string, unknown> | undefined;
    const secret = cookies?.[this.cookieName];
    if (typeof state !== 'string' || state.length > 100 || typeof secret !== 'string') return null;
    const flow = await this.flows
      .findOneAndDelete({
        _id: state,
        provider,
        browserBinding: hash(secret),
        expiresAt: mongoose.trusted({ $gt: new Date() }),
      })
      .lean<SignInFlow>()
      .exec();
    if (flow) request.signInFlow = flow;
    return flow;
  }

  private cookieAttributes() {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.config.isProduction,
      path: '/auth',
    };
  }
}

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function mismatch() {
  return { code: 'STATE_MISMATCH', message: 'The sign-in could not be matched to this browser.' };
}
