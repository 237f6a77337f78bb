/**
 * Starts the follow-up at once (an asynchronous invoke), so a detach accepted between two
 * schedules is watched from the next poll, not from the next minute.
 */
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";

/** Starts the follow-up function; Lambda queues the event and answers 202 at once. */
export function lambdaFollowUpStarter(lambda: LambdaClient, functionName: string) {
  return async (): Promise<void> => {
    await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify({ source: "bm.worker" })),
      }),
    );
  };
}
