// The low-level binding: layouts cross-checked against the C header, native defaults,
// typed errors, use after close, malformed input, and the by-value ABI entry points
// (next_wakeup returned by value: Deno struct types / Bun cc adapter; stream_send taking
// coquic_bytes_t by value: Deno struct type / Bun split (ptr, len)).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { needs } from "./_ext.ts";
import { test } from "./_harness.ts";
import { Layout as L, Role, Status } from "../ffi/abi.ts";
import { loadCoquicSync } from "../ffi/loader.ts";
import { Scratch } from "../quic/codec.ts";
import { ClientConnectionConfig, defaultEndpointConfig, EndpointConfig, TransportConfig } from "../quic/config.ts";
import { ClientConfig, Endpoint } from "../quic/endpoint.ts";
import { CoquicStatusError, InvalidArgumentError, UseAfterCloseError } from "../quic/errors.ts";
import { takeResult } from "../quic/result.ts";
import { Pair, pattern, Rng } from "./_pair.ts";

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
  OrphanZeroRttBufferConfig: "coquic_orphan_zero_rtt_buffer_config_t",
  ResumptionState: "coquic_resumption_state_t",
  CloseInfo: "coquic_x_close_info_t",
  ResultSummary: "coquic_x_result_summary_t",
};

test("binding: every offset in the ffi/abi.ts layouts matches the C header", () => {
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
    x_stream: "coquic_x_stream_effect_t",
  };
  for (const [member, ctype] of Object.entries(effectMembers)) {
    for (
      const [field, value] of Object.entries((L.Effect as unknown as Record<string, Record<string, number>>)[member])
    ) {
      lines.push(`printf("%zu\\n", (size_t)(8 + offsetof(${ctype}, ${field})));`);
      expected.push(`Effect.${member}.${field}=${value}`);
    }
  }
  for (const [field, value] of Object.entries(L.Effect.peer_preferred_address_available)) {
    lines.push(
      `printf("%zu\\n", (size_t)(8 + offsetof(coquic_peer_preferred_address_available_effect_t, preferred_address) + offsetof(coquic_preferred_address_t, ${field})));`,
    );
    expected.push(`Effect.peer_preferred_address_available.${field}=${value}`);
  }
  // Connection stats: u64 fields in declaration order after `size`.
  const S = L.ConnectionStats;
  S.fields.forEach((name, i) => {
    const cfield = name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
    lines.push(`printf("%zu\\n", offsetof(coquic_x_connection_stats_t, ${cfield}));`);
    expected.push(`ConnectionStats.${name}=${S.first_field + 8 * i}`);
  });
  for (const field of ["handshake_completed", "closing"] as const) {
    lines.push(`printf("%zu\\n", offsetof(coquic_x_connection_stats_t, ${field}));`);
    expected.push(`ConnectionStats.${field}=${S[field]}`);
  }
  lines.push(`printf("%zu\\n", sizeof(coquic_x_connection_stats_t));`);
  expected.push(`ConnectionStats.size=${S.size}`);
  lines.push(`printf("%zu\\n", sizeof(coquic_effect_t));`);
  expected.push(`Effect.size=${L.Effect.size}`);
  const dir = mkdtempSync(join(tmpdir(), "coquic-layout-"));
  try {
    const src = `#include <stddef.h>\n#include <stdio.h>\n#include "coquic/ffi/ext.h"\nint main(void){\n${
      lines.join("\n")
    }\nreturn 0;}\n`;
    writeFileSync(join(dir, "layout.c"), src);
    execFileSync("cc", ["-I", join(ROOT, "native/include"), "-o", join(dir, "layout"), join(dir, "layout.c")]);
    const actual = execFileSync(join(dir, "layout"), { encoding: "utf8" }).trim().split("\n");
    const mismatches = expected.filter((e, i) => e.split("=")[1] !== actual[i]).map((e, i) =>
      `${e} (C says ${actual[i]})`
    );
    assert.equal(actual.length, expected.length);
    assert.deepEqual(mismatches, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("binding: defaults come from the native init functions (Config.default())", () => {
  const c = EndpointConfig.default();
  assert.equal(c.role, Role.CLIENT);
  assert.equal(c.verifyPeer, true);
  assert.equal(c.applicationProtocol, "coquic");
  assert.equal(c.maxOutboundDatagramSize, 1200);
  assert.equal(c.allowPeerAddressChange, true);
  assert.equal(c.transport.initialMaxStreamsBidi, 16n);
  assert.equal(c.transport.maxUdpPayloadSize, 65527n);
  assert.equal(c.transport.maxAckDelay, 25n);
  assert.equal(c.transport.pmtudBaseDatagramSize, 1200);
  const t = TransportConfig.default();
  assert.deepEqual(t, c.transport);
  assert.equal(t.initialMaxData, 1048576n);
  const cc = ClientConnectionConfig.default();
  assert.equal(cc.serverName, "localhost");
  assert.equal(cc.originalVersion, 1);
  assert.equal(cc.initialVersion, 1);
  assert.equal(cc.sourceConnectionId.length, 0);
  // The same library's defaults through the explicit-library helpers.
  assert.deepEqual(defaultEndpointConfig(loadCoquicSync()), c);
});

test("binding: a rejected config is a CoquicStatusError with the engine's reason", () => {
  const c = EndpointConfig.default();
  c.transport.congestionControl = 3; // copa: our engine refuses it at create
  assert.throws(() => Endpoint.create(c), (e: unknown) => {
    assert.ok(e instanceof CoquicStatusError);
    assert.equal(e.statusName, "INVALID_ARGUMENT");
    assert.equal(e.status, Status.INVALID_ARGUMENT);
    assert.match(e.message, /copa/);
    return true;
  });
  const d = EndpointConfig.default();
  d.role = Role.SERVER;
  d.identity = { certificatePem: "garbage", privateKeyPem: "garbage" };
  assert.throws(() => Endpoint.create(d), (e: unknown) => e instanceof CoquicStatusError && /identity/.test(e.message));
}, needs("lastError"));

test("binding: invalid arguments throw typed errors before reaching native code", () => {
  const bad = (mutate: (c: EndpointConfig) => void) => {
    const c = EndpointConfig.default();
    mutate(c);
    return () => Endpoint.create(c);
  };
  assert.throws(bad((c) => (c.maxOutboundDatagramSize = -1)), InvalidArgumentError);
  assert.throws(bad((c) => ((c as unknown as Record<string, unknown>).verifyPeer = "yes")), InvalidArgumentError);
  assert.throws(bad((c) => (c.transport.initialMaxData = -5n)), /transport\.initialMaxData/);
  assert.throws(bad((c) => (c.role = 256)), InvalidArgumentError);
  assert.throws(bad((c) => (c.supportedVersions = [2 ** 32])), InvalidArgumentError);
  assert.throws(bad((c) => (c.applicationProtocol = 7 as unknown as string)), InvalidArgumentError);
  using ep = Endpoint.create(EndpointConfig.default());
  const conn = ep.connection(1n);
  const data = new Uint8Array(1);
  const invalid = (fn: () => unknown, argument: string) =>
    assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && e.argument === argument);
  invalid(() => conn.sendStream(-1, data, false, 0n), "streamId");
  invalid(() => conn.sendStream(1n << 62n, data, false, 0n), "streamId");
  invalid(() => conn.stream(2 ** 62), "stream id");
  invalid(() => conn.sendStream(0n, "text" as unknown as Uint8Array, false, 0n), "data");
  invalid(() => conn.sendStream(0n, data, "yes" as unknown as boolean, 0n), "fin");
  invalid(() => conn.sendStream(0n, data, false, 1.5), "now");
  invalid(() => conn.sendStream(0n, data, false, -1n), "now");
  invalid(() => conn.sendStream(0n, data, false, 0n, 2 ** 40), "priority");
  invalid(() => conn.resetStream(0n, 1n << 62n, 0n), "applicationErrorCode");
  invalid(() => conn.close(-1, "x", 0n), "applicationErrorCode");
  invalid(() => conn.sendDatagram([1, 2] as unknown as Uint8Array, 0n), "data");
  invalid(() => ep.receiveDatagram({ bytes: data, routeHandle: 1n << 64n }, 0n), "routeHandle");
  invalid(() => ep.receiveDatagram({ bytes: data, ecn: 300 }, 0n), "ecn");
  invalid(() => ep.connection(-3), "connection");
  invalid(() => ep.connect({} as ClientConfig, 0n), "config");
  invalid(() => ClientConfig.new("abc" as unknown as Uint8Array, new Uint8Array(8)), "sourceConnectionId");
  // Nothing above reached the engine: the endpoint is untouched.
  assert.equal(ep.connectionCount(), 0);
  assert.equal(ep.nextWakeup(), undefined);
});

test("binding: use after close is a typed error and never reaches native code", () => {
  const ep = Endpoint.create(EndpointConfig.default());
  const conn = ep.connection(1n);
  const stream = conn.stream(0n);
  assert.equal(conn.isValid(), true);
  assert.equal(stream.isValid(), true);
  ep.close();
  ep.close(); // idempotent
  ep[Symbol.dispose](); // also idempotent
  assert.equal(ep.closed, true);
  assert.equal(conn.isValid(), false);
  const calls: [string, () => unknown][] = [
    ["timerExpired", () => ep.timerExpired(0n)],
    ["connectionCount", () => ep.connectionCount()],
    ["nextWakeup", () => ep.nextWakeup()],
    ["hasSendContinuationPending", () => ep.hasSendContinuationPending()],
    ["hasPendingStreamSend", () => ep.hasPendingStreamSend()],
    ["receiveDatagram", () => ep.receiveDatagram({ bytes: new Uint8Array(10) }, 0n)],
    ["updatePathMtu", () => ep.updatePathMtu({ maxUdpPayloadSize: 1200 }, 0n)],
    ["connect", () => ep.connect(ClientConfig.new(new Uint8Array(8), new Uint8Array(8)), 0n)],
    ["connection", () => ep.connection(1n)],
    ["sendStream", () => conn.sendStream(0n, new Uint8Array(1), true, 0n)],
    ["sendDatagram", () => conn.sendDatagram(new Uint8Array(1), 0n)],
    ["close", () => conn.close(0n, "", 0n)],
    ["requestKeyUpdate", () => conn.requestKeyUpdate(0n)],
    ["stream", () => conn.stream(4n)],
    ["finish", () => stream.finish(0n)],
    ["reset", () => stream.reset(1n, 0n)],
    // A use-after-close check comes before argument checks: no native call either way.
    ["bad args", () => conn.sendStream(-1, "x" as unknown as Uint8Array, true, -1)],
  ];
  for (const [name, call] of calls) assert.throws(call, UseAfterCloseError, name);
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
    const r = p.client.endpoint.receiveDatagram({
      bytes: rng.bytes(1 + Math.floor(rng.next() * 1300)),
      routeHandle: 1n,
    }, p.now);
    assert.equal(r.effects.filter((e) => e.kind !== "send_datagram").length, 0);
    assert.equal(r.localError, undefined);
  }
  assert.equal(p.client.endpoint.connectionCount(), 1);
  p.absorb(p.client, conn.sendStream(0n, new Uint8Array([1, 2, 3]), true, p.now));
  p.runUntil(() => p.serverSawStream(0n, true));
  assert.deepEqual(p.server.received(p.serverConnection(), 0n), new Uint8Array([1, 2, 3]));
  p.close();
});

test("binding: protocol misuse is a local error in the result, not a throw", () => {
  using ep = Endpoint.create(EndpointConfig.default());
  const r = ep.connection(99n).sendStream(0n, new Uint8Array(1), false, 0n);
  assert.equal(r.localError?.name, "UNSUPPORTED_OPERATION");
  assert.equal(r.localError?.connection, 99n);
  assert.deepEqual(r.effects, []);
});

test("binding: by-value next_wakeup (Deno struct return / Bun cc adapter) agrees with the extension", async () => {
  const ext = loadCoquicSync({ extensions: true }); // whatever COQUIC_CORE_ABI_ONLY says
  const core = loadCoquicSync({ extensions: false }); // as an upstream libcoquic: Bun compiles its adapter at load
  assert.equal(ext.extensions.nextWakeupOut, true);
  assert.deepEqual(Object.values(core.extensions), Object.values(core.extensions).map(() => false));
  assert.equal(core.symbols.coquic_x_endpoint_next_wakeup, undefined);
  const p = await Pair.create({ library: core });
  p.connect();
  p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  for (const side of [p.client, p.server]) {
    side.endpoint.withAddress((address) => {
      const byValue = core.symbols.coquic_endpoint_next_wakeup(address) as bigint | undefined;
      const has = ext.symbols.coquic_x_endpoint_next_wakeup(address, out) as number;
      assert.equal(typeof byValue, "bigint");
      assert.equal(has, 1);
      assert.equal(byValue, view.getBigUint64(0, true));
      // The result accessor: the same result read both ways before it is destroyed.
      assert.equal(core.symbols.coquic_endpoint_timer_expired(address, p.now, out), Status.OK);
      const result = view.getBigUint64(0, true);
      const resultByValue = core.symbols.coquic_result_next_wakeup(result) as bigint | undefined;
      const resultHas = ext.symbols.coquic_x_result_next_wakeup(result, out) as number;
      assert.equal(resultByValue, resultHas ? view.getBigUint64(0, true) : undefined);
      p.absorb(side, takeResult(core, result));
    });
  }
  // A wakeup that is absent reads as undefined through the by-value path too.
  using idle = Endpoint.create(core, EndpointConfig.default(core));
  assert.equal(idle.nextWakeup(), undefined);
  p.close();
});

test("binding: coquic_quic_stream_send takes coquic_bytes_t by value (Deno struct / Bun split ptr, len)", async () => {
  for (const lib of [loadCoquicSync(), loadCoquicSync({ extensions: false })]) {
    const p = await Pair.create({ library: lib });
    const conn = p.connect();
    p.runUntil(() => p.client.has("state_event", (e) => (e as { change: string }).change === "handshake_confirmed"));
    const data = pattern(5000, 3);
    const bytesByValue = new Scratch(16, lib.ffi); // one coquic_bytes_t {ptr, len}
    bytesByValue.range(0, data);
    const out = new Uint8Array(8);
    p.client.endpoint.withAddress((address) => {
      const status = lib.symbols.coquic_quic_stream_send(address, conn.handle, 4n, bytesByValue.bytes, 1, p.now, out);
      assert.equal(status, Status.OK);
    });
    bytesByValue.reset();
    p.absorb(p.client, takeResult(lib, new DataView(out.buffer).getBigUint64(0, true)));
    p.runUntil(() => p.serverSawStream(4n, true));
    assert.deepEqual(p.server.received(p.serverConnection(), 4n), data);
    p.close();
  }
});
