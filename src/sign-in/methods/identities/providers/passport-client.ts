import type { Strategy } from 'passport';
import type { StateStore } from 'passport-oauth2';
import type {
  AuthorizationFlow,
  AuthorizationStart,
  ExchangeFlow,
  ProviderClient,
} from './provider-client';
import { providerFailure } from './provider-errors';
import type { ProviderIdentity } from './provider-identity';
import { runStrategy } from './run-strategy';

type StoreCallback = (error: Error | null, state?: string) => void;
type VerifyCallback = (error: Error | null, ok?: string | boolean) => void;

/**
 * The state store a passport-oauth2 strategy consults (its documented `store` option; passport
 * picks the variant by the functions' arity, so both keep all their parameters). Each step gets a
 * fresh store that knows its own flow, so nothing is handed over through shared state.
 */
export interface FlowStateStore {
  store(
    req: unknown,
    verifier: string | undefined,
    state: unknown,
    meta: unknown,
    done: StoreCallback,
  ): void;
  verify(req: unknown, state: unknown, meta: unknown, done: VerifyCallback): void;
}

/** A provider built on a passport-oauth2 strategy. */
export interface PassportProvider {
  /** Display name, for error messages. */
  name: string;
  /** A strategy using `store`; at the callback, `flow` is the flow being completed. */
  strategy(store: StateStore, flow?: ExchangeFlow): Strategy;
  /** authenticate() options that make the provider ask the person again (prompt=login…). */
  reauthenticate?: Record<string, unknown>;
}

/** A ProviderClient on passport: the only place that drives a passport strategy. */
export function passportClient(provider: PassportProvider, timeoutMs: number): ProviderClient {
  return {
    async authorizationUrl(flow: AuthorizationFlow): Promise<AuthorizationStart> {
      let codeVerifier: string | undefined;
      const store: FlowStateStore = {
        store: (_req, verifier, _state, _meta, done) => {
          codeVerifier = verifier;
          done(null, flow.state);
        },
        verify: (_req, _state, _meta, done) => done(new Error('No callback in this step.')),
      };
      const options = { nonce: flow.nonce, ...(flow.reauthenticate && provider.reauthenticate) };
      const outcome = await runStrategy(
        provider.strategy(asStateStore(store)),
        { query: {}, body: {} },
        options,
        timeoutMs,
      );
      if (outcome.kind !== 'redirect') throw providerFailure(provider.name, outcome);
      return { url: outcome.url, codeVerifier };
    },

    async exchange(code: string, flow: ExchangeFlow): Promise<ProviderIdentity> {
      const store: FlowStateStore = {
        store: (_req, _verifier, _state, _meta, done) =>
          done(new Error('No redirect in this step.')),
        // The caller has matched the state to this browser's flow; a string `ok` is the PKCE verifier.
        verify: (_req, _state, _meta, done) => done(null, flow.codeVerifier ?? true),
      };
      const outcome = await runStrategy(
        provider.strategy(asStateStore(store), flow),
        { query: { code }, body: {} },
        {},
        timeoutMs,
      );
      if (outcome.kind !== 'success') throw providerFailure(provider.name, outcome);
      return outcome.user as ProviderIdentity;
    },
  };
}

/** @types/passport-oauth2 lacks the PKCE variant of the store (with `verifier`) that passport-oauth2 1.8 calls. */
function asStateStore(store: FlowStateStore): StateStore {
  return store as unknown as StateStore;
}
