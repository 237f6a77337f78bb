import { describe, expect, it } from "vitest";
import { EclModel } from "../../../local/ecl-simulator/model";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

/** A model on a clock the test moves, with one server that has the image attached. */
function model() {
  let now = 1_000;
  const m = new EclModel({ now: () => now, taskMs: 100 });
  const server = m.addServer("t", { name: "web01", media: [IMAGE] });
  const detach = () =>
    m.startTask(m.server(server.id) as never, "MEDIA_DETACHING", (s) => {
      s.media = [];
    });
  return { m, id: server.id, detach, tick: (ms: number) => (now += ms) };
}

describe("the simulator's held tasks", () => {
  it("a task ends on its time unless held", () => {
    const { m, id, detach, tick } = model();
    detach();
    expect(m.server(id)).toMatchObject({ taskState: "MEDIA_DETACHING", media: [IMAGE] });
    tick(100);
    expect(m.server(id)).toMatchObject({ taskState: "None", media: [] });
  });

  it("a held task lasts however long the test takes, then ends when released", () => {
    const { m, id, detach, tick } = model();
    m.hold(id);
    detach();
    tick(3_600_000);
    expect(m.server(id)).toMatchObject({ taskState: "MEDIA_DETACHING", media: [IMAGE] });
    m.release(id);
    expect(m.server(id)).toMatchObject({ taskState: "None", media: [] });
  });

  it("holding every server holds each one's tasks; releasing all ends them and holds no more", () => {
    const { m, id, detach, tick } = model();
    m.hold();
    detach();
    m.release(id);
    expect(m.server(id)?.taskState).toBe("None");
    detach(); // still held: the hold of every server stays
    tick(1000);
    expect(m.server(id)?.taskState).toBe("MEDIA_DETACHING");
    m.release();
    expect(m.server(id)?.taskState).toBe("None");
    detach();
    tick(100);
    expect(m.server(id)?.taskState).toBe("None");
  });

  it("a task started before the hold keeps its time", () => {
    const { m, id, detach, tick } = model();
    detach();
    m.hold(id);
    tick(100);
    expect(m.server(id)?.taskState).toBe("None");
  });
});

describe("the simulator's fleet", () => {
  it("a tenant's servers, in the order added, none of another's; a removed one is gone", () => {
    const m = new EclModel();
    const a = [0, 1, 2].map((i) => m.addServer("a", { name: `a${i}` }).id);
    const b = m.addServer("b", { name: "b0" }).id;
    m.removeServer(a[1] as string);
    expect(m.serversOf("a").map((s) => s.id)).toEqual([a[0], a[2]]);
    expect(m.serversOf("b").map((s) => s.id)).toEqual([b]);
    expect(m.serversOf("c")).toEqual([]);
    m.removeServer("no-such-server");
    expect(m.server(b)?.name).toBe("b0");
  });
});
