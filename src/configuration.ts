import { AppConfig } from './config/app-config';
import { Environment, InvalidConfigurationError } from './config/config-area';
import { ProvidersConfig, providersConfig } from './providers/providers-config';

/**
 * The areas of the configuration that have a class of their own, each registered with
 * ConfigModule and injected with `@Inject(area.KEY)`. Listed here, above every area, so that no
 * area needs to know another (src/config knows nothing of sign-in); AppConfig holds the rest.
 */
export const CONFIG_AREAS = [providersConfig] as const;

/** Every area's settings, read from one environment. */
export interface Configuration {
  app: AppConfig;
  providers: ProvidersConfig;
}

/**
 * Reads and checks every area together, so that a mistake anywhere gets one message naming every
 * bad variable (before anything starts: main.ts, the CLI, the tests' app).
 */
export function readConfiguration(env: Environment): Configuration {
  const app = AppConfig.read(env);
  const providers = providersConfig.read(env);
  const problems = [...app.problems, ...providers.problems];
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
  return { app: app.settings, providers: providers.settings };
}

/** Each area's injection token with its settings, for an app built from a given environment. */
export function configurationProviders({
  app,
  providers,
}: Configuration): Array<{ provide: unknown; useValue: object }> {
  return [
    { provide: AppConfig, useValue: app },
    { provide: providersConfig.KEY, useValue: providers },
  ];
}
