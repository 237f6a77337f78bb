/**
 * A count and its noun, in words a person reads: "1 operation", "2 operations", "0 images".
 */

/** `count` and `one` (or `many`, `one` and an s by default) as the count wants it. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
