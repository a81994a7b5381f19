import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../../../platform/http/app-error';
import { AppConfig } from '../../../platform/config/app-config';
import type { ProviderClient } from './providers/provider-client';
import { createProviderClient } from './providers/provider-kinds';
import { ProvidersConfig, providersConfig } from './providers/providers-config';

/** An enabled provider and its client. */
export interface EnabledProvider {
  key: string;
  name: string;
  client: ProviderClient;
}

/** The client of every enabled provider, by key. */
@Injectable()
export class ProviderClients {
  private readonly providers: EnabledProvider[];

  constructor(config: AppConfig, @Inject(providersConfig.KEY) area: ProvidersConfig) {
    this.providers = area.providers.map((settings) => ({
      key: settings.key,
      name: settings.name,
      client: createProviderClient(settings, {
        callbackURL: `${config.publicUrl}/auth/${settings.key}/callback`,
        timeoutMs: area.PROVIDER_TIMEOUT_SECONDS * 1000,
      }),
    }));
  }

  list(): Array<{ key: string; name: string }> {
    return this.providers.map(({ key, name }) => ({ key, name }));
  }

  /** The provider for a route key; 404 UNKNOWN_PROVIDER when no enabled provider has it. */
  get(key: string): EnabledProvider {
    const provider = this.providers.find((candidate) => candidate.key === key);
    if (!provider) throw new AppError('UNKNOWN_PROVIDER', `There is no sign-in provider "${key}".`);
    return provider;
  }
}
