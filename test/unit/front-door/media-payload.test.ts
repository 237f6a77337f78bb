import { describe, expect, it } from "vitest";
import { mediaDetachAllOf, mediaDetachOf } from "../../../lib/front-door/payloads";

const S = "c880a4b5-0230-4925-a8f5-16fb48249275";
const I = "3339FD5F-EC06-4EF8-9337-C1C70218A748";

describe("a /bm media Detach button's value", () => {
  it("is a server id and an image id", () => {
    expect(mediaDetachOf(`${S} ${I}`)).toEqual({ serverId: S, imageId: I });
  });

  it.each([
    "",
    S,
    `${S} ${I} x`,
    `${S}  ${I}`,
    `${S} web01`,
    `x${S} ${I}`,
    `${S} ${I}x`,
    "op-7kq2m9x4ab",
  ])("%j is not one", (value) => {
    expect(mediaDetachOf(value)).toBeUndefined();
  });
});

describe("a /bm media Detach from all button's value", () => {
  it("is an image id, in either case", () => {
    expect(mediaDetachAllOf(I)).toBe(I);
    expect(mediaDetachAllOf(I.toLowerCase())).toBe(I.toLowerCase());
  });

  it.each(["", `${S} ${I}`, `${I} `, `x${I}`, `${I}x`, "op-7kq2m9x4ab"])(
    "%j is not one",
    (value) => {
      expect(mediaDetachAllOf(value)).toBeUndefined();
    },
  );
});
