/**
 * The operation store in memory, for unit tests: the same contract as the DynamoDB adapter (a
 * create that finds an existing id, a save conditional on the revision read).
 */
import type { Choice } from "../../lib/choices/choice";
import type { ChoiceStore } from "../../lib/choices/choice-store";
import { isTerminal, type Operation } from "../../lib/operations/operation";
import type { OperationStore } from "../../lib/operations/ports";

export function memoryStore(ops = new Map<string, Operation>()): OperationStore {
  const locks = new Map<string, string>();
  return {
    lock: async (key, opId) => {
      const holder = locks.get(key);
      if (holder && holder !== opId) return { held: false, holder };
      locks.set(key, opId);
      return { held: true };
    },
    unlock: async (key, opId) => {
      if (locks.get(key) === opId) locks.delete(key);
    },
    takeLock: async (key, from, opId) => {
      if (locks.get(key) !== from) return false;
      locks.set(key, opId);
      return true;
    },
    create: async (op) => {
      const existing = ops.get(op.id);
      if (existing) return { created: false, existing };
      ops.set(op.id, op);
      return { created: true };
    },
    get: async (id) => ops.get(id),
    save: async (prev, next) => {
      // As DynamoDB's condition: the state it leaves and the revision it read.
      const stored = ops.get(prev.id);
      if (stored?.rev !== prev.rev || stored.state !== prev.state) return undefined;
      const written = { ...next, rev: prev.rev + 1 };
      ops.set(prev.id, written);
      return written;
    },
    setParent: async (id, parentTs, permalink) => {
      const stored = ops.get(id) as Operation;
      const next: Operation = {
        ...stored,
        parentTs: stored.parentTs ?? parentTs,
        rev: stored.rev + 1,
        ...(permalink && !stored.permalink ? { permalink } : {}),
      };
      ops.set(id, next);
      return next;
    },
    setTally: async (fleetId, targetId, state) => {
      const stored = ops.get(fleetId);
      if (!stored?.tally) return;
      const was = stored.tally[targetId];
      if (was !== undefined && was !== "queued" && isTerminal(was)) return;
      ops.set(fleetId, {
        ...stored,
        tally: { ...stored.tally, [targetId]: state },
        rev: stored.rev + 1,
      });
    },
    clearAudited: async (op, seqs, settled) => {
      const stored = ops.get(op.id);
      if (stored?.rev !== op.rev) return;
      const rest = (stored.unaudited ?? []).filter((e) => !seqs.includes(e.seq));
      const next: Operation = { ...stored, unaudited: rest };
      if (settled) delete next.inflight;
      ops.set(op.id, next);
    },
    listInFlight: async () => [...ops.values()].filter((op) => op.inflight !== undefined),
    recentForTenant: async () => [],
  };
}

/** Pending choices in memory: a create that finds an existing id, a save conditional on the revision. */
export function memoryChoices(choices = new Map<string, Choice>()): ChoiceStore {
  return {
    createChoice: async (choice) => {
      const existing = choices.get(choice.id);
      if (existing) return { created: false, existing };
      choices.set(choice.id, choice);
      return { created: true };
    },
    getChoice: async (id) => choices.get(id),
    saveChoice: async (prev, next) => {
      if (choices.get(prev.id)?.rev !== prev.rev) return undefined;
      const written = { ...next, rev: prev.rev + 1 };
      choices.set(prev.id, written);
      return written;
    },
  };
}
