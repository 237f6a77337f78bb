/**
 * The audit check: once a day (serverless.yml), seals the days not sealed yet, verifies the last
 * days of the audit trail, puts `AuditFindings`, and posts the seals to the audit channel.
 */
import { auditCheck } from "../lib/audit/daily-check";
import { createAuditCheck } from "../lib/runtime/audit-check";
import { once } from "../lib/runtime/once";

const check = once(async () => createAuditCheck());

export const handler = async (): Promise<void> => {
  const deps = await check();
  try {
    await auditCheck(deps);
  } finally {
    deps.metrics.flush();
  }
};
