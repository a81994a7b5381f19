/** A profile field's value, stored normalised by its type (see PROFILE_FIELDS). */
export type ProfileValue = string | number | boolean;

/** An account's values of the profile fields, by key. */
export type ProfileData = Record<string, ProfileValue>;

/** Changes to the values: null removes a key. */
export type ProfileDataChanges = Record<string, ProfileValue | null>;

const isProfileValue = (value: unknown): value is ProfileValue =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/**
 * An account's profile data as the API shows it (GET /me, and later the OIDC userinfo with the
 * `data` scope): a fresh object, `{}` for accounts without any. Values of keys an operator has
 * since removed from PROFILE_FIELDS are still shown: a configuration change deletes nothing.
 */
export function profileDataOf(user: { data?: unknown }): ProfileData {
  const { data } = user;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
  return Object.fromEntries(
    Object.entries(data as Record<string, unknown>).filter(
      (entry): entry is [string, ProfileValue] => isProfileValue(entry[1]),
    ),
  );
}
