import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { InvalidConfigurationError } from './platform/config/config-area';
import { readConfiguration } from './configuration';

describe('readConfiguration', () => {
  it('reads every area from one environment', () => {
    const { app, providers } = readConfiguration({
      PORT: '4000',
      GITHUB_CLIENT_ID: 'id',
      GITHUB_CLIENT_SECRET: 'secret',
      PROVIDER_TIMEOUT_SECONDS: '5',
    });
    expect(app.PORT).toBe(4000);
    expect(providers.providers.map(({ key }) => key)).toEqual(['github']);
    expect(providers.PROVIDER_TIMEOUT_SECONDS).toBe(5);
  });

  it('names every bad variable in one error', () => {
    const attempt = () =>
      readConfiguration({
        PORT: 'eighty',
        PASSWORD_MIN_LENGTH: '6',
        PUBLIC_URL: 'not a url',
      });
    expect(attempt).toThrow(InvalidConfigurationError);
    try {
      attempt();
    } catch (error) {
      const { message } = error as Error;
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/eighty/);
      expect(message).toMatch(/PASSWORD_MIN_LENGTH must not be less than 8/);
      expect(message).toMatch(/PUBLIC_URL/);
    }
  });

  it("names every area's bad variables in one error", () => {
    const attempt = () =>
      readConfiguration({
        PORT: 'eighty',
        GOOGLE_CLIENT_ID: 'id',
        PROVIDER_TIMEOUT_SECONDS: '0',
        OIDC_PROVIDERS: 'login',
      });
    expect(attempt).toThrow(InvalidConfigurationError);
    const problems = problemsOf(attempt);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT/),
        'GOOGLE_CLIENT_SECRET must be set when the other GOOGLE credential is (or unset both)',
        'PROVIDER_TIMEOUT_SECONDS must not be less than 1 (got "0")',
        'OIDC_PROVIDERS: "login" is reserved; choose another key',
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it("checks an area's production requirements against the platform's NODE_ENV, in the same error", () => {
    const problems = problemsOf(() =>
      readConfiguration({
        NODE_ENV: 'production',
        MONGODB_URI: 'mongodb://db/accounts',
        OIDC_CLIENTS: JSON.stringify([
          {
            client_id: 'notes',
            client_secret: 'a-secret-that-is-long-enough-for-this',
            redirect_uris: ['https://notes.example.com/callback'],
          },
        ]),
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^CSRF_SECRET is required when NODE_ENV=production/),
        expect.stringMatching(/^OIDC_KEY_SECRET is required when NODE_ENV=production/),
        expect.stringMatching(/^SMTP_URL and MAIL_FROM are required when NODE_ENV=production/),
        expect.stringMatching(/^TWO_STEP_SECRET is required when NODE_ENV=production/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });
});

function problemsOf(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof InvalidConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('src/platform', () => {
  // The platform (configuration, database, HTTP, logging …) sits below every area, and every area
  // imports it: it imports none of them back (the providers' settings live beside the providers).
  it('imports nothing from the areas above it', () => {
    const platform = join(__dirname, 'platform');
    const files = readdirSync(platform, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.ts'),
    );
    const outside = files.flatMap((file) =>
      [...readFileSync(join(platform, file), 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)]
        .map(([, path]) => relative(platform, join(platform, dirname(file), path)))
        .filter((target) => target.startsWith('..'))
        .map((target) => `${file} imports ${target}`),
    );
    expect(files.length).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });
});
