// The low-level binding: layouts cross-checked against the C header, typed errors,
// use after close, malformed input, and Bun's by-value adapter.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import * as L from "../ffi/layout.ts";
import { loadCoquic } from "../ffi/loader.ts";
import { Role } from "../ffi/abi.ts";
import { defaultEndpointConfig } from "../quic/config.ts";
import { Endpoint } from "../quic/endpoint.ts";
import { CoquicStatusError, UseAfterCloseError } from "../quic/errors.ts";
import { Pair, Rng } from "./_pair.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const C_TYPES: Record<string, string> = {
  TransportConfig: "coquic_transport_config_t",
  TlsIdentity: "coquic_tls_identity_t",
  ZeroRttConfig: "coquic_zero_rtt_config_t",
  EndpointConfig: "coquic_endpoint_config_t",
  ClientConnectionConfig: "coquic_client_connection_config_t",
  OpenConnection: "coquic_open_connection_t",
  InboundDatagram: "coquic_inbound_datagram_t",
  PathMtuUpdate: "coquic_path_mtu_update_t",
  SendStreamData: "coquic_send_stream_data_t",
  SendDatagramData: "coquic_send_datagram_data_t",
  StreamCode: "coquic_reset_stream_t",
  CloseConnection: "coquic_close_connection_t",
  RequestMigration: "coquic_request_connection_migration_t",
  ConnectionInput: "coquic_connection_input_t",
  LocalError: "coquic_local_error_t",
  CloseInfo: "coquic_x_close_info_t",
  ResultSummary: "coquic_x_result_summary_t",
};

