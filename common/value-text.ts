/** Text of a value, as ironic-inspector's str(field): strings as they are, JSON-style for the rest. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
