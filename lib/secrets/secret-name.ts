/**
 * What AWS Secrets Manager takes as a secret's name: checked before a deploy, so a policy naming
 * a secret nobody could create is refused then, not found by a user at the first detach.
 */

/**
 * The longest name Secrets Manager takes: CreateSecret's `Name` is 1 to 512 characters (its
 * service model, `NameType`).
 */
export const SECRET_NAME_MAX = 512;

/** CreateSecret's `Name`: ASCII letters, digits and `/_+=.@-`, nothing else (one character). */
const ALLOWED = /[A-Za-z0-9/_+=.@-]/;

/**
 * Why Secrets Manager would refuse `name` as a secret's name, or null when it takes it. Names
 * the first character it refuses, never more of the name than the caller gave.
 */
export function secretNameProblem(name: string): string | null {
  if (name.length === 0) return "is empty";
  if (name.length > SECRET_NAME_MAX)
    return `is ${name.length} characters long; Secrets Manager takes at most ${SECRET_NAME_MAX}`;
  // By code point: a character outside the BMP is one character, named whole.
  const refused = [...name].find((c) => !ALLOWED.test(c));
  if (refused !== undefined)
    return `holds ${JSON.stringify(refused)}, which a Secrets Manager name cannot: ASCII letters, digits and / _ + = . @ - only`;
  return null;
}
