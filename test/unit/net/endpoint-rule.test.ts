import { describe, expect, it } from "vitest";
import {
  addressKind,
  anAddress,
  endpointProblem,
  hostPatterns,
  isAllowedHost,
  NO_HOSTS,
  parseHostPatterns,
} from "../../../lib/net/endpoint-rule";

/** Made in each test: a list made at load time would hide from mutation testing which test reads it. */
const local = () => hostPatterns("127.0.0.1,*.example.test");

describe("endpointProblem, with no host listed (production)", () => {
  it.each([
    // Public DNS names over https: the address they resolve to is checked when connecting.
    ["https://baremetal-server-jp1-ecl.api.ntt.com", undefined],
    ["https://keystone-jp1-ecl.api.ntt.com:443/v3", undefined],
    ["https://localhost:9001", undefined],
    // Not https.
    ["http://baremetal-server-jp1-ecl.api.ntt.com", "is not https"],
    ["http://localhost:9001", "is not https"],
    ["http://0177.0.0.1", "is not https"],
    ["ftp://ecl.example.com", "is not an https URL"],
    ["file:///etc/passwd", "is not an https URL"],
    ["https://user:pass@ecl.example.com", "has a user name or password in it"],
    ["https://user@ecl.example.com", "has a user name or password in it"],
    ["https://:pw@ecl.example.com", "has a user name or password in it"],
    // Every spelling of an IP address that a URL takes.
    ["https://169.254.169.254", "is a link-local address"],
    ["https://10.0.0.1", "is a private address"],
    ["https://172.16.0.1", "is a private address"],
    ["https://172.31.255.255", "is a private address"],
    ["https://192.168.1.1", "is a private address"],
    ["https://127.0.0.1", "is a loopback address"],
    ["https://0177.0.0.1", "is a loopback address"],
    ["https://2130706433", "is a loopback address"],
    ["https://0x7f000001", "is a loopback address"],
    ["https://0x7f.0.0.1", "is a loopback address"],
    ["https://127.1", "is a loopback address"],
    ["https://127.0.0.1.", "is a loopback address"],
    ["https://%31%32%37.0.0.1", "is a loopback address"],
    ["https://[::1]", "is a loopback address"],
    ["https://[::ffff:127.0.0.1]", "is a loopback address"],
    ["https://[0:0:0:0:0:ffff:7f00:1]", "is a loopback address"],
    ["https://[::ffff:169.254.169.254]", "is a link-local address"],
    ["https://[::ffff:10.0.0.1]", "is a private address"],
    ["https://0.0.0.0", "is an unspecified address"],
    ["https://0", "is an unspecified address"],
    ["https://[::]", "is an unspecified address"],
    ["https://100.64.0.1", "is a shared (CGNAT) address"],
    ["https://100.127.255.255", "is a shared (CGNAT) address"],
    ["https://224.0.0.1", "is a multicast address"],
    ["https://[ff02::1]", "is a multicast address"],
    ["https://[fe80::1]", "is a link-local address"],
    ["https://[fd00::1]", "is a private address"],
    ["https://[64:ff9b::a00:1]", "is a reserved address"],
    ["https://255.255.255.255", "is a reserved address"],
    // A public address is still no name: ECL's endpoints are names.
    ["https://8.8.8.8", "is an IP address, not a DNS name"],
    ["https://[2606:4700::1111]", "is an IP address, not a DNS name"],
  ])("%s: %s", (url, problem) => {
    expect(endpointProblem(new URL(url), NO_HOSTS)).toBe(problem);
  });
});

describe("endpointProblem, with hosts listed", () => {
  it.each([
    ["http://127.0.0.1:8774", undefined],
    // The host as the URL normalises it: these are 127.0.0.1.
    ["http://0177.0.0.1:8774", undefined],
    ["http://2130706433:8774", undefined],
    ["https://127.0.0.1", undefined],
    ["http://ecl.example.test", undefined],
    ["http://a.b.example.test", undefined],
    ["http://ECL.Example.Test.", undefined],
    // Not listed: another loopback spelling is another host.
    ["http://localhost:8774", "is not https"],
    ["https://[::ffff:127.0.0.1]", "is a loopback address"],
    ["https://[::1]", "is a loopback address"],
    ["https://127.0.0.2", "is a loopback address"],
    // `*.example.test` is names under it, not the name itself nor one that only ends alike.
    ["http://example.test", "is not https"],
    ["http://evilexample.test", "is not https"],
    ["http://example.test.evil.example", "is not https"],
    // Listed or not, no credentials in a URL, and only http or https.
    ["http://user:pw@127.0.0.1:8774", "has a user name or password in it"],
    ["ftp://127.0.0.1", "is not an https URL"],
  ])("%s: %s", (url, problem) => {
    expect(endpointProblem(new URL(url), local())).toBe(problem);
  });
});

