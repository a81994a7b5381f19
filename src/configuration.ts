import { AppConfig } from './platform/config/app-config';
import {
  AreaReading,
  Environment,
  InvalidConfigurationError,
  variablesOf,
} from './platform/config/config-area';
import {
  ProvidersConfig,
  providersConfig,
} from './sign-in/methods/identities/providers/providers-config';
import { WebhooksConfig, webhooksConfig } from './audit/webhooks/webhooks-config';
import { OpenIdConfig, openIdConfig } from './openid/openid-config';
import { EmailConfig, emailConfig } from './email/email-config';
import { AdminConfig, adminConfig } from './admin/admin-config';
import {
  ProfileFieldsConfig,
  profileFieldsConfig,
} from './users/profile-fields/profile-fields-config';
import { PasswordConfig, passwordConfig } from './sign-in/methods/password/password-config';
import { SignInConfig, signInConfig } from './sign-in/sign-in-config';
import { EventsConfig, eventsConfig } from './audit/events/events-config';
import { TwoStepConfig, twoStepConfig } from './sign-in/two-step/two-step-config';

/**
 * The areas of the configuration that have a class of their own, each registered with
 * ConfigModule and injected with `@Inject(area.KEY)`. Listed here, above every area, so that no
 * area needs to know another (src/platform/config knows nothing of sign-in); AppConfig holds the
 * platform's settings, which every area may use.
 */
export const CONFIG_AREAS = [
  providersConfig,
  webhooksConfig,
  openIdConfig,
  emailConfig,
  adminConfig,
  profileFieldsConfig,
  passwordConfig,
  signInConfig,
  eventsConfig,
  twoStepConfig,
] as const;

/** Every area's settings, read from one environment. */
export interface Configuration {
  app: AppConfig;
  providers: ProvidersConfig;
  webhooks: WebhooksConfig;
  openid: OpenIdConfig;
  email: EmailConfig;
  admin: AdminConfig;
  profileFields: ProfileFieldsConfig;
  password: PasswordConfig;
  signIn: SignInConfig;
  events: EventsConfig;
  twoStep: TwoStepConfig;
}

/**
 * Reads and checks every area together, so that a mistake anywhere gets one message naming every
 * bad variable (before anything starts: main.ts, the CLI, the tests' app).
 */
export function readConfiguration(env: Environment): Configuration {
  const readings = {
    app: AppConfig.read(env),
    providers: providersConfig.read(env),
    webhooks: webhooksConfig.read(env),
    openid: openIdConfig.read(env),
    email: emailConfig.read(env),
    admin: adminConfig.read(env),
    profileFields: profileFieldsConfig.read(env),
    password: passwordConfig.read(env),
    signIn: signInConfig.read(env),
    events: eventsConfig.read(env),
    twoStep: twoStepConfig.read(env),
  };
  const problems = Object.values(readings).flatMap(
    (reading: AreaReading<object>) => reading.problems,
  );
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
  return {
    app: readings.app.settings,
    providers: readings.providers.settings,
    webhooks: readings.webhooks.settings,
    openid: readings.openid.settings,
    email: readings.email.settings,
    admin: readings.admin.settings,
    profileFields: readings.profileFields.settings,
    password: readings.password.settings,
    signIn: readings.signIn.settings,
    events: readings.events.settings,
    twoStep: readings.twoStep.settings,
  };
}

/** Each area's injection token with its settings, for an app built from a given environment. */
export function configurationProviders(
  configuration: Configuration,
): Array<{ provide: unknown; useValue: object }> {
  return [
    { provide: AppConfig, useValue: configuration.app },
    { provide: providersConfig.KEY, useValue: configuration.providers },
    { provide: webhooksConfig.KEY, useValue: configuration.webhooks },
    { provide: openIdConfig.KEY, useValue: configuration.openid },
    { provide: emailConfig.KEY, useValue: configuration.email },
    { provide: adminConfig.KEY, useValue: configuration.admin },
    { provide: profileFieldsConfig.KEY, useValue: configuration.profileFields },
    { provide: passwordConfig.KEY, useValue: configuration.password },
    { provide: signInConfig.KEY, useValue: configuration.signIn },
    { provide: eventsConfig.KEY, useValue: configuration.events },
    { provide: twoStepConfig.KEY, useValue: configuration.twoStep },
  ];
}

/** The name of every variable the areas' classes read (not those found by pattern: OIDC_<KEY>_*). */
export function configurationVariables(): string[] {
  return [...variablesOf(AppConfig), ...CONFIG_AREAS.flatMap(({ variables }) => variables)];
}
