/** Constraints that say what type a value must have; when one fails, the others are noise. */
const TYPE_CHECKS = [
  'isDefined',
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isObject',
  'isArray',
];

/** The one message worth showing for a failed property: its type error if any, else the first. */
export function mainConstraintMessage(
  constraints: Record<string, string> | undefined,
): string | undefined {
  if (!constraints) return undefined;
  const typeCheck = TYPE_CHECKS.find((name) => name in constraints);
  return constraints[typeCheck ?? Object.keys(constraints)[0]];
}
