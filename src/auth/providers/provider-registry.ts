import { Injectable } from '@nestjs/common';
import type { Strategy } from 'passport';
import { AppError } from '../../common/app-error';
import { AppConfig } from '../../config/app-config';
import { SignInFlows } from '../social/sign-in-flows.service';
import { facebookProvider } from './facebook.provider';
import { githubProvider } from './github.provider';
import { googleProvider } from './google.provider';
import { oidcProvider } from './oidc.provider';
import { enabledProviders, ProviderInfo } from './provider-catalog';
import { ProviderDefinition } from './provider-definition';

const BUILT_IN: Record<string, (config: AppConfig) => ProviderDefinition> = {
  google: googleProvider,
  github: githubProvider,
  facebook: facebookProvider,
};

/** The enabled providers and their passport strategies, built on first use. */
@Injectable()
export class ProviderRegistry {
  private readonly providers: ProviderInfo[];
  private readonly definitions = new Map<string, ProviderDefinition>();
  private readonly strategies = new Map<string, Promise<Strategy>>();

  constructor(
    private readonly config: AppConfig,
    private readonly flows: SignInFlows,
  ) {
    this.providers = enabledProviders(config);
    for (const { key } of this.providers) {
      const oidc = config.oidcProviders.find((settings) => settings.key === key);
      this.definitions.set(key, oidc ? oidcProvider(oidc, flows) : BUILT_IN[key](config));
    }
  }

  list(): ProviderInfo[] {
    return this.providers;
  }

  /** The provider for a route key; 404 when no enabled provider has it. */
  get(key: string): ProviderInfo {
    const provider = this.providers.find((candidate) => candidate.key === key);
    if (!provider) throw new AppError('UNKNOWN_PROVIDER', `There is no sign-in provider "${key}".`);
    return provider;
  }

  /**
   * The provider's strategy. OIDC strategies read the issuer's discovery document first; if that
   * fails, the next sign-in tries again rather than keeping the failure.
   */
  strategy(key: string): Promise<Strategy> {
    this.get(key);
    let strategy = this.strategies.get(key);
    if (!strategy) {
      strategy = this.definitions.get(key)!.createStrategy({
        callbackURL: `${this.config.publicUrl}/auth/${key}/callback`,
        oauth2Store: this.flows.oauth2Store(key),
        oidcStore: this.flows.oidcStore(key),
        timeoutMs: this.config.PROVIDER_TIMEOUT_SECONDS * 1000,
      });
      this.strategies.set(key, strategy);
      strategy.catch(() => this.strategies.delete(key));
    }
    return strategy;
  }
}
