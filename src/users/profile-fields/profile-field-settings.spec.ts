import { isIsoDate, readProfileFields } from './profile-field-settings';

const read = (fields: unknown) => readProfileFields(JSON.stringify(fields));

/** The problems of one entry given beside a valid one, so its index is 1. */
const problemsOf = (entry: Record<string, unknown>) =>
  read([{ key: 'first', label: 'First', type: 'text' }, entry]).problems;

describe('readProfileFields', () => {
  it('reads nothing from an unset or blank variable', () => {
    expect(readProfileFields(undefined)).toEqual({ fields: [], problems: [] });
    expect(readProfileFields('  ')).toEqual({ fields: [], problems: [] });
    expect(read([])).toEqual({ fields: [], problems: [] });
  });

  it('reads every type, in order, filling in required and maxLength', () => {
    const { fields, problems } = read([
      { key: 'company', label: ' Company ', type: 'text', required: true },
      { key: 'bio', label: 'About you', type: 'text', maxLength: 500 },
      { key: 'age', label: 'Age', type: 'integer', min: 0, max: 150 },
      { key: 'height', label: 'Height', type: 'number', min: 0.5 },
      { key: 'newsletter', label: 'Newsletter', type: 'boolean', required: false },
      { key: 'birthday', label: 'Birthday', type: 'date', min: '1900-01-01', max: '2020-12-31' },
      { key: 'workEmail', label: 'Work email', type: 'email' },
      { key: 'website', label: 'Website', type: 'url' },
      { key: 'plan', label: 'Plan', type: 'select', options: [' free', 'pro'] },
    ]);
    expect(problems).toEqual([]);
    expect(fields).toEqual([
      { key: 'company', label: 'Company', type: 'text', required: true, maxLength: 1000 },
      { key: 'bio', label: 'About you', type: 'text', required: false, maxLength: 500 },
      { key: 'age', label: 'Age', type: 'integer', required: false, min: 0, max: 150 },
      { key: 'height', label: 'Height', type: 'number', required: false, min: 0.5 },
      { key: 'newsletter', label: 'Newsletter', type: 'boolean', required: false },
      {
        key: 'birthday',
        label: 'Birthday',
        type: 'date',
        required: false,
        min: '1900-01-01',
        max: '2020-12-31',
      },
      { key: 'workEmail', label: 'Work email', type: 'email', required: false, maxLength: 254 },
      { key: 'website', label: 'Website', type: 'url', required: false, maxLength: 1000 },
      { key: 'plan', label: 'Plan', type: 'select', required: false, options: ['free', 'pro'] },
    ]);
  });

  it.each([
    ['not JSON', '[{key: "a"}]', /^PROFILE_FIELDS must be a JSON array \(.+\)$/],
    [
      'an object',
      '{"key": "a"}',
      /^PROFILE_FIELDS must be a JSON array of \{key, label, type, …\} objects$/,
    ],
  ])('refuses a variable that is %s', (_case, raw, message) => {
    const { fields, problems } = readProfileFields(raw);
    expect(fields).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(message)]);
  });

  it('refuses more than 40 fields', () => {
    const many = Array.from({ length: 41 }, (_, i) => ({ key: `f${i}`, label: 'F', type: 'text' }));
    expect(read(many).problems).toEqual([
      'PROFILE_FIELDS: at most 40 fields (got 41), so that the forms stay within their limit',
    ]);
    expect(read(many.slice(0, 40)).problems).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'company', 'PROFILE_FIELDS[1] must be an object {key, label, type, …}'],
    ['an array', ['company'], 'PROFILE_FIELDS[1] must be an object {key, label, type, …}'],
    [
      'a select without options',
      { key: 'plan', label: 'Plan', type: 'select' },
      'PROFILE_FIELDS[1].options: a select needs at least one option (field "plan")',
    ],
    [
      'a select with no options',
      { key: 'plan', label: 'Plan', type: 'select', options: [] },
      'PROFILE_FIELDS[1].options: a select needs at least one option (field "plan")',
    ],
    [
      'a select with an empty option',
      { key: 'plan', label: 'Plan', type: 'select', options: ['a', ' '] },
      'PROFILE_FIELDS[1].options: must be an array of texts of 1 to 100 characters on one line (field "plan")',
    ],
    [
      'a select with an option twice',
      { key: 'plan', label: 'Plan', type: 'select', options: ['a', 'a '] },
      'PROFILE_FIELDS[1].options: "a" is listed twice (field "plan")',
    ],
    [
      'a select with 101 options',
      {
        key: 'plan',
        label: 'Plan',
        type: 'select',
        options: Array.from({ length: 101 }, (_, i) => `o${i}`),
      },
      'PROFILE_FIELDS[1].options: at most 100 options (field "plan")',
    ],
    [
      'options on a text',
      { key: 'bio', label: 'Bio', type: 'text', options: ['a'] },
      'PROFILE_FIELDS[1].options: only a select has options (field "bio")',
    ],
    [
      'no key',
      { label: 'Bio', type: 'text' },
      'PROFILE_FIELDS[1].key: is required: a name such as "company"',
    ],
    [
      'a key with a dot',
      { key: 'a.b', label: 'Bio', type: 'text' },
      'PROFILE_FIELDS[1].key: must start with a-z and have at most 40 letters, digits and _ (got "a.b")',
    ],
    [
      'a key starting with $',
      { key: '$where', label: 'Bio', type: 'text' },
      'PROFILE_FIELDS[1].key: must start with a-z and have at most 40 letters, digits and _ (got "$where")',
    ],
    [
      'the key __proto__',
      { key: '__proto__', label: 'Bio', type: 'text' },
      'PROFILE_FIELDS[1].key: must start with a-z and have at most 40 letters, digits and _ (got "__proto__")',
    ],
    [
      'the key constructor',
      { key: 'constructor', label: 'Bio', type: 'text' },
      'PROFILE_FIELDS[1].key: "constructor" is reserved; choose another key',
    ],
    [
      'the key toString',
      { key: 'toString', label: 'Bio', type: 'text' },
      'PROFILE_FIELDS[1].key: "toString" is reserved; choose another key',
    ],
    [
      'a key of 41 characters',
      { key: `a${'b'.repeat(40)}`, label: 'Bio', type: 'text' },
      `PROFILE_FIELDS[1].key: must start with a-z and have at most 40 letters, digits and _ (got "a${'b'.repeat(40)}")`,
    ],
    [
      'a key used twice',
      { key: 'first', label: 'Again', type: 'text' },
      'PROFILE_FIELDS[1].key: "first" is the key of PROFILE_FIELDS[0] already',
    ],
    [
      'no label',
      { key: 'bio', type: 'text' },
      'PROFILE_FIELDS[1].label: is required: 1 to 100 characters on one line (field "bio")',
    ],
    [
      'a label on two lines',
      { key: 'bio', label: 'About\nyou', type: 'text' },
      'PROFILE_FIELDS[1].label: is required: 1 to 100 characters on one line (field "bio")',
    ],
    [
      'an unknown type',
      { key: 'bio', label: 'Bio', type: 'textarea' },
      'PROFILE_FIELDS[1].type: must be one of text, integer, number, boolean, date, email, url, select (got "textarea") (field "bio")',
    ],
    [
      'no type',
      { key: 'bio', label: 'Bio' },
      'PROFILE_FIELDS[1].type: must be one of text, integer, number, boolean, date, email, url, select (got nothing) (field "bio")',
    ],
    [
      'required as a string',
      { key: 'bio', label: 'Bio', type: 'text', required: 'yes' },
      'PROFILE_FIELDS[1].required: must be true or false (field "bio")',
    ],
    [
      'an unknown property',
      { key: 'bio', label: 'Bio', type: 'text', placeholder: 'x' },
      'PROFILE_FIELDS[1].placeholder: unknown property (known: key, label, type, required, options, min, max, maxLength) (field "bio")',
    ],
    [
      'min on a text (its length is maxLength)',
      { key: 'bio', label: 'Bio', type: 'text', min: 2 },
      'PROFILE_FIELDS[1].min: only integer, number and date fields have bounds (the length of text is maxLength) (field "bio")',
    ],
    [
      'max on a boolean',
      { key: 'ok', label: 'OK', type: 'boolean', max: 1 },
      'PROFILE_FIELDS[1].max: only integer, number and date fields have bounds (the length of text is maxLength) (field "ok")',
    ],
    [
      'a fractional min on an integer',
      { key: 'age', label: 'Age', type: 'integer', min: 0.5 },
      'PROFILE_FIELDS[1].min: must be a whole number (field "age")',
    ],
    [
      'a string max on a number',
      { key: 'height', label: 'Height', type: 'number', max: '2' },
      'PROFILE_FIELDS[1].max: must be a number (field "height")',
    ],
    [
      'max below min',
      { key: 'age', label: 'Age', type: 'integer', min: 10, max: 5 },
      'PROFILE_FIELDS[1].max: must not be less than min (field "age")',
    ],
    [
      'a date bound that does not exist',
      { key: 'born', label: 'Born', type: 'date', min: '1900-02-30' },
      'PROFILE_FIELDS[1].min: must be a date written YYYY-MM-DD (field "born")',
    ],
    [
      'a date bound as a number',
      { key: 'born', label: 'Born', type: 'date', max: 2020 },
      'PROFILE_FIELDS[1].max: must be a date written YYYY-MM-DD (field "born")',
    ],
    [
      'date bounds the wrong way round',
      { key: 'born', label: 'Born', type: 'date', min: '2000-01-01', max: '1999-12-31' },
      'PROFILE_FIELDS[1].max: must not be less than min (field "born")',
    ],
    [
      'maxLength on a date',
      { key: 'born', label: 'Born', type: 'date', maxLength: 10 },
      'PROFILE_FIELDS[1].maxLength: only text, email and url fields have a maxLength (field "born")',
    ],
    [
      'a maxLength above the cap',
      { key: 'bio', label: 'Bio', type: 'text', maxLength: 1001 },
      'PROFILE_FIELDS[1].maxLength: must be a whole number from 1 to 1000 (field "bio")',
    ],
    [
      'an email maxLength above 254',
      { key: 'mail', label: 'Mail', type: 'email', maxLength: 255 },
      'PROFILE_FIELDS[1].maxLength: must be a whole number from 1 to 254 (field "mail")',
    ],
    [
      'a maxLength of 0',
      { key: 'bio', label: 'Bio', type: 'url', maxLength: 0 },
      'PROFILE_FIELDS[1].maxLength: must be a whole number from 1 to 1000 (field "bio")',
    ],
  ])('refuses %s, naming the entry and the property', (_case, entry, problem) => {
    expect(problemsOf(entry as Record<string, unknown>)).toEqual([problem]);
  });

  it('reports every problem, and no fields at all then', () => {
    const { fields, problems } = read([
      { key: 'ok', label: 'OK', type: 'text' },
      { key: 'Bad', label: 'Bad', type: 'text' },
      { key: 'plan', label: 'Plan', type: 'select' },
    ]);
    expect(fields).toEqual([]);
    expect(problems).toHaveLength(2);
  });

  it('refuses a __proto__ property, written as JSON', () => {
    const { problems } = readProfileFields(
      '[{"key": "bio", "label": "Bio", "type": "text", "__proto__": {"required": true}}]',
    );
    expect(problems).toEqual([
      'PROFILE_FIELDS[0].__proto__: unknown property (known: key, label, type, required, options, min, max, maxLength) (field "bio")',
    ]);
  });
});

describe('isIsoDate', () => {
  it.each(['2024-02-29', '1900-01-01', '0001-01-01', '0004-02-29', '9999-12-31'])(
    'accepts %s',
    (date) => expect(isIsoDate(date)).toBe(true),
  );
  it.each([
    '2023-02-29',
    '1900-02-29',
    '2024-13-01',
    '2024-00-10',
    '2024-1-1',
    '24-01-01',
    '2024-01-01T00:00',
    ' 2024-01-01',
    '0000-01-01',
  ])('refuses %s', (date) => expect(isIsoDate(date)).toBe(false));
});
