import { readProfileFields } from '../users/profile-fields/profile-field-settings';
import { profileFormValues, profileInputs, readProfileForm } from './profile-form';

const { fields: FIELDS } = readProfileFields(
  JSON.stringify([
    { key: 'company', label: 'Company', type: 'text', required: true },
    { key: 'age', label: 'Age', type: 'integer', min: 0 },
    { key: 'height', label: 'Height', type: 'number' },
    { key: 'newsletter', label: 'Newsletter', type: 'boolean' },
    { key: 'birthday', label: 'Birthday', type: 'date', max: '2020-12-31' },
    { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'] },
  ]),
);

describe('readProfileForm', () => {
  it('turns the strings a form sends into each type', () => {
    const result = readProfileForm(
      FIELDS,
      {
        'data.company': ' Engines ',
        'data.age': ' 36 ',
        'data.height': '-1.5e0',
        'data.newsletter': 'true',
        'data.birthday': '1990-12-10',
        'data.plan': 'pro',
      },
      'register',
    );
    expect(result.errors).toEqual({});
    expect(result.changes).toEqual({
      company: 'Engines',
      age: 36,
      height: -1.5,
      newsletter: true,
      birthday: '1990-12-10',
      plan: 'pro',
    });
  });

  it.each([
    ['data.age', '4.5', 'Age must be a whole number.'],
    ['data.age', '1e3', 'Age must be a whole number.'],
    ['data.age', '99999999999999999999', 'Age must be a whole number.'],
    ['data.age', '-1', 'Age must be at least 0.'],
    ['data.height', 'NaN', 'Height must be a number.'],
    ['data.height', 'Infinity', 'Height must be a number.'],
    ['data.height', '1e999', 'Height must be a number.'],
    ['data.height', '0x10', 'Height must be a number.'],
    ['data.height', '1,5', 'Height must be a number.'],
    ['data.newsletter', 'yes', 'Newsletter must be true or false.'],
    ['data.birthday', '10/12/1990', 'Birthday must be a date written YYYY-MM-DD.'],
    ['data.birthday', '2021-01-01', 'Birthday must be on or before 2020-12-31.'],
    ['data.plan', 'enterprise', 'Plan must be one of "free", "pro".'],
  ])('shows %s = %j as "%s", keeping what was typed', (name, typed, message) => {
    const result = readProfileForm(FIELDS, { 'data.company': 'E', [name]: typed }, 'register');
    expect(result.errors).toEqual({ [name]: message });
    expect(result.typed[name]).toBe(name === 'data.newsletter' ? '' : typed);
  });

  it('at registration: empty fields are absent, an unticked box is false, required ones asked for', () => {
    const result = readProfileForm(FIELDS, { 'data.company': '  ', 'data.age': '' }, 'register');
    expect(result.errors).toEqual({ 'data.company': 'Please fill in this field.' });
    expect(result.changes).toEqual({ newsletter: false });
  });

  it('in the settings: an emptied field is removed, one not sent stays, an unticked box is false', () => {
    const result = readProfileForm(
      FIELDS,
      { 'data.company': 'Engines', 'data.age': '', 'data.plan': ' ' },
      'update',
    );
    expect(result.errors).toEqual({});
    expect(result.changes).toEqual({
      company: 'Engines',
      age: null,
      newsletter: false,
      plan: null,
    });
  });

  it('in the settings: a required field may not be emptied', () => {
    const result = readProfileForm(FIELDS, { 'data.company': '' }, 'update');
    expect(result.errors).toEqual({ 'data.company': 'Please fill in this field.' });
  });

  it('reads a field sent twice as nothing typed, and ignores every other name', () => {
    const result = readProfileForm(
      FIELDS,
      { 'data.company': ['a', 'b'], 'data.nickname': 'Ada', __proto__: 'x', data: 'y' },
      'update',
    );
    expect(result.errors).toEqual({ 'data.company': 'Please fill in this field.' });
    expect(Object.keys(result.changes)).toEqual(['newsletter']);
  });
});

describe('profileInputs', () => {
  it('draws stored values, options and bounds, marking the fields asked for', () => {
    const values = profileFormValues({ company: 'Engines', age: 0, newsletter: true, plan: 'pro' });
    const inputs = profileInputs(FIELDS, values, { 'data.age': 'Age must be …' }, 'required');
    expect(
      inputs.map(({ name, inputType, value, checked, hint, error }) => ({
        name,
        inputType,
        value,
        checked,
        hint,
        error,
      })),
    ).toEqual([
      {
        name: 'data.company',
        inputType: 'text',
        value: 'Engines',
        checked: false,
        hint: '(required)',
        error: undefined,
      },
      {
        name: 'data.age',
        inputType: 'number',
        value: '0',
        checked: false,
        hint: undefined,
        error: 'Age must be …',
      },
      {
        name: 'data.height',
        inputType: 'number',
        value: '',
        checked: false,
        hint: undefined,
        error: undefined,
      },
      {
        name: 'data.newsletter',
        inputType: 'checkbox',
        value: 'true',
        checked: true,
        hint: undefined,
        error: undefined,
      },
      {
        name: 'data.birthday',
        inputType: 'date',
        value: '',
        checked: false,
        hint: undefined,
        error: undefined,
      },
      {
        name: 'data.plan',
        inputType: undefined,
        value: 'pro',
        checked: false,
        hint: undefined,
        error: undefined,
      },
    ]);
    expect(inputs[1]).toMatchObject({ step: '1', min: '0', max: undefined });
    expect(inputs[2]).toMatchObject({ step: 'any' });
    expect(inputs[4]).toMatchObject({ max: '2020-12-31' });
    expect(inputs[5].options).toEqual([
      { value: 'free', selected: false },
      { value: 'pro', selected: true },
    ]);
    expect(profileInputs(FIELDS, {}, {}, 'optional').map(({ hint }) => hint)).toEqual([
      undefined,
      '(optional)',
      '(optional)',
      undefined,
      '(optional)',
      '(optional)',
    ]);
  });
});
