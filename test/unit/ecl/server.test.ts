import { describe, expect, it } from "vitest";
import {
  attachment,
  detachFinished,
  isDetached,
  isIdle,
  judgedBy,
  observedState,
  type Server,
  toServer,
} from "../../../lib/ecl/server";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

describe("isIdle", () => {
  it.each([
    ["None", true],
    ["none", true],
    ["NONE", true],
    [null, true],
    [undefined, true],
    ["MEDIA_DETACHING", false],
    ["REBOOTING", false],
    ["BUILDING", false],
    ["", false],
    ["something new", false],
  ])("%j → %s", (taskState, idle) => {
    expect(isIdle(taskState)).toBe(idle);
  });
});

describe("toServer", () => {
  it("reads the fields of ECL's Show Server sample", () => {
    const server = toServer({
      id: "c880a4b5-0230-4925-a8f5-16fb48249275",
      name: "web01",
      status: "ACTIVE",
      "OS-EXT-STS:power_state": "RUNNING",
      "OS-EXT-STS:task_state": "None",
      "OS-EXT-STS:vm_state": "ACTIVE",
      media_attachments: [{ image: { id: IMAGE, links: [] } }, { image: {} }, "junk"],
    });
    expect(server).toEqual({
      id: "c880a4b5-0230-4925-a8f5-16fb48249275",
      name: "web01",
      status: "ACTIVE",
      powerState: "RUNNING",
      taskState: "None",
      vmState: "ACTIVE",
      mediaIds: [IMAGE],
    });
  });

  it("keeps a null task_state apart from a missing one", () => {
    expect(toServer({ id: "x", "OS-EXT-STS:task_state": null }).taskState).toBeNull();
    expect(toServer({ id: "x" }).taskState).toBeUndefined();
  });

  it("reads an absent (or unreadable) media_attachments as unknown, never as nothing attached", () => {
    expect(toServer({ id: "x" }).mediaIds).toBeUndefined();
    expect(toServer({ id: "x", media_attachments: null }).mediaIds).toBeUndefined();
    expect(toServer({ id: "x", media_attachments: [] }).mediaIds).toEqual([]);
  });

  it("refuses a server without an id", () => {
    expect(() => toServer({ name: "web01" })).toThrow(TypeError);
    expect(() => toServer(undefined)).toThrow(TypeError);
  });
});

describe("attachment and isDetached", () => {
  const base = toServer({
    id: "s",
    name: "web01",
    media_attachments: [{ image: { id: IMAGE.toUpperCase() } }],
  });

  it("compares image ids without regard to case", () => {
    expect(attachment(base, IMAGE)).toBe("attached");
    expect(attachment(base, IMAGE.toUpperCase())).toBe("attached");
    expect(attachment({ ...base, mediaIds: [] }, IMAGE)).toBe("absent");
  });

  it("says unknown when ECL did not list media, and never reads that as detached", () => {
    const unlisted = { ...base, mediaIds: undefined, taskState: "None" };
    expect(attachment(unlisted, IMAGE)).toBe("unknown");
    expect(isDetached(unlisted, IMAGE)).toBe(false);
  });

  it.each([
    ["None", [], true],
    [null, [], true],
    ["MEDIA_DETACHING", [], false],
    ["None", [IMAGE], false],
    ["MEDIA_DETACHING", [IMAGE], false],
  ] as const)("task_state %j with media %j → %s", (taskState, media, done) => {
    expect(isDetached({ ...base, taskState, mediaIds: [...media] }, IMAGE)).toBe(done);
  });
});

describe("toServer, at its edges", () => {
  it("a server without an id is refused, said so", () => {
    expect(() => toServer({ name: "web01" })).toThrow("ECL sent a server without an id");
    expect(() => toServer(null)).toThrow("ECL sent a server without an id");
  });

  it("a name or state that is not a string reads as none", () => {
    const server = toServer({
      id: "s1",
      name: 5,
      status: 1,
      "OS-EXT-STS:power_state": 1,
      "OS-EXT-STS:vm_state": {},
    });
    expect(server).toMatchObject({
      name: "",
      status: undefined,
      powerState: undefined,
      vmState: undefined,
    });
    expect(toServer({ id: "s1" }).name).toBe("");
  });

  it("a media attachment that is null or has no image object is skipped", () => {
    expect(
      toServer({ id: "s1", media_attachments: [null, { image: null }, { image: { id: "i1" } }] })
        .mediaIds,
    ).toEqual(["i1"]);
  });
});

describe("observedState: what bm records of a server, in one place", () => {
  const read = (taskState: string | null | undefined, extra: Partial<Server> = {}): Server => ({
    id: "s",
    name: "web01",
    status: "ACTIVE",
    powerState: "RUNNING",
    taskState,
    vmState: "ACTIVE",
    mediaIds: [],
    ...extra,
  });
  it.each([
    ["None", "None"],
    ["none", "None"],
    ["NONE", "None"],
    [null, "None"],
    [undefined, "None"],
    ["MEDIA_DETACHING", "MEDIA_DETACHING"],
    ["", ""],
  ])("task_state %j is recorded as %j", (taskState, recorded) => {
    expect(observedState(read(taskState))).toEqual({
      taskState: recorded,
      powerState: "RUNNING",
      mediaUnknown: false,
    });
  });

  it("leaves out a power state ECL did not give, and says when media are not listed", () => {
    expect(observedState(read("None", { powerState: undefined, mediaIds: undefined }))).toEqual({
      taskState: "None",
      mediaUnknown: true,
    });
  });
});

describe("detachFinished: the one judgement of a finished detach", () => {
  const at = (taskState: string, mediaIds: string[] | undefined): Server => ({
    id: "s",
    name: "web01",
    status: "ACTIVE",
    powerState: "RUNNING",
    taskState,
    vmState: "ACTIVE",
    mediaIds,
  });
  const ACCEPTED = 1_000_000;
  const GRACE = 30_000;
  it.each([
    ["idle, the image gone", at("None", []), ACCEPTED, ACCEPTED + 1, "media"],
    ["idle, the image gone, never said accepted", at("None", []), undefined, ACCEPTED, "media"],
    ["idle, another image still there", at("None", ["other"]), ACCEPTED, ACCEPTED + 1, "media"],
    ["busy, the image gone", at("MEDIA_DETACHING", []), ACCEPTED, ACCEPTED + GRACE, undefined],
    ["idle, the image still there", at("None", [IMAGE]), ACCEPTED, ACCEPTED + GRACE, undefined],
    ["idle, in capitals", at("None", [IMAGE.toUpperCase()]), ACCEPTED, ACCEPTED + GRACE, undefined],
    [
      "no media list, past the grace",
      at("None", undefined),
      ACCEPTED,
      ACCEPTED + GRACE,
      "task_state",
    ],
    [
      "no media list, inside the grace",
      at("None", undefined),
      ACCEPTED,
      ACCEPTED + GRACE - 1,
      undefined,
    ],
    ["no media list, busy", at("REBOOTING", undefined), ACCEPTED, ACCEPTED + GRACE, undefined],
    [
      "no media list, never said accepted",
      at("None", undefined),
      undefined,
      ACCEPTED * 9,
      undefined,
    ],
  ] as const)("%s: %s", (_, server, accepted, now, finished) => {
    expect(detachFinished(server, IMAGE, accepted, now, GRACE)).toBe(finished);
  });

  it("says how a detach was judged when not by its media", () => {
    expect(judgedBy("media")).toEqual({});
    expect(judgedBy("task_state")).toEqual({
      judgedBy: "task_state alone: ECL did not list media",
    });
  });
});