describe("parseHostPatterns", () => {
  it.each([
    [undefined, [], []],
    ["", [], []],
    ["   ", [], []],
    ["127.0.0.1", ["127.0.0.1"], []],
    [" 127.0.0.1 , localhost ", ["127.0.0.1", "localhost"], []],
    ["0177.0.0.1", ["127.0.0.1"], []],
    ["2130706433", ["127.0.0.1"], []],
    ["::1", ["[::1]"], []],
    ["[::1]", ["[::1]"], []],
    ["[0:0:0:0:0:ffff:7f00:1]", ["[::ffff:7f00:1]"], []],
    ["ECL.Example.Test.", ["ecl.example.test"], []],
    ["*.Example.Test", [], [".example.test"]],
    ["*.example.test,127.0.0.1", ["127.0.0.1"], [".example.test"]],
    ["under_score.example", ["under_score.example"], []],
  ])("%j", (raw, exact, under) => {
    expect(parseHostPatterns(raw)).toStrictEqual({ exact: new Set(exact), under });
  });

  it.each([
    ["127.0.0.1,", "entry 2 is empty"],
    [",127.0.0.1", "entry 1 is empty"],
    ["a, ,b", "entry 2 is empty"],
    [
      "127.0.0.1:8774",
      'entry 1 ("127.0.0.1:8774") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "http://127.0.0.1",
      'entry 1 ("http://127.0.0.1") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "ecl.test/v2",
      'entry 1 ("ecl.test/v2") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "10.0.0.0/8",
      'entry 1 ("10.0.0.0/8") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "*",
      'entry 1 ("*") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "a b",
      'entry 1 ("a b") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "-bad.example",
      'entry 1 ("-bad.example") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "999.0.0.1",
      'entry 1 ("999.0.0.1") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "*.",
      'entry 1 ("*.") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    ["*.*.test", 'entry 1 ("*.*.test"): after "*." must come a DNS name, such as *.example.test'],
    [
      "*.10.0.0.1",
      'entry 1 ("*.10.0.0.1"): after "*." must come a DNS name, such as *.example.test',
    ],
    [
      "*.0177.0.0.1",
      'entry 1 ("*.0177.0.0.1"): after "*." must come a DNS name, such as *.example.test',
    ],
    [
      "ok.test, bad:1",
      'entry 2 ("bad:1") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    // Brackets only around a whole IPv6 address.
    [
      "1[::]",
      'entry 1 ("1[::]") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    [
      "[::]1",
      'entry 1 ("[::]1") must be a host name, an IP address or *.domain, without scheme, port or path',
    ],
    ["ok.test,*.x:1", 'entry 2 ("*.x:1"): after "*." must come a DNS name, such as *.example.test'],
    [
      `${"a".repeat(50)}:1`,
      `entry 1 ("${"a".repeat(40)}") must be a host name, an IP address or *.domain, without scheme, port or path`,
    ],
  ])("%j: %s", (raw, problem) => {
    expect(parseHostPatterns(raw)).toStrictEqual({ problem });
  });

  it("hostPatterns throws what parseHostPatterns says", () => {
    expect(() => hostPatterns("a,")).toThrow(new TypeError("entry 2 is empty"));
    expect(hostPatterns("a")).toStrictEqual({ exact: new Set(["a"]), under: [] });
  });
});

describe("isAllowedHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.0.0.1.", true],
    ["x.example.test", true],
    ["X.EXAMPLE.TEST", true],
    ["example.test", false],
    ["xexample.test", false],
    ["127.0.0.2", false],
    ["", false],
  ])("%j: %s", (host, allowed) => {
    expect(isAllowedHost(local(), host)).toBe(allowed);
  });

  it("allows nothing with no patterns", () => {
    expect(isAllowedHost(NO_HOSTS, "127.0.0.1")).toBe(false);
  });
});

describe("addressKind", () => {
  it.each([
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["9.255.255.255", "public"],
    ["11.0.0.0", "public"],
    ["172.15.255.255", "public"],
    ["172.32.0.0", "public"],
    ["100.63.255.255", "public"],
    ["100.128.0.0", "public"],
    ["169.253.255.255", "public"],
    ["192.167.255.255", "public"],
    ["223.255.255.255", "public"],
    ["2606:4700::1111", "public"],
    ["[2606:4700::1111]", "public"],
    ["127.255.255.255", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["10.255.255.255", "private"],
    ["192.168.255.255", "private"],
    ["fc00::1", "private"],
    ["fdff:ffff::1", "private"],
    ["169.254.0.0", "link-local"],
    ["febf::1", "link-local"],
    ["100.64.0.0", "shared (CGNAT)"],
    ["239.255.255.255", "multicast"],
    ["ff00::", "multicast"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["198.19.255.255", "reserved"],
    ["198.51.100.1", "reserved"],
    ["203.0.113.1", "reserved"],
    ["240.0.0.1", "reserved"],
    ["64:ff9b::8.8.8.8", "reserved"],
    ["64:ff9b:1::1", "reserved"],
    ["2002:a00:1::", "reserved"],
    ["2001::1", "reserved"],
    ["2001:db8::1", "reserved"],
    // Outside IPv6's global unicast space.
    ["fec0::1", "reserved"],
    ["100::1", "reserved"],
    ["4000::1", "reserved"],
    ["::ffff:8.8.8.8", "reserved"],
  ])("%s: %s", (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it("throws for what is no IP address", () => {
    expect(() => addressKind("localhost")).toThrow(new TypeError("not an IP address"));
    expect(() => addressKind("0177.0.0.1")).toThrow(TypeError);
    // Brackets only around a whole IPv6 address: "1[::]" is not 1::, "[::]1" not ::1.
    expect(() => addressKind("1[::]")).toThrow(TypeError);
    expect(() => addressKind("[::]1")).toThrow(TypeError);
  });

  it.each([
    ["loopback", "a loopback address"],
    ["unspecified", "an unspecified address"],
    ["shared (CGNAT)", "a shared (CGNAT) address"],
  ] as const)("says %s as %s", (kind, said) => {
    expect(anAddress(kind)).toBe(said);
  });
});
