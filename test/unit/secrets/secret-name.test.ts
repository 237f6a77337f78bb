import { describe, expect, it } from "vitest";
import { SECRET_NAME_MAX, secretNameProblem } from "../../../lib/secrets/secret-name";

const CHARS = "ASCII letters, digits and / _ + = . @ - only";

describe("secretNameProblem: CreateSecret's Name, 1 to 512 of ASCII letters, digits and /_+=.@-", () => {
  it.each([
    ["bm/tenant/prod-jp1", null],
    ["bm/slack", null],
    ["a", null],
    ["AZaz09/_+=.@-", null],
    // A hyphen and six characters at the end only confuses a partial ARN, which bm never uses.
    ["bm/tenant/prod-tokyo1", null],
    ["x".repeat(SECRET_NAME_MAX), null],
    ["", "is empty"],
    ["x".repeat(513), "is 513 characters long; Secrets Manager takes at most 512"],
    ["bm/tenant/prod jp1", `holds " ", which a Secrets Manager name cannot: ${CHARS}`],
    ["bm/slack!", `holds "!", which a Secrets Manager name cannot: ${CHARS}`],
    ["bm/tenant/日本", `holds "日", which a Secrets Manager name cannot: ${CHARS}`],
    ["bm/😀", `holds "😀", which a Secrets Manager name cannot: ${CHARS}`],
    ["bm\\tenant", `holds "\\\\", which a Secrets Manager name cannot: ${CHARS}`],
    ["bm/a:b", `holds ":", which a Secrets Manager name cannot: ${CHARS}`],
    ["bm/a*", `holds "*", which a Secrets Manager name cannot: ${CHARS}`],
    ["bm/a\nb", `holds "\\n", which a Secrets Manager name cannot: ${CHARS}`],
  ])("%j: %s", (name, expected) => {
    expect(secretNameProblem(name)).toBe(expected);
  });

  it("names the first character it refuses", () => {
    expect(secretNameProblem("a b!")).toBe(
      `holds " ", which a Secrets Manager name cannot: ${CHARS}`,
    );
  });
});