test("binding: every offset in ffi/layout.ts matches the C header", () => {
  const lines: string[] = [];
  const expected: string[] = [];
  for (const [name, ctype] of Object.entries(C_TYPES)) {
    const table = (L as unknown as Record<string, Record<string, unknown>>)[name];
    for (const [field, value] of Object.entries(table)) {
      if (typeof value !== "number") continue;
      const cfield = field === "size_field" ? "size" : field;
      const expr = field === "size" ? `sizeof(${ctype})` : `offsetof(${ctype}, ${cfield})`;
      lines.push(`printf("%zu\\n", (size_t)${expr});`);
      expected.push(`${name}.${field}=${value}`);
    }
  }
  // Effect members: absolute offsets = 8 + offset within the member struct.
  const effectMembers: Record<string, string> = {
    send_datagram: "coquic_send_datagram_effect_t",
    receive_stream_data: "coquic_receive_stream_data_effect_t",
    receive_datagram_data: "coquic_receive_datagram_data_effect_t",
    peer_reset_stream: "coquic_peer_reset_stream_effect_t",
    peer_stop_sending: "coquic_peer_stop_sending_effect_t",
    state_event: "coquic_state_event_effect_t",
    connection_lifecycle_event: "coquic_connection_lifecycle_event_effect_t",
    resumption_state_available: "coquic_resumption_state_available_effect_t",
    zero_rtt_status_event: "coquic_zero_rtt_status_event_effect_t",
    packet_inspection: "coquic_packet_inspection_effect_t",
    new_token_available: "coquic_new_token_available_effect_t",
  };
  for (const [member, ctype] of Object.entries(effectMembers)) {
    for (const [field, value] of Object.entries((L.Effect as unknown as Record<string, Record<string, number>>)[member])) {
      lines.push(`printf("%zu\\n", (size_t)(8 + offsetof(${ctype}, ${field})));`);
      expected.push(`Effect.${member}.${field}=${value}`);
    }
  }
  lines.push(`printf("%zu\\n", sizeof(coquic_effect_t));`);
  expected.push(`Effect.size=${L.Effect.size}`);
  const dir = mkdtempSync(join(tmpdir(), "coquic-layout-"));
  try {
    const src = `#include <stddef.h>\n#include <stdio.h>\n#include "coquic/ffi/ext.h"\nint main(void){\n${lines.join("\n")}\nreturn 0;}\n`;
    writeFileSync(join(dir, "layout.c"), src);
    execFileSync("cc", ["-I", join(ROOT, "native/include"), "-o", join(dir, "layout"), join(dir, "layout.c")]);
    const actual = execFileSync(join(dir, "layout"), { encoding: "utf8" }).trim().split("\n");
    const mismatches = expected.filter((e, i) => e.split("=")[1] !== actual[i]).map((e, i) => `${e} (C says ${actual[i]})`);
    assert.equal(actual.length, expected.length);
    assert.deepEqual(mismatches, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("binding: defaults come from the native init functions", async () => {
  const lib = await loadCoquic();
  const c = defaultEndpointConfig(lib);
  assert.equal(c.role, Role.CLIENT);
  assert.equal(c.verifyPeer, true);
  assert.equal(c.applicationProtocol, "coquic");
  assert.equal(c.maxOutboundDatagramSize, 1200);
  assert.equal(c.transport.initialMaxStreamsBidi, 16);
  assert.equal(c.transport.maxUdpPayloadSize, 65527);
});

test("binding: a rejected config is a CoquicStatusError with the engine's reason", async () => {
  const lib = await loadCoquic();
  const c = defaultEndpointConfig(lib);
  c.transport.congestionControl = 3; // copa
  assert.throws(() => Endpoint.create(lib, c), (e: unknown) => {
    assert.ok(e instanceof CoquicStatusError);
    assert.equal(e.statusName, "INVALID_ARGUMENT");
    assert.match(e.message, /copa/);
    return true;
  });
  const d = defaultEndpointConfig(lib);
  d.role = Role.SERVER;
  d.identity = { certificatePem: "garbage", privateKeyPem: "garbage" };
  assert.throws(() => Endpoint.create(lib, d), /identity/);
});

test("binding: invalid arguments throw typed errors before reaching native code", async () => {
  const lib = await loadCoquic();
  const c = defaultEndpointConfig(lib);
  c.maxOutboundDatagramSize = -1;
  assert.throws(() => Endpoint.create(lib, c), RangeError);
  const ok = defaultEndpointConfig(lib);
  (ok as unknown as Record<string, unknown>).verifyPeer = "yes";
  assert.throws(() => Endpoint.create(lib, ok), TypeError);
  using ep = Endpoint.create(lib, defaultEndpointConfig(lib));
  const conn = ep.connection(1n);
  assert.throws(() => conn.sendStream(-1, new Uint8Array(1), false, 0n), TypeError);
  assert.throws(() => conn.sendStream(0n, "text" as unknown as Uint8Array, false, 0n), TypeError);
  assert.throws(() => conn.sendStream(0n, new Uint8Array(1), false, 1.5), TypeError);
  assert.throws(() => ep.receiveDatagram({ bytes: new Uint8Array(1), routeHandle: 1n << 64n }, 0n), RangeError);
  assert.throws(() => conn.sendStream(0n, new Uint8Array(1), false, 0n, 2 ** 40), RangeError);
});

test("binding: use after close is a typed error and never reaches native code", async () => {
  const lib = await loadCoquic();
  const ep = Endpoint.create(lib, defaultEndpointConfig(lib));
  const conn = ep.connection(1n);
  assert.equal(conn.isValid(), true);
  ep.close();
  ep.close(); // idempotent
  assert.equal(conn.isValid(), false);
  assert.throws(() => ep.timerExpired(0n), UseAfterCloseError);
  assert.throws(() => ep.connectionCount(), UseAfterCloseError);
  assert.throws(() => ep.nextWakeup(), UseAfterCloseError);
  assert.throws(() => conn.sendStream(0n, new Uint8Array(1), true, 0n), UseAfterCloseError);
  assert.throws(() => conn.stream(0n).finish(0n), UseAfterCloseError);
});

test("binding: malformed datagrams change nothing visible", async () => {
  const p = await Pair.create();
  const rng = new Rng(99n);
  for (let i = 0; i < 2000; i++) {
    const bytes = rng.bytes(Math.floor(rng.next() * 1400));
    const r = p.server.endpoint.receiveDatagram({ bytes, routeHandle: 1n }, p.now);
    assert.equal(r.localError, undefined);
    assert.ok(r.effects.every((e) => e.kind === "send_datagram"), "garbage produced a non-datagram effect");
  }
  assert.equal(p.server.endpoint.connectionCount(), 0);
  const conn = p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  // garbage in the middle of a live connection changes nothing either
  for (let i = 0; i < 500; i++) {
    const r = p.client.endpoint.receiveDatagram({ bytes: rng.bytes(1 + Math.floor(rng.next() * 1300)), routeHandle: 1n }, p.now);
    assert.equal(r.effects.filter((e) => e.kind !== "send_datagram").length, 0);
  }
  assert.equal(p.client.endpoint.connectionCount(), 1);
  p.absorb(p.client, conn.sendStream(0n, new Uint8Array([1, 2, 3]), true, p.now));
  p.runUntil(() => p.serverSawStream(0n, true));
  assert.deepEqual(p.server.received(p.serverConnection(), 0n), new Uint8Array([1, 2, 3]));
  p.close();
});

test("binding: by-value next_wakeup (Deno struct types / Bun cc adapter) agrees with the extension", async () => {
  const p = await Pair.create();
  p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  for (const side of [p.client, p.server]) {
    side.endpoint.forceByValueCalls = false;
    const viaExtension = side.endpoint.nextWakeup();
    side.endpoint.forceByValueCalls = true;
    const byValue = side.endpoint.nextWakeup();
    assert.equal(byValue, viaExtension);
    assert.notEqual(byValue, undefined);
    const r = side.endpoint.timerExpired(p.now);
    assert.equal(typeof r.nextWakeup, "bigint");
    side.endpoint.forceByValueCalls = false;
  }
  p.close();
});
