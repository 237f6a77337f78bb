import { describe, expect, it } from "vitest";
import { nextSightings, sameSightings, sightingKey } from "../../../lib/operations/sightings";

const NOW = new Date("2026-12-03T12:00:00.000Z");
const EARLIER = "2026-12-03T09:00:00.000Z";
const A = "AAAAAAAA-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";
const ISO = "11111111-0000-4000-8000-00000000000a";
const FW = "22222222-0000-4000-8000-00000000000b";
const key = sightingKey;

describe("sightingKey", () => {
  it("is the server and the image in lower case, joined by #", () => {
    expect(sightingKey(A, "ABC")).toBe("aaaaaaaa-0000-4000-8000-000000000001#abc");
  });
});

describe("nextSightings", () => {
  it("the first time: every pair first seen now", () => {
    expect(nextSightings({}, [{ id: A, mediaIds: [ISO, FW] }], true, NOW)).toEqual({
      [key(A, ISO)]: NOW.toISOString(),
      [key(A, FW)]: NOW.toISOString(),
    });
  });

  it("a pair still attached keeps its first sighting, whatever the case of the ids", () => {
    const before = { [key(A, ISO)]: EARLIER };
    expect(nextSightings(before, [{ id: A, mediaIds: [ISO.toUpperCase()] }], true, NOW)).toEqual({
      [key(A, ISO)]: EARLIER,
    });
  });

  it("a pair no longer attached is forgotten, so attached again it starts again", () => {
    const before = { [key(A, ISO)]: EARLIER, [key(A, FW)]: EARLIER };
    const detached = nextSightings(before, [{ id: A, mediaIds: [FW] }], true, NOW);
    expect(detached).toEqual({ [key(A, FW)]: EARLIER });
    expect(nextSightings(detached, [{ id: A, mediaIds: [FW, ISO] }], true, NOW)).toEqual({
      [key(A, FW)]: EARLIER,
      [key(A, ISO)]: NOW.toISOString(),
    });
  });

  it("a server whose media ECL did not list keeps its pairs: that tells nothing", () => {
    const before = { [key(A, ISO)]: EARLIER };
    expect(nextSightings(before, [{ id: A, mediaIds: undefined }], true, NOW)).toEqual(before);
  });

  it.each([
    // [complete, what is left of B's pair]
    [true, {}],
    [false, { [key(B, ISO)]: EARLIER }],
  ])(
    "a server not shown: forgotten after a complete list (%s), kept otherwise",
    (complete, left) => {
      const before = { [key(A, ISO)]: EARLIER, [key(B, ISO)]: EARLIER };
      expect(nextSightings(before, [{ id: A, mediaIds: [ISO] }], complete, NOW)).toEqual({
        [key(A, ISO)]: EARLIER,
        ...left,
      });
    },
  );
});

describe("sameSightings", () => {
  it.each([
    [{}, {}, true],
    [{ a: "1" }, { a: "1" }, true],
    [{ a: "1" }, { a: "2" }, false],
    [{ a: "1" }, { b: "1" }, false],
    [{ a: "1" }, { a: "1", b: "1" }, false],
    [{ a: "1", b: "1" }, { a: "1" }, false],
  ])("%j and %j: %s", (a, b, same) => {
    expect(sameSightings(a, b)).toBe(same);
  });
});
