/** What each OpenID Connect scope lets an app see or do, in plain words. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know who you are here (your account ID)',
  profile: 'See your name and username',
  email: 'See your email address, and whether it is confirmed',
  data: 'See the details of your profile',
  offline_access: "Keep its access while you're not using it (it stays signed in)",
};

/** A scope in plain words: an OpenID Connect one, or an API's (by its address when known). */
export function scopeWords(scope: string, resource?: string): string {
  return (
    SCOPE_WORDS[scope] ??
    (resource ? `Use ${resource} for you: ${scope}` : `Use an API for you: ${scope}`)
  );
}
