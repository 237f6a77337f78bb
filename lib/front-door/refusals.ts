/**
 * Refusals collapsed per minute: a user refused again and again for the same thing (a click
 * repeated, a script) leaves one audit event for the first refusal of each minute, and then one
 * with the count of that minute, not one event per click. A click's repeats are those on the
 * same operation; a command's, those in the same channel (each command is a new operation id,
 * so a scripted flood of them would otherwise write one event each). Counted per container; the
 * count is written by the container's next request once the minute is over.
 */
import { randomBytes } from "node:crypto";
import type { AuditEvent } from "../operations/operation";

interface Open {
  first: AuditEvent;
  minute: string;
  count: number;
}

/** What a command's refusals are collapsed by: its channel, whatever operation it would make. */
export function commandRepeats(channelId: string): string {
  return `channel-${channelId}`;
}

export class RefusalTally {
  private readonly open = new Map<string, Open>();
  /** Minutes with repeats a newer refusal of the same key has ended, their counts not written yet. */
  private readonly ended: Open[] = [];

  /** @param container names this container's counts apart from another's in the trail. */
  constructor(private readonly container = randomBytes(4).toString("hex")) {}

  /**
   * Counts a refusal. Returns the event to write now (the first of its minute for this user,
   * reason and `repeats`, with `facts.minute`), or undefined when it is a repeat, counted only.
   * @param repeats what its repeats are of: the operation (a click's, the default), or for a
   *   command {@link commandRepeats} of its channel.
   */
  count(event: AuditEvent, repeats = event.operationId): AuditEvent | undefined {
    const minute = event.at.slice(0, 16);
    const key = `${repeats}\u0000${event.actor.userId}\u0000${event.action}`;
    const open = this.open.get(key);
    if (open && open.minute === minute) {
      open.count++;
      return undefined;
    }
    // A new minute of the same refusals: the last one's count is still owed, if it had repeats.
    if (open && open.count > 1) this.ended.push(open);
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
    const over = this.ended.splice(0);
    for (const [key, open] of this.open) {
      if (open.minute >= minute) continue;
      this.open.delete(key);
      if (open.count > 1) over.push(open);
    }
    return over.map((open) => ({
      ...open.first,
      at: new Date(Date.parse(`${open.minute}:00.000Z`) + 59_999).toISOString(),
      facts: {
        ...open.first.facts,
        count: open.count,
        first: open.first.at,
        tally: this.container,
      },
    }));
  }
}
