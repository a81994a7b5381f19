import 'reflect-metadata';
import { ConfigFactoryKeyHost, registerAs } from '@nestjs/config';
import { AppConfig } from './app-config';
import {
  AreaReading,
  Environment,
  readSettingsClass,
  validSettings,
  variablesOf,
} from './settings-class';

export * from './settings-class';

/**
 * One area of the configuration: a validated class of its own, injectable on its own
 * (`@Inject(area.KEY)`, registered with ConfigModule's `load`), and readable without Nest so that
 * start-up can check every area together and name every bad variable in one message.
 */
export type ConfigArea<Settings extends object> = (() => Settings) &
  ConfigFactoryKeyHost<Settings> & {
    /** The variables this area's class reads (besides any its completion reads by pattern). */
    variables: string[];
    read(env: Environment): AreaReading<Settings>;
    /** The settings, or one error naming every problem. */
    fromEnvironment(env: Environment): Settings;
  };

/**
 * What an area works out once each variable is valid on its own: settings derived from several
 * variables (filled into `settings`), and the problems of variables taken together, including
 * those that depend on the platform's settings (NODE_ENV=production requirements, PUBLIC_URL).
 * The platform's own problems are reported by the platform, not again by each area.
 */
export type AreaCompletion<Settings> = (
  settings: Settings,
  context: { env: Environment; invalid: string[]; platform: AppConfig },
) => string[];

export function configArea<Settings extends object>(
  name: string,
  type: new () => Settings,
  complete: AreaCompletion<Settings> = () => [],
): ConfigArea<Settings> {
  const read = (env: Environment): AreaReading<Settings> => {
    const { settings, problems, invalid } = readSettingsClass(type, env);
    const platform = AppConfig.read(env).settings;
    return {
      settings,
      problems: [...problems, ...complete(settings, { env, invalid, platform })],
    };
  };
  const fromEnvironment = (env: Environment) => validSettings(read(env));
  const factory = registerAs(name, () => fromEnvironment(process.env));
  return Object.assign(factory, { variables: variablesOf(type), read, fromEnvironment });
}
