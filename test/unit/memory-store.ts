/**
 * The operation store in memory, for unit tests: the same contract as the DynamoDB adapter (a
 * create that finds an existing id, a save conditional on the revision read).
 */
import type { Operation } from "../../lib/operations/operation";
import type { OperationStore } from "../../lib/operations/ports";

export function memoryStore(ops = new Map<string, Operation>()): OperationStore {
  return {
    create: async (op) => {
      const existing = ops.get(op.id);
      if (existing) return { created: false, existing };
      ops.set(op.id, op);
      return { created: true };
    },
    get: async (id) => ops.get(id),
    save: async (prev, next) => {
      if (ops.get(prev.id)?.rev !== prev.rev) return undefined;
      const written = { ...next, rev: prev.rev + 1 };
      ops.set(prev.id, written);
      return written;
    },
    listInFlight: async () => [],
    recentForTenant: async () => [],
  };
}
