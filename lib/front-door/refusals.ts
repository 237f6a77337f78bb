/**
 * Refusals collapsed per minute: a user refused again and again for the same thing (a click
 * repeated, a script) leaves one audit event for the first refusal of each minute, and then one
 * with the count of that minute, not one event per click. Counted per container; the count is
 * written by the container's next request once the minute is over.
 */
import { randomBytes } from "node:crypto";
import type { AuditEvent } from "../operations/operation";

interface Open {
  first: AuditEvent;
  minute: string;
  count: number;
}

export class RefusalTally {
  private readonly open = new Map<string, Open>();

  /** @param container names this container's counts apart from another's in the trail. */
  constructor(private readonly container = randomBytes(4).toString("hex")) {}

  /**
   * Counts a refusal. Returns the event to write now (the first of its minute for this user,
   * operation and reason, with `facts.minute`), or undefined when it is a repeat, counted only.
   */
  count(event: AuditEvent): AuditEvent | undefined {
    const minute = event.at.slice(0, 16);
    const key = `${event.operationId}\u0000${event.actor.userId}\u0000${event.action}`;
    const open = this.open.get(key);
    if (open && open.minute === minute) {
      open.count++;
      return undefined;
    }
    const first = { ...event, facts: { ...event.facts, minute } };
    this.open.set(key, { first, minute, count: 1 });
    return first;
  }

  /**
   * The counts of minutes that have ended, to write: one event each, for those with repeats
   * (`facts.count`: how many refusals in all that minute, in this container; `facts.first`: the
   * time of the first, written at once). Forgets them.
   */
  due(now: Date): AuditEvent[] {
    const minute = now.toISOString().slice(0, 16);
    const due: AuditEvent[] = [];
    for (const [key, open] of this.open) {
      if (open.minute >= minute) continue;
      this.open.delete(key);
      if (open.count > 1)
        due.push({
          ...open.first,
          at: new Date(Date.parse(`${open.minute}:00.000Z`) + 59_999).toISOString(),
          facts: {
            ...open.first.facts,
            count: open.count,
            first: open.first.at,
            tally: this.container,
          },
        });
    }
    return due;
  }
}
