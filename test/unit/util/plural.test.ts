import { describe, expect, it } from "vitest";
import { plural } from "../../../lib/util/plural";

describe("plural", () => {
  it.each([
    [0, "operation", undefined, "0 operations"],
    [1, "operation", undefined, "1 operation"],
    [2, "image", undefined, "2 images"],
    [1, "entry", "entries", "1 entry"],
    [3, "entry", "entries", "3 entries"],
  ])("%i %s (%s) → %s", (count, one, many, words) => {
    expect(plural(count, one, many)).toBe(words);
  });
});
