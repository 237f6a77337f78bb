/**
 * Integration tests talk to loopback servers only: a connection to any other address fails.
 * AWS SDK clients get fixed test credentials, so none of them looks for real ones.
 */
import net from "node:net";
import { afterAll } from "vitest";

process.env.AWS_REGION ??= "ap-northeast-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
// The functions' warnings are expected here (injected faults); errors still show.
process.env.POWERTOOLS_LOG_LEVEL ??= "ERROR";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
const { connect } = net.Socket.prototype;

net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  const options = (Array.isArray(first) ? first[0] : first) as
    | { host?: string; path?: string }
    | number;
  const host =
    typeof options === "object" && options !== null
      ? options.host
      : typeof args[1] === "string"
        ? args[1]
        : undefined;
  const isPipe = typeof options === "object" && options !== null && options.path !== undefined;
  if (!isPipe && host !== undefined && !LOOPBACK.test(host)) {
    throw new Error(`integration tests may reach 127.0.0.1 only, not ${host}`);
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;

afterAll(() => {
  net.Socket.prototype.connect = connect;
});
