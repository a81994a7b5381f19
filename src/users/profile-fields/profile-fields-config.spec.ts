import { readConfiguration } from '../../configuration';
import { InvalidConfigurationError } from '../../platform/config/config-area';
import { profileFieldsConfig } from './profile-fields-config';

describe('profileFieldsConfig', () => {
  it('keeps the definitions', () => {
    const config = profileFieldsConfig.fromEnvironment({
      PROFILE_FIELDS: '[{"key": "company", "label": "Company", "type": "text"}]',
    });
    expect(config.profileFields).toEqual([
      { key: 'company', label: 'Company', type: 'text', required: false, maxLength: 1000 },
    ]);
    expect(profileFieldsConfig.fromEnvironment({}).profileFields).toEqual([]);
  });

  it('stops start-up with every problem named, beside those of other variables', () => {
    const attempt = () =>
      readConfiguration({
        PORT: 'eighty',
        PROFILE_FIELDS: JSON.stringify([
          { key: 'a', label: 'A', type: 'text' },
          { key: 'b', label: 'B', type: 'text' },
          { key: 'plan', label: 'Plan', type: 'select', options: [] },
        ]),
      });
    expect(attempt).toThrow(InvalidConfigurationError);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(
      /PROFILE_FIELDS\[2\]\.options: a select needs at least one option \(field "plan"\)/,
    );
  });
});
