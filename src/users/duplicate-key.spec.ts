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

  it('reads the field of a named or compound index from the quoted key', () => {
    const email =
      'E11000 duplicate key error collection: db.users index: email_unique dup key: { email: "ADA@x.test" }';
    expect(duplicateKeyField({ code: 11000, message: email })).toBe('email');
    const identity =
      'E11000 duplicate key error collection: db.users index: identity_unique dup key: { identities.provider: "google", identities.subject: "1" }';
    expect(duplicateKeyField({ code: 11000, message: identity })).toBe('identities.provider');
  });

  it('is undefined for other errors', () => {
    expect(duplicateKeyField(new Error('boom'))).toBeUndefined();
    expect(duplicateKeyField({ code: 11001 })).toBeUndefined();
    expect(duplicateKeyField(null)).toBeUndefined();
  });
});
