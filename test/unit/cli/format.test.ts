import { describe, expect, it } from "vitest";
import { formatServer, formatTaskState, mediaWords } from "../../../lib/cli/format";
import type { Server } from "../../../lib/ecl/server";
import { eclServer, IMAGE, SERVER } from "../fakes";

describe("formatTaskState", () => {
  it.each([
    ["None", "None (idle)"],
    ["none", "none (idle)"],
    [null, "null (idle)"],
    [undefined, "(absent) (idle)"],
    ["MEDIA_DETACHING", "MEDIA_DETACHING (busy)"],
    ["", " (busy)"],
  ])("task_state %j reads %j", (taskState, shown) => {
    expect(formatTaskState(taskState)).toBe(shown);
  });
});

describe("formatServer", () => {
  const OTHER = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
  const unknown: Server = {
    id: SERVER,
    name: "",
    status: undefined,
    powerState: undefined,
    taskState: undefined,
    vmState: undefined,
    mediaIds: undefined,
  };

  it.each<[string, Server, string[]]>([
    [
      "a server as ECL shows it",
      eclServer(),
      [
        `web01  ${SERVER}`,
        "  status      ACTIVE",
        "  power       RUNNING",
        "  task_state  None (idle)",
        "  vm_state    ACTIVE",
        `  media       ${IMAGE}`,
      ],
    ],
    [
      "two images, busy",
      eclServer({ taskState: "MEDIA_DETACHING", mediaIds: [IMAGE, OTHER] }),
      [
        `web01  ${SERVER}`,
        "  status      ACTIVE",
        "  power       RUNNING",
        "  task_state  MEDIA_DETACHING (busy)",
        "  vm_state    ACTIVE",
        `  media       ${IMAGE}, ${OTHER}`,
      ],
    ],
    [
      "no image attached",
      eclServer({ mediaIds: [] }),
      [
        `web01  ${SERVER}`,
        "  status      ACTIVE",
        "  power       RUNNING",
        "  task_state  None (idle)",
        "  vm_state    ACTIVE",
        "  media       (none attached)",
      ],
    ],
    [
      "nothing but an id",
      unknown,
      [
        `(no name)  ${SERVER}`,
        "  status      ?",
        "  power       ?",
        "  task_state  (absent) (idle)",
        "  vm_state    ?",
        "  media       (not listed: ECL left media_attachments out)",
      ],
    ],
  ])("%s: one line a field", (_, server, lines) => {
    expect(formatServer(server)).toEqual(lines);
  });
});

describe("mediaWords", () => {
  it.each<[string[] | undefined, string]>([
    [undefined, "media not listed"],
    [[], "no image attached"],
    [["a"], "1 image attached: a"],
    [["a", "b"], "2 images attached: a, b"],
  ])("%j reads %j", (media, words) => {
    expect(mediaWords(media)).toBe(words);
  });
});
