/**
 * Unit tests never open a socket: connecting or listening throws, so a test that reaches for the
 * network fails instead of passing by luck.
 */
import net from "node:net";
import { afterAll } from "vitest";

const { connect } = net.Socket.prototype;
const { listen } = net.Server.prototype;

net.Socket.prototype.connect = () => {
  throw new Error("unit tests may not open sockets; move this test to test/integration");
};
net.Server.prototype.listen = () => {
  throw new Error("unit tests may not listen on sockets; move this test to test/integration");
};

afterAll(() => {
  net.Socket.prototype.connect = connect;
  net.Server.prototype.listen = listen;
});
