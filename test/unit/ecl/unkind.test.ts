import { describe, expect, it } from "vitest";
import {
  describeUnkindness,
  unkindnessFromEnv,
  unkindnessFromFlags,
} from "../../../local/ecl-simulator/unkind";

describe("the simulator's unkind modes", () => {
  it("are off unless asked for", () => {
    expect(unkindnessFromEnv({})).toEqual({});
    expect(unkindnessFromFlags({})).toEqual({});
  });

  it("come from BM_SIMULATOR_* variables", () => {
    expect(
      unkindnessFromEnv({
        BM_SIMULATOR_CAPPED_PAGES: "2",
        BM_SIMULATOR_NO_MEDIA: "true",
        BM_SIMULATOR_RACE_409_MS: "3000",
        BM_SIMULATOR_MEDIA_DELAY_MS: " 1500 ",
        BM_SIMULATOR_SLOW_ACTIONS_MS: "0",
      }),
    ).toEqual({ cappedPageSize: 2, noMedia: true, race409Ms: 3000, mediaDelayMs: 1500 });
  });

  it("all at once with BM_SIMULATOR_UNKIND or --unkind, a given value winning", () => {
    const all = {
      cappedPageSize: 2,
      noMedia: true,
      race409Ms: 3000,
      mediaDelayMs: 3000,
      slowActionMs: 8000,
    };
    expect(unkindnessFromEnv({ BM_SIMULATOR_UNKIND: "1" })).toEqual(all);
    expect(unkindnessFromFlags({ unkind: true, "capped-pages": "5" })).toEqual({
      ...all,
      cappedPageSize: 5,
    });
  });

  it("take flags over the environment", () => {
    expect(
      unkindnessFromFlags({ "no-media": true, "race-409": "100" }, { slowActionMs: 10 }),
    ).toEqual({ noMedia: true, race409Ms: 100, slowActionMs: 10 });
  });

  it.each([
    [
      { BM_SIMULATOR_CAPPED_PAGES: "two" },
      /BM_SIMULATOR_CAPPED_PAGES must be a positive whole number/,
    ],
    [{ BM_SIMULATOR_NO_MEDIA: "maybe" }, /BM_SIMULATOR_NO_MEDIA must be 1 or true/],
  ])("refuse %j plainly", (env, message) => {
    expect(() => unkindnessFromEnv(env)).toThrow(message);
  });

  it("describe themselves for the start-up banner", () => {
    expect(describeUnkindness({ noMedia: true, race409Ms: 300 })).toEqual([
      "--no-media: server objects leave media_attachments out",
      "--race-409 300: the first action on each server meets a task (REBOOTING, MS long): 409",
    ]);
  });
});
