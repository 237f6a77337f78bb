import { describe, expect, it } from "vitest";
import { InvalidInputError, isUuid, parseImageId, parseServerRef } from "../../../lib/ecl/validate";

describe("isUuid", () => {
  it.each([
    ["3339fd5f-ec06-4ef8-9337-c1c70218a748", true],
    ["3339FD5F-EC06-4EF8-9337-C1C70218A748", true],
    ["3339fd5fec064ef89337c1c70218a748", false],
    ["3339fd5f-ec06-4ef8-9337-c1c70218a74", false],
    ["3339fd5f-ec06-4ef8-9337-c1c70218a748 ", false],
    ["../../servers", false],
    // A prefix or a suffix on an id would reach an ECL URL: the pattern is anchored at both ends.
    ["../3339fd5f-ec06-4ef8-9337-c1c70218a748", false],
    ["x3339fd5f-ec06-4ef8-9337-c1c70218a748", false],
    ["3339fd5f-ec06-4ef8-9337-c1c70218a748/..", false],
    ["3339fd5f-ec06-4ef8-9337-c1c70218a748x", false],
    ["", false],
  ])("%s → %s", (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});

describe("parseImageId", () => {
  it("accepts a UUID and lower-cases it", () => {
    expect(parseImageId("3339FD5F-EC06-4EF8-9337-C1C70218A748")).toBe(
      "3339fd5f-ec06-4ef8-9337-c1c70218a748",
    );
  });

  it.each([
    "ubuntu.iso",
    "",
    "3339fd5f-ec06-4ef8-9337-c1c70218a748/../x",
    "../3339fd5f-ec06-4ef8-9337-c1c70218a748",
    "%2e%2e",
  ])("refuses %j", (value) => {
    expect(() => parseImageId(value)).toThrow(InvalidInputError);
    expect(() => parseImageId(value)).toThrow(/image id \(a UUID\)/);
  });
});

describe("parseServerRef", () => {
  it.each([
    ["web01", { name: "web01" }],
    ["db-01.prod_a", { name: "db-01.prod_a" }],
    ["a".repeat(255), { name: "a".repeat(255) }],
    ["C880A4B5-0230-4925-A8F5-16FB48249275", { id: "c880a4b5-0230-4925-a8f5-16fb48249275" }],
  ])("%s is accepted", (value, expected) => {
    expect(parseServerRef(value)).toEqual(expected);
  });

  it.each([
    ["", /required/],
    ["a".repeat(256), /1 to 255/],
    ["web 01", /use the server's id/],
    ["web01/../../tokens", /1 to 255/],
    ["../../tokens/web01", /1 to 255/],
    ["x/web01", /1 to 255/],
    ["web01?name=x", /1 to 255/],
    ["wéb01", /1 to 255/],
  ])("%j is refused", (value, message) => {
    expect(() => parseServerRef(value)).toThrow(message);
  });

  it("echoes at most 60 printable characters of what was typed", () => {
    const error = (() => {
      try {
        parseServerRef(`\u0007${"x".repeat(300)} `);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain(`"?${"x".repeat(59)}…"`);
  });
});

describe("input mistakes, at their edges", () => {
  /** What `parse` throws for `typed`. */
  const mistake = (parse: (typed: string) => unknown, typed: string) => {
    try {
      parse(typed);
    } catch (error) {
      return error as Error;
    }
    throw new Error(`${typed} was accepted`);
  };

  it("each mistake names itself and the field it is about", () => {
    expect(mistake(parseImageId, "nope")).toMatchObject({
      name: "InvalidInputError",
      field: "image",
    });
    const server = mistake(parseServerRef, "a b");
    expect(server).toMatchObject({ name: "InvalidInputError", field: "server" });
    expect(server).toBeInstanceOf(InvalidInputError);
  });

  it("what was typed is shown whole up to 60 characters, cut after", () => {
    const sixty = mistake(parseImageId, "z".repeat(60)).message;
    expect(sixty).toContain("z".repeat(60));
    expect(sixty).not.toContain("…");
    expect(mistake(parseImageId, "z".repeat(61)).message).toContain(`${"z".repeat(60)}…`);
  });
});
