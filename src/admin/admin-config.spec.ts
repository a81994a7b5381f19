import { adminConfig } from './admin-config';

describe('adminConfig.fromEnvironment', () => {
  it.each([
    ['ADMIN_RATE_LIMIT', '0'],
    ['ADMIN_RATE_LIMIT', 'many'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => adminConfig.fromEnvironment({ [name]: value })).toThrow(new RegExp(name));
  });

  it('allows 600 admin API requests a minute from one caller by default', () => {
    expect(adminConfig.fromEnvironment({}).ADMIN_RATE_LIMIT).toBe(600);
    expect(adminConfig.fromEnvironment({ ADMIN_RATE_LIMIT: '5' }).ADMIN_RATE_LIMIT).toBe(5);
  });
});
