import { newOperation, type Operation } from "../../../lib/operations/operation";

export const AT = new Date("2026-11-26T10:00:00.000Z");

/** A freshly requested operation, with the given changes. */
export function sampleOperation(changes: Partial<Operation> = {}, reason = "INC-1"): Operation {
  return {
    ...newOperation(
      {
        id: "op-0123456789",
        teamId: "T1",
        channelId: "C1",
        requester: "U1",
        tenant: "prod",
        secretId: "bm/tenant/prod",
        approvalsRequired: 0,
        approvers: [],
        requestTtlMinutes: 30,
        serverRef: "web01",
        imageId: "3339fd5f-ec06-4ef8-9337-c1c70218a748",
        reason,
      },
      AT,
    ),
    ...changes,
  };
}
