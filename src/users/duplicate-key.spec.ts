import { duplicateKeyField } from './duplicate-key';

describe('duplicateKeyField', () => {
  it('reads the field from keyPattern when the server sends it', () => {
    expect(duplicateKeyField({ code: 11000, keyPattern: { email: 1 }, message: 'E11000' })).toBe(
      'email',
    );
  });

  it('reads the field from the index name in the message otherwise', () => {
    const message =
      'E11000 duplicate key error collection: db.users index: username_1 dup key: { username: "ada" }';
    expect(duplicateKeyField({ code: 11000, message })).toBe('username');
  });

  it('is undefined for other errors', () => {
    expect(duplicateKeyField(new Error('boom'))).toBeUndefined();
    expect(duplicateKeyField({ code: 11001 })).toBeUndefined();
    expect(duplicateKeyField(null)).toBeUndefined();
  });
});
