/**
 * Warnings tests need not repeat in every file: oidc-provider says once per import that it prefers
 * Node 22 (it works on 20; see README). Everything else still reaches the console.
 */
const KNOWN = ['oidc-provider WARNING: Unsupported runtime'];

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && KNOWN.some((known) => (args[0] as string).includes(known))) {
    return;
  }
  warn(...args);
};
