/**
 * Jest runs each test file in a realm of its own, but its `structuredClone` is Node's, whose
 * copies are objects of Node's realm: `copy.constructor === Object` is false in the test's.
 * oidc-provider clones the client metadata with it and then requires plain objects (a client's
 * `jwks` keys), so a private_key_jwt client would be refused under Jest only. The copies' plain
 * objects are rebuilt in the test's realm; everything else is Node's clone as it was.
 */
const nodeClone = globalThis.structuredClone;

function inThisRealm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inThisRealm);
  if (value === null || typeof value !== 'object') return value;
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  if (prototype?.constructor?.name !== 'Object' || value.constructor === Object) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inThisRealm(item)]));
}

globalThis.structuredClone = ((value: unknown, options?: Parameters<typeof structuredClone>[1]) =>
  inThisRealm(nodeClone(value, options))) as typeof structuredClone;
