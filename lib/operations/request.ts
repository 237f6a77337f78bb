/**
 * A detach request as it is recorded: who asked, where, under which policy, for what, and the
 * picks that led to it. The types the request's recording, the pending choices and the ports
 * share, in a module of their own, so that none of them imports another for its types.
 */
import { chained } from "../audit/chain";
import type { AuditEvent, Operation } from "./operation";

/** What the channel's policy said of a request when it was made: kept with it. */
export type RequestPolicy = Pick<
  Operation,
  "tenant" | "secretId" | "approvalsRequired" | "approvers" | "requestTtlMinutes"
>;

/** Who asked, where, under which policy, and why. */
export type Asker = Pick<Operation, "teamId" | "channelId" | "requester" | "reason"> &
  RequestPolicy;

/**
 * What is recorded: who asked for what. `serverRef` is the server as typed (a name or an id), or
 * the id a pick or a lookup resolved it to, with its `serverName`.
 */
export type RequestFields = Asker &
  Pick<Operation, "serverRef" | "imageId" | "responseUrl" | "serverName" | "fleet"> & {
    /** What makes its id: the slash command's trigger id, or the choice's. */
    seed: string;
    /** The picks that led here, as audit events after `requested`. */
    picks?: ChoiceMade[];
    /** Where it was asked for, when not by a command: the `requested` event's facts say. */
    via?: string;
  };

/** What a choice offers: the images of a server, the servers of a name, names close to a typo. */
export type Offer = "images" | "servers" | "names";

/** A pick made on the way to an operation: written as one of its audit events. */
export interface ChoiceMade {
  choiceId: string;
  at: string;
  userId: string;
  offer: Offer;
  /** What was asked when the choice was offered (a name, or a server id). */
  asked: string;
  /** How many options were offered. */
  of: number;
  /** The server picked (an id, or a name), and the image, when the pick named one. */
  server: string;
  image?: string;
}

/** What the requester is told of a recording: enough to say it again later (a pending choice keeps it). */
export interface RecordedSummary {
  kind: "recorded" | "existing" | "unknown";
  operationId: string;
  imageId: string;
  approvalsRequired: number;
  /** The state it was found in, when it was recorded already. */
  state?: string;
  handedOver?: boolean;
}

/**
 * A new operation with the picks that led to it as its next audit events, in the outbox with its
 * `requested` event (each at the time it was picked).
 */
export function withPicks<T extends Operation>(op: T, picks: ChoiceMade[]): T {
  if (picks.length === 0) return op;
  const events: AuditEvent[] = [];
  for (const [i, pick] of picks.entries()) {
    const unchained = {
      operationId: op.id,
      seq: op.seq + i + 1,
      at: pick.at,
      action: "chosen",
      actor: { teamId: op.teamId, userId: pick.userId },
      facts: {
        choice: pick.choiceId,
        offered: pick.offer,
        asked: pick.asked,
        of: pick.of,
        server: pick.server,
        ...(pick.image ? { image: pick.image } : {}),
      },
    };
    events.push(chained<AuditEvent>(unchained, events.at(-1) ?? op.lastEvent));
  }
  return {
    ...op,
    seq: op.seq + events.length,
    lastEvent: events.at(-1) as AuditEvent,
    unaudited: [...(op.unaudited ?? []), ...events],
  };
}
