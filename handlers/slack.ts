/**
 * The front door: Slack's slash commands, on API Gateway (HTTP API) or a Function URL.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { createSlackHandler } from "../lib/front-door/slack-app";
import { once } from "../lib/runtime/once";

const ready = once(() => createSlackHandler());

export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyResultV2> => (await ready())(event, context);
