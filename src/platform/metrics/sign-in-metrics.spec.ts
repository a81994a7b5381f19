import { Registry } from 'prom-client';
import { AppError } from '../http/app-error';
import { SignInMetrics } from './sign-in-metrics';

describe('SignInMetrics', () => {
  let registry: Registry;
  let metrics: SignInMetrics;
  const count = async (method: string, outcome: string) => {
    const { values } = await registry.getSingleMetric('sign_ins_total')!.get();
    return values.find((v) => v.labels.method === method && v.labels.outcome === outcome)?.value;
  };

  beforeEach(() => {
    registry = new Registry();
    metrics = new SignInMetrics(registry);
  });

  it('counts a success and passes the result through', async () => {
    await expect(metrics.track('password', Promise.resolve('user'))).resolves.toBe('user');
    expect(await count('password', 'success')).toBe(1);
  });

  it.each([
    ['INVALID_CREDENTIALS', 'failure'],
    ['PROVIDER_DENIED', 'failure'],
    ['INVALID_ID_TOKEN', 'failure'],
    ['TOO_MANY_REQUESTS', 'refused'],
    ['SIGN_IN_LOCKED', 'refused'],
    ['BUSY', 'refused'],
    ['PROVIDER_UNAVAILABLE', 'refused'],
  ] as const)('counts %s as %s and rethrows it', async (code, outcome) => {
    const error = new AppError(code, 'no');
    await expect(metrics.track('github', Promise.reject(error))).rejects.toBe(error);
    expect(await count('github', outcome)).toBe(1);
  });

  it('does not count an unexpected error', async () => {
    await expect(metrics.track('password', Promise.reject(new Error('boom')))).rejects.toThrow();
    const { values } = await registry.getSingleMetric('sign_ins_total')!.get();
    expect(values).toEqual([]);
  });
});
