import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { mainConstraintMessage } from '../http/main-constraint';

/** Raw environment variables, as process.env holds them. */
export type Environment = Record<string, string | undefined>;

/** One area's settings read from the environment, and what is wrong with them (nothing: valid). */
export interface AreaReading<Settings> {
  settings: Settings;
  problems: string[];
}

export function variablesOf(type: new () => object): string[] {
  return Object.keys(new type()).filter((key) => key === key.toUpperCase());
}

/** The settings, or one error naming every problem. */
export function validSettings<Settings>({ settings, problems }: AreaReading<Settings>): Settings {
  if (problems.length > 0) throw new InvalidConfigurationError(problems);
  return settings;
}

export class InvalidConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfigurationError';
  }
}

/**
 * A settings class filled from the variables named like its upper-case properties (defaults for the
 * others) and validated with its decorators; `invalid` lists the properties that failed.
 */
export function readSettingsClass<Settings extends object>(
  type: new () => Settings,
  env: Environment,
): AreaReading<Settings> & { invalid: string[] } {
  const known = variablesOf(type);
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => value !== undefined && known.includes(key)),
  );
  const settings = plainToInstance(type, relevant, { exposeDefaultValues: true });
  const errors = validateSync(settings, { whitelist: true, forbidUnknownValues: false });
  return {
    settings,
    problems: errors.map((error) => describe(error, relevant[error.property])),
    invalid: errors.map(({ property }) => property),
  };
}

/** One line per bad variable, with the value as given unless it may be a secret. */
function describe(error: ValidationError, raw: string | undefined): string {
  const message = mainConstraintMessage(error.constraints) ?? 'is invalid';
  // Values of secret-looking variables are never echoed: this message goes to the logs.
  // WEBHOOK_URLS: a receiver's URL often carries its own token.
  const secret = /(URI|SECRET|KEY|TOKEN|SMTP_URL|WEBHOOK_URLS)$/.test(error.property);
  const shown = raw !== undefined && !secret ? ` (got "${raw}")` : '';
  return `${message.startsWith(error.property) ? message : `${error.property}: ${message}`}${shown}`;
}

/** A comma-separated list, items trimmed, empty ones dropped. */
export const splitList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : value;

export const stripTrailingSlash = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().replace(/\/+$/, '') : value;

export const emptyAsUnset = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
