import { readProfileFields } from './profile-field-settings';
import { checkProfileData, checkValue, problemMessage } from './profile-values';

const { fields: FIELDS } = readProfileFields(
  JSON.stringify([
    { key: 'company', label: 'Company', type: 'text', required: true, maxLength: 10 },
    { key: 'age', label: 'Age', type: 'integer', min: 0, max: 150 },
    { key: 'height', label: 'Height', type: 'number', min: -1.5, max: 2.5 },
    { key: 'newsletter', label: 'Newsletter', type: 'boolean' },
    { key: 'birthday', label: 'Birthday', type: 'date', min: '1900-01-01', max: '2020-12-31' },
    { key: 'workEmail', label: 'Work email', type: 'email', maxLength: 20 },
    { key: 'website', label: 'Website', type: 'url', maxLength: 30 },
    { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'], required: true },
  ]),
);
const field = (key: string) => FIELDS.find((definition) => definition.key === key)!;

describe('checkValue', () => {
  it.each<[string, unknown, unknown]>([
    ['company', '  Engines ', 'Engines'],
    ['company', 'x'.repeat(10), 'x'.repeat(10)],
    ['company', '🚂'.repeat(10), '🚂'.repeat(10)],
    ['company', 'Ünïcödé ß', 'Ünïcödé ß'],
    ['age', 0, 0],
    ['age', 150, 150],
    ['age', -0, 0],
    ['height', -1.5, -1.5],
    ['height', 2.5, 2.5],
    ['height', 1, 1],
    ['newsletter', true, true],
    ['newsletter', false, false],
    ['birthday', '1900-01-01', '1900-01-01'],
    ['birthday', '2020-02-29', '2020-02-29'],
    ['birthday', '2020-12-31', '2020-12-31'],
    ['workEmail', ' Ada@Engines.TEST ', 'ada@engines.test'],
    ['website', ' https://engines.test/a?b=c ', 'https://engines.test/a?b=c'],
    ['website', 'http://engines.test', 'http://engines.test'],
    ['plan', 'pro', 'pro'],
  ])('accepts %s = %j, stored as %j', (key, value, stored) => {
    expect(checkValue(field(key), value)).toEqual({ value: stored });
  });

  it.each<[string, unknown, string]>([
    ['company', 42, 'must be a string'],
    ['company', ['Engines'], 'must be a string'],
    ['company', { name: 'Engines' }, 'must be a string'],
    ['company', '   ', 'must not be empty (null removes a value)'],
    ['company', 'x'.repeat(11), 'must be at most 10 characters'],
    ['company', 'Engines\u0000', 'must not contain control characters'],
    ['company', 'Eng\nines', 'must not contain control characters'],
    ['company', 'Engines\ud800', 'is not well-formed Unicode text'],
    ['age', '42', 'must be a whole number'],
    ['age', 4.5, 'must be a whole number'],
    ['age', NaN, 'must be a whole number'],
    ['age', Infinity, 'must be a whole number'],
    ['age', 2 ** 53, 'must be a whole number'],
    ['age', true, 'must be a whole number'],
    ['age', -1, 'must be at least 0'],
    ['age', 151, 'must be at most 150'],
    ['height', '1.7', 'must be a number'],
    ['height', 'NaN', 'must be a number'],
    ['height', NaN, 'must be a number'],
    ['height', -Infinity, 'must be a number'],
    ['height', -1.6, 'must be at least -1.5'],
    ['height', 2.6, 'must be at most 2.5'],
    ['newsletter', 'true', 'must be true or false'],
    ['newsletter', 1, 'must be true or false'],
    ['newsletter', 'on', 'must be true or false'],
    ['birthday', '2019-02-29', 'must be a date written YYYY-MM-DD'],
    ['birthday', '1990-1-1', 'must be a date written YYYY-MM-DD'],
    ['birthday', '1990-01-01T00:00:00Z', 'must be a date written YYYY-MM-DD'],
    ['birthday', 631152000000, 'must be a date written YYYY-MM-DD'],
    ['birthday', '1899-12-31', 'must be on or after 1900-01-01'],
    ['birthday', '2021-01-01', 'must be on or before 2020-12-31'],
    ['workEmail', 'ada', 'must be a valid email address'],
    ['workEmail', 'ada@engines', 'must be a valid email address'],
    ['workEmail', 'a'.repeat(12) + '@engines.test', 'must be at most 20 characters'],
    ['workEmail', 7, 'must be a string'],
    ['website', 'engines.test', 'must be an http or https URL'],
    ['website', 'javascript:alert(1)', 'must be an http or https URL'],
    ['website', 'ftp://engines.test', 'must be an http or https URL'],
    ['website', 'https://engines .test', 'must be an http or https URL'],
    ['website', `https://engines.test/${'a'.repeat(20)}`, 'must be at most 30 characters'],
    ['plan', 'enterprise', 'must be one of "free", "pro"'],
    ['plan', 'Pro', 'must be one of "free", "pro"'],
    ['plan', ' pro', 'must be one of "free", "pro"'],
    ['plan', ['pro'], 'must be one of "free", "pro"'],
  ])('refuses %s = %j: %s', (key, value, reason) => {
    expect(checkValue(field(key), value)).toEqual({ reason });
  });
});

describe('checkProfileData', () => {
  const REQUIRED = { company: 'Engines', plan: 'free' };

  it('takes the given values at registration, normalised; null and absent mean none', () => {
    expect(
      checkProfileData(
        FIELDS,
        { ...REQUIRED, age: 36, height: null, workEmail: 'A@B.TEST' },
        'register',
      ),
    ).toEqual({
      changes: { company: 'Engines', age: 36, workEmail: 'a@b.test', plan: 'free' },
      problems: [],
    });
  });

  it('needs every required field at registration', () => {
    const { problems } = checkProfileData(FIELDS, { age: 3 }, 'register');
    expect(problems.map(problemMessage)).toEqual([
      'data.company is required',
      'data.plan is required',
    ]);
    expect(
      checkProfileData(FIELDS, undefined, 'register').problems.map(({ field }) => field),
    ).toEqual(['data.company', 'data.plan']);
  });

  it('changes only the given keys in an update; null removes an optional one', () => {
    expect(checkProfileData(FIELDS, { age: 37, website: null }, 'update')).toEqual({
      changes: { age: 37, website: null },
      problems: [],
    });
    expect(checkProfileData(FIELDS, {}, 'update')).toEqual({ changes: {}, problems: [] });
  });

  it('refuses to remove a required value in an update', () => {
    const { problems } = checkProfileData(FIELDS, { plan: null }, 'update');
    expect(problems.map(problemMessage)).toEqual(['data.plan is required']);
  });

  it('refuses unknown keys first, prototype names included, naming each', () => {
    const input = JSON.parse(
      '{"age": "x", "nickname": "Ada", "__proto__": {"role": "admin"}, "constructor": 1, "toString": 2, "hasOwnProperty": 3}',
    ) as unknown;
    const { changes, problems } = checkProfileData(FIELDS, input, 'update');
    expect(problems.map(problemMessage)).toEqual([
      'Unknown field "data.nickname".',
      'Unknown field "data.__proto__".',
      'Unknown field "data.constructor".',
      'Unknown field "data.toString".',
      'Unknown field "data.hasOwnProperty".',
      'data.age must be a whole number',
    ]);
    expect(problems.map(({ field }) => field)).toContain('data.__proto__');
    expect(changes).toEqual({});
    expect(Object.getPrototypeOf(changes)).toBe(Object.prototype);
  });

  it.each([null, [], 'data', 42, true])('refuses data that is not an object (%j)', (input) => {
    expect(checkProfileData(FIELDS, input, 'update').problems).toEqual([
      { field: 'data', reason: 'must be an object' },
    ]);
  });

  it('reads no inherited key as a value', () => {
    const input = Object.create({ company: 'Inherited', plan: 'pro' }) as object;
    expect(checkProfileData(FIELDS, input, 'register').problems.map(({ field }) => field)).toEqual([
      'data.company',
      'data.plan',
    ]);
  });
});
