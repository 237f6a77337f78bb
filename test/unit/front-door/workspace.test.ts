import { describe, expect, it } from "vitest";
import { FOREIGN_TEAM, foreignFacts, isServed } from "../../../lib/front-door/workspace";

const one = { teamIds: ["T0001", "T0002"] };
const grid = { teamIds: ["T0001"], enterpriseId: "E0001" };

describe("isServed", () => {
  it.each([
    ["a slash command of a served team", one, { teamId: "T0001", userId: "U0A" }, true],
    ["a slash command of the second served team", one, { teamId: "T0002", userId: "U0A" }, true],
    ["a slash command of another team", one, { teamId: "T0EVIL", userId: "U0A" }, false],
    [
      "a click of a served user",
      one,
      { teamId: "T0001", userId: "U0A", userTeamId: "T0002" },
      true,
    ],
    [
      "a click by another team's user",
      one,
      { teamId: "T0001", userId: "U0A", userTeamId: "T0EVIL" },
      false,
    ],
    [
      "a click from another team",
      one,
      { teamId: "T0EVIL", userId: "U0A", userTeamId: "T0001" },
      false,
    ],
    [
      "a user of an organisation, without one in the policy",
      one,
      { teamId: "T0001", userId: "U0A", userTeamId: "E0001" },
      false,
    ],
    [
      "an organisation the policy does not name: not checked",
      one,
      { teamId: "T0001", userId: "U0A", enterpriseId: "E0OTHER" },
      true,
    ],
    [
      "on Grid: the organisation named",
      grid,
      { teamId: "T0001", userId: "U0A", enterpriseId: "E0001" },
      true,
    ],
    [
      "on Grid: a user of the organisation itself",
      grid,
      { teamId: "T0001", userId: "W0A", userTeamId: "E0001", enterpriseId: "E0001" },
      true,
    ],
    [
      "on Grid: another organisation",
      grid,
      { teamId: "T0001", userId: "U0A", enterpriseId: "E0EVIL" },
      false,
    ],
    ["on Grid: no organisation named", grid, { teamId: "T0001", userId: "U0A" }, false],
    [
      "on Grid: a user of another organisation",
      grid,
      { teamId: "T0001", userId: "W0A", userTeamId: "E0EVIL", enterpriseId: "E0001" },
      false,
    ],
    [
      "on Grid: another team of the organisation",
      grid,
      { teamId: "T0002", userId: "U0A", enterpriseId: "E0001" },
      false,
    ],
  ])("%s: %s", (_, policy, who, served) => {
    expect(isServed(policy, who)).toBe(served);
  });
});

describe("the refusal", () => {
  it("keeps the teams and the organisation in the audit trail", () => {
    expect(foreignFacts({ teamId: "T0EVIL", userId: "U0A" })).toStrictEqual({ team: "T0EVIL" });
    expect(
      foreignFacts({ teamId: "T0001", userId: "U0A", userTeamId: "T0EVIL", enterpriseId: "E0001" }),
    ).toStrictEqual({ team: "T0001", userTeam: "T0EVIL", enterprise: "E0001" });
  });

  it("says it plainly", () => {
    expect(FOREIGN_TEAM.text).toBe(
      "bm serves only its own Slack workspace: it takes no request or click from another workspace or organisation, so nothing was done.",
    );
  });
});
