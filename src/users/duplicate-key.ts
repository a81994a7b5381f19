/** The first field of the unique index a MongoDB E11000 error is about, or undefined for other errors. */
export function duplicateKeyField(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, keyPattern, message } = error as {
    code?: unknown;
    keyPattern?: Record<string, unknown>;
    message?: unknown;
  };
  if (code !== 11000) return undefined;
  if (keyPattern && Object.keys(keyPattern).length > 0) return Object.keys(keyPattern)[0];
  // Servers that omit keyPattern still quote the key: "… dup key: { email: "a@b" }", or name the
  // index: "index: email_1 dup key…".
  const text = typeof message === 'string' ? message : '';
  const key = /dup key: \{ "?([\w.]+?)"?: /.exec(text) ?? /index: (\S+?)_-?1\b/.exec(text);
  return key?.[1] ?? '';
}
