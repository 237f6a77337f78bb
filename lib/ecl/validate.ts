/**
 * Validation of ids and names that come from users, before any of them reaches a URL.
 */

import { BmError } from "../errors";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Server names: what ECL's own examples use, and nothing that needs quoting in a path or query. */
const SERVER_NAME = /^[A-Za-z0-9._-]{1,255}$/;

/** A user gave an id or a name that cannot be right. The message is safe to show to that user. */
export class InvalidInputError extends BmError {
  override readonly name = "InvalidInputError";
  readonly passing = false;
  readonly forUsers = true;
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** True for a UUID in its 8-4-4-4-12 form, in either case. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Checks an image id (`imageRef`) and returns it in lower case.
 * @throws InvalidInputError when it is not a UUID.
 */
export function parseImageId(value: string): string {
  if (!isUuid(value)) {
    throw new InvalidInputError(
      "image",
      `the image must be an image id (a UUID), not "${show(value)}"`,
    );
  }
  return value.toLowerCase();
}

/**
 * Checks a server reference: a UUID, or a name of 1 to 255 letters, digits, dots, dashes and
 * underscores.
 * @throws InvalidInputError otherwise.
 */
export function parseServerRef(value: string): { id: string } | { name: string } {
  if (isUuid(value)) return { id: value.toLowerCase() };
  if (SERVER_NAME.test(value)) return { name: value };
  throw new InvalidInputError(
    "server",
    value.length === 0
      ? "a server name or id is required"
      : `"${show(value)}" is not a server name bm accepts (1 to 255 letters, digits, ".", "-", "_"); use the server's id instead`,
  );
}

/** A bounded, printable echo of what the user typed. */
function show(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 60 ? `${printable.slice(0, 60)}…` : printable;
}
