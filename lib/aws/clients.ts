/**
 * How long bm lets an AWS call take. The SDK's default is to wait as long as the socket lives; on
 * the front door that would hold Slack's answer past its 3 s, and in the worker a hung call would
 * hold a queue message until the function's own timeout.
 */

/** The SDK client options for calls of at most `requestTimeoutMs` a try. */
export function awsClientOptions(requestTimeoutMs: number, maxAttempts: number) {
  return {
    requestHandler: {
      connectionTimeout: Math.min(1000, requestTimeoutMs),
      requestTimeout: requestTimeoutMs,
      // Without it, this version of the SDK only warns when the deadline passes, and waits on.
      throwOnRequestTimeout: true,
    },
    maxAttempts,
  };
}

/** The front door: each try well inside Slack's 3 s, one retry (a throttle often passes at once). */
export const FRONT_DOOR_AWS = awsClientOptions(700, 2);
