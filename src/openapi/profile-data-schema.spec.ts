import type { ProfileFieldDefinition } from '../users/profile-fields/profile-field-settings';
import { checkValue } from '../users/profile-fields/profile-values';
import { profileDataSchema } from './profile-data-schema';

const TEXT: ProfileFieldDefinition = {
  key: 'company',
  label: 'Company',
  type: 'text',
  required: false,
  maxLength: 5,
};

describe('profileDataSchema', () => {
  it('describes a text value as checkValue accepts it: trimmed, 1 to maxLength, no control characters', () => {
    const { properties } = profileDataSchema([TEXT], 'update');
    const pattern = new RegExp((properties!.company as { pattern: string }).pattern, 'u');
    const values = ['Acme', ' Acme ', '', '   ', 'Acme!!', '\tAcme\n', 'Ac\u0000me', '🔑🔑🔑🔑🔑'];
    for (const value of [...values, '🔑🔑🔑🔑🔑🔑', '\u00a0Acme\u3000', 'A\u0085']) {
      expect({ value, described: pattern.test(value) }).toEqual({
        value,
        described: 'value' in checkValue(TEXT, value),
      });
    }
  });

  it('bounds whole numbers by min and max, and by what a JSON number holds exactly', () => {
    const age: ProfileFieldDefinition = {
      key: 'age',
      label: 'Age',
      type: 'integer',
      required: true,
      min: 18,
    };
    const schema = profileDataSchema([age], 'register');
    expect(schema).toEqual({
      type: 'object',
      properties: {
        age: { title: 'Age', type: 'integer', minimum: 18, maximum: Number.MAX_SAFE_INTEGER },
      },
      required: ['age'],
      additionalProperties: false,
    });
    expect('value' in checkValue(age, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect('value' in checkValue(age, Number.MAX_SAFE_INTEGER + 1)).toBe(false);
  });

  it('lets null remove an optional value, never a required one, and asks for required ones at registration only', () => {
    const definitions: ProfileFieldDefinition[] = [
      TEXT,
      { key: 'plan', label: 'Plan', type: 'select', required: true, options: ['free', 'pro'] },
    ];
    const registered = profileDataSchema(definitions, 'register');
    expect(registered.required).toEqual(['plan']);
    expect(registered.properties).toEqual({
      company: expect.objectContaining({ nullable: true }),
      plan: { title: 'Plan', type: 'string', enum: ['free', 'pro'] },
    });
    expect(profileDataSchema(definitions, 'update')).not.toHaveProperty('required');
  });
});
