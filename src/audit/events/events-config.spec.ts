import { eventsConfig } from './events-config';

describe('eventsConfig.fromEnvironment', () => {
  it('keeps events 90 days by default, or EVENTS_RETENTION_DAYS', () => {
    expect(eventsConfig.fromEnvironment({}).EVENTS_RETENTION_DAYS).toBe(90);
    expect(eventsConfig.fromEnvironment({ EVENTS_RETENTION_DAYS: '7' }).EVENTS_RETENTION_DAYS).toBe(
      7,
    );
  });

  it.each(['0', '3651', 'a week'])('refuses EVENTS_RETENTION_DAYS=%s', (value) => {
    expect(() => eventsConfig.fromEnvironment({ EVENTS_RETENTION_DAYS: value })).toThrow(
      /EVENTS_RETENTION_DAYS/,
    );
  });
});
