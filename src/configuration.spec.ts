import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidConfigurationError } from './config/config-area';
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

describe('src/config', () => {
  // The configuration sits below every other part (platform); sign-in imports it, so it must not
  // import sign-in back: the providers' settings live beside the providers.
  it('imports nothing of sign-in', () => {
    const dir = join(__dirname, 'config');
    const imports = readdirSync(dir)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) =>
        [...readFileSync(join(dir, file), 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)].map(
          ([, path]) => `${file}: ${path}`,
        ),
      );
    expect(
      imports.filter((line) => /'?\.\.\/(providers|social|auth|linking)\//.test(line)),
    ).toEqual([]);
  });
});
