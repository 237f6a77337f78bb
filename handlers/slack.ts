/**
 * The front door: Slack's slash commands, on API Gateway (HTTP API) or a Function URL.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { coldStartFailure, createSlackHandler } from "../lib/front-door/slack-app";
import { createLog } from "../lib/runtime/log";
import { once } from "../lib/runtime/once";

const ready = once(() => createSlackHandler());

export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyResultV2> => {
  // Slack's 3 s are counted from here: the cold start below is inside them (budget.ts).
  const startedAt = Date.now();
  let slack: Awaited<ReturnType<typeof ready>>;
  try {
    slack = await ready();
  } catch (error) {
    // The cold start could not read its configuration (Secrets Manager down, say). Without the
    // signing secret no request can be verified, so none is answered: Slack says the command
    // failed, and the next request tries the cold start again.
    createLog("slack").error("cold start failed", coldStartFailure(error));
    return { statusCode: 503, body: "" };
  }
  return slack(event, context, startedAt);
};
