/** Address-validation identities, IP text parsing and the route table. */
import assert from "node:assert/strict";
import { addressIdentity, canonicalIp, parseIpv4, parseIpv6, routeKey, RouteTable } from "../runtimes/address.ts";
import { test } from "./_harness.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

test("address: IPv4 identity is 0x04, 4 address bytes, port big-endian", () => {
  assert.deepEqual(addressIdentity("127.0.0.1", 4433), bytes(0x04, 127, 0, 0, 1, 0x11, 0x51));
  assert.deepEqual(addressIdentity("192.168.255.1", 65535), bytes(0x04, 192, 168, 255, 1, 0xff, 0xff));
  assert.deepEqual(addressIdentity("0.0.0.0", 0), bytes(0x04, 0, 0, 0, 0, 0, 0));
  assert.equal(addressIdentity("10.0.0.1", 1).length, 7);
});

test("address: IPv6 identity is 0x06, 16 address bytes, port big-endian", () => {
  const id = addressIdentity("::1", 443);
  assert.equal(id.length, 19);
  assert.deepEqual(id, bytes(0x06, ...new Array(15).fill(0), 1, 0x01, 0xbb));
  assert.deepEqual(
    addressIdentity("2001:db8::8a2e:370:7334", 0x1234),
    bytes(0x06, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34, 0x12, 0x34),
  );
  assert.deepEqual(addressIdentity("[fe80::1%eth0]", 1).subarray(0, 3), bytes(0x06, 0xfe, 0x80));
  assert.deepEqual(addressIdentity("localhost", 1), new Uint8Array(0), "non-IP hostnames have no identity");
});

test("address: IPv6 text forms (compression, full, IPv4-mapped, invalid)", () => {
  const full = parseIpv6("2001:0db8:0000:0000:0000:ff00:0042:8329");
  assert.deepEqual(full, parseIpv6("2001:db8::ff00:42:8329"));
  assert.deepEqual(parseIpv6("::"), new Uint8Array(16));
  assert.deepEqual(parseIpv6("1::"), bytes(0, 1, ...new Array(14).fill(0)));
  assert.deepEqual(parseIpv6("::ffff:192.0.2.128"), bytes(...new Array(10).fill(0), 0xff, 0xff, 192, 0, 2, 128));
  assert.deepEqual(parseIpv6("::ffff:c000:280"), parseIpv6("::ffff:192.0.2.128"));
  assert.deepEqual(parseIpv6("1:2:3:4:5:6:1.2.3.4"), bytes(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4));
  for (
    const bad of [
      "",
      ":",
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "g::",
      "1.2.3.4::",
      "::1.2.3",
      "::1.2.3.256",
      "1:2:3:4:5:6:7::8:9",
    ]
  ) {
    assert.equal(parseIpv6(bad), undefined, `"${bad}" must be rejected`);
  }
  assert.deepEqual(parseIpv4("1.2.3.4"), bytes(1, 2, 3, 4));
  for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "::1", ""]) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test("route table: handles 1, 2, 3…, reverse lookup, cached identities, removal", () => {
  const t = new RouteTable();
  const a = t.forPeer("127.0.0.1", 5000);
  const b = t.forPeer("::1", 5000);
  const c = t.forPeer("127.0.0.1", 5001);
  assert.deepEqual([a.handle, b.handle, c.handle], [1n, 2n, 3n]);
  assert.equal(t.forPeer("127.0.0.1", 5000), a, "same peer, same route object");
  assert.equal(t.forPeer("127.0.0.1", 5000).identity, a.identity, "identity computed once");
  assert.equal(t.size, 3);
  assert.equal(t.byHandle(2n), b);
  assert.deepEqual(b.address, { hostname: "::1", port: 5000 });
  assert.deepEqual(b.identity, addressIdentity("::1", 5000));
  assert.equal(routeKey("::1", 5000), "[::1]:5000");
  assert.equal(t.byKey("127.0.0.1:5001"), c);
  assert.equal(t.lookup("::1", 5000), b);
  assert.equal(t.lookup("::1", 5001), undefined);
  assert.equal(t.size, 3, "lookup does not create");
  assert.equal(t.remove(1n), true);
  assert.equal(t.remove(1n), false);
  assert.equal(t.byHandle(1n), undefined);
  assert.equal(t.forPeer("127.0.0.1", 5000).handle, 4n, "handles are never reused");
  assert.equal(t.byHandle(99n), undefined);
});

test("address: canonicalIp gives the text runtimes report (RFC 5952 for IPv6)", () => {
  assert.equal(canonicalIp("0:0:0:0:0:0:0:1"), "::1");
  assert.equal(canonicalIp("[2001:DB8:0:0:1::1]"), "2001:db8::1:0:0:1");
  assert.equal(canonicalIp("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1"); // one zero group stays
  assert.equal(canonicalIp("::ffff:127.0.0.1"), "::ffff:127.0.0.1");
  assert.equal(canonicalIp("fe80::1%eth0"), "fe80::1%eth0");
  assert.equal(canonicalIp("::"), "::");
  assert.equal(canonicalIp("127.000.000.001"), "127.0.0.1");
  assert.equal(canonicalIp("localhost"), undefined);
});
