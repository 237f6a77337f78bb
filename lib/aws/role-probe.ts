/**
 * The doctor's IAM question (`npm run doctor`): SimulatePrincipalPolicy, on one resource at a
 * time, so that each decision names the resource it is about.
 */
import { type IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import type { RoleProbe } from "../doctor/ports";

/** A {@link RoleProbe} over this client. */
export function roleProbe(iam: IAMClient): RoleProbe {
  return {
    async simulate({ role, actions, resource, key }) {
      const { EvaluationResults = [] } = await iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: role,
          ActionNames: [...actions],
          ResourceArns: [resource],
          ...(key
            ? {
                ContextEntries: [
                  {
                    ContextKeyName: "dynamodb:LeadingKeys",
                    ContextKeyValues: [key],
                    ContextKeyType: "stringList",
                  },
                ],
              }
            : {}),
        }),
      );
      return EvaluationResults.map((r) => ({
        action: r.EvalActionName,
        resource: r.EvalResourceName,
        decision: r.EvalDecision,
      }));
    },
  };
}
