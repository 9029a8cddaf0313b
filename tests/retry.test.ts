// Retry (RFC 9000 §8.1.2) through listen()/serve() over real loopback sockets, on the
// batched extension path and on the core-ABI path, with a small UDP relay in between that
// counts the Retry packets it carries and can move the client or replay its token.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ext } from "./_ext.ts";
import { test } from "./_harness.ts";
import { echo, echoServer as retryEchoServer, freshClientConfig } from "./_echo.ts";
import { closeAll, fetch, serve } from "../http3/mod.ts";
import { connect, QuicError } from "../mod.ts";
import { type CoquicLibrary, loadCoquicSync } from "../ffi/loader.ts";
import { Role } from "../ffi/abi.ts";
import { BatchInput } from "../quic/batch_input.ts";
import { EndpointConfig } from "../quic/config.ts";
import { Endpoint } from "../quic/endpoint.ts";
import type { Effect } from "../quic/effects.ts";
import type { QueryResult } from "../quic/result.ts";
import { addressIdentity } from "../runtimes/address.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import type { SocketAddress, UdpSocket } from "../runtimes/udp.ts";
import { pattern } from "./_pair.ts";
import { testCert } from "./_cert.ts";

const QUIC_V2 = 0x6b3343cf;

type PacketType = "initial" | "0rtt" | "handshake" | "retry";

/** A long-header packet's type (v1 and v2 numbering), token length and size, or undefined. */
function longHeader(d: Uint8Array, at = 0): { type: PacketType; tokenLength: number; end: number } | undefined {
  if (d.length < at + 7 || !(d[at] & 0x80)) return undefined;
  const version = ((d[at + 1] << 24) | (d[at + 2] << 16) | (d[at + 3] << 8) | d[at + 4]) >>> 0;
  if (version === 0) return undefined; // Version Negotiation
  const bits = (d[at] >> 4) & 3;
  const type: PacketType = version === QUIC_V2
    ? (["retry", "initial", "0rtt", "handshake"] as const)[bits]
    : (["initial", "0rtt", "handshake", "retry"] as const)[bits];
  let i = at + 5;
  i += 1 + d[i]; // DCID
  i += 1 + d[i]; // SCID
  if (type === "retry") return { type, tokenLength: d.length - i - 16, end: d.length };
  const varint = (): number => {
    const len = 1 << (d[i] >> 6);
    let v = d[i] & 0x3f;
    for (let k = 1; k < len; k++) v = v * 256 + d[i + k];
    i += len;
    return v;
  };
  let tokenLength = 0;
  if (type === "initial") {
    tokenLength = varint();
    i += tokenLength;
  }
  const length = varint();
  return { type, tokenLength, end: i + length };
}

/** The types of the coalesced long-header packets in a datagram. */
function packetTypes(d: Uint8Array): PacketType[] {
  const out: PacketType[] = [];
  for (let at = 0; at < d.length;) {
    const h = longHeader(d, at);
    if (!h) break;
    out.push(h.type);
    at = h.end;
  }
  return out;
}

/**
 * A one-client UDP relay in front of a server: the client talks to `addr`, the relay talks
 * to the server from its own socket. It counts the Retry packets the server sends, and for
 * the client's Initial that carries the Retry token it can either switch to a second socket
 * for the rest of the connection (the client's address changes), or first send a copy from
 * that second socket (a token replayed from another address) and keep its answers apart.
 */
class Relay {
  retries = 0;
  /** What the server sent to the second socket while it was the replaying "thief". */
  readonly stolenReplies: Uint8Array[] = [];
  #client?: SocketAddress;
  #current: UdpSocket;

  private constructor(
    readonly front: UdpSocket,
    readonly back: UdpSocket,
    readonly other: UdpSocket,
    readonly server: SocketAddress,
    readonly mode: "plain" | "move" | "replay",
  ) {
    this.#current = back;
    front.onDatagram((d, hostname, port) => this.#fromClient(d.slice(), { hostname, port }));
    back.onDatagram((d) => this.#fromServer(d.slice(), false));
    other.onDatagram((d) => this.#fromServer(d.slice(), mode === "replay"));
  }

  static async create(server: SocketAddress, mode: "plain" | "move" | "replay" = "plain"): Promise<Relay> {
    const bind = () => bindUdp({ hostname: "127.0.0.1", port: 0 });
    return new Relay(await bind(), await bind(), await bind(), { hostname: "127.0.0.1", port: server.port }, mode);
  }

  /** Where clients send. */
  get addr(): SocketAddress {
    return { hostname: "127.0.0.1", port: this.front.localAddress.port };
  }

  #fromClient(d: Uint8Array, from: SocketAddress): void {
    this.#client = from;
    const h = longHeader(d);
    if (h?.type === "initial" && h.tokenLength > 0 && this.retries > 0) {
      if (this.mode === "move") this.#current = this.other;
      if (this.mode === "replay") this.other.sendBatch([d], [this.server]);
    }
    this.#current.sendBatch([d], [this.server]);
  }

  #fromServer(d: Uint8Array, stolen: boolean): void {
    if (longHeader(d)?.type === "retry") this.retries++;
    if (stolen) this.stolenReplies.push(d);
    else if (this.#client) this.front.sendBatch([d], [this.#client]);
  }

  close(): void {
    for (const s of [this.front, this.back, this.other]) s.close();
  }
}

/**
 * The sans-I/O facade on one route: the client's first Initial goes to the server one by one
 * (`receiveDatagram`), everything after through `receiveDatagrams`, as the driver does for a
 * peer it held back; every datagram carries the client's identity, which changes to another
 * port right after the Retry when `move` is set. The route stays the same throughout, so
 * only the identity tells the two addresses apart.
 */
async function facadeRetry(lib: CoquicLibrary, move: boolean) {
  const { certPem, keyPem } = await testCert();
  const config = (role: number) => {
    const c = EndpointConfig.default(lib);
    c.role = role;
    c.verifyPeer = false;
    c.applicationProtocol = "coquic-test";
    return c;
  };
  const sc = config(Role.SERVER);
  sc.retryEnabled = true;
  sc.identity = { certificatePem: certPem, privateKeyPem: keyPem };
  const client = Endpoint.create(lib, config(Role.CLIENT)), server = Endpoint.create(lib, sc);
  const events: Effect[] = [];
  const toServer: Uint8Array[] = [], toClient: Uint8Array[] = [];
  const collect = (r: QueryResult, out: Uint8Array[]) => {
    for (const e of r.effects) e.kind === "send_datagram" ? out.push(e.bytes) : events.push(e);
  };
  let from = addressIdentity("127.0.0.1", 50000);
  let now = 1_000n, fedToServer = 0, retries = 0;
  try {
    const cfg = freshClientConfig(lib, addressIdentity("127.0.0.1", 4433));
    collect(client.connect(cfg, now).result, toServer);
    const confirmed = () =>
      events.filter((e) => e.kind === "state_event" && e.change === "handshake_confirmed").length === 2;
    for (let step = 0; step < 200 && !confirmed(); step++) {
      now += 1_000n;
      for (const d of toServer.splice(0)) {
        collect(
          fedToServer++ === 0
            ? server.receiveDatagram({ bytes: d, routeHandle: 1n, addressValidationIdentity: from }, now)
            : server.receiveDatagrams([d], [1n], 1, now, [from]),
          toClient,
        );
      }
      for (const d of toClient.splice(0)) {
        if (longHeader(d)?.type === "retry") {
          retries++;
          if (move) from = addressIdentity("127.0.0.1", 50001);
        }
        collect(client.receiveDatagram({ bytes: d, routeHandle: 1n }, now), toServer);
      }
      for (const [ep, out] of [[client, toServer], [server, toClient]] as const) {
        const w = ep.nextWakeup();
        if (w !== undefined && w <= now) collect(ep.timerExpired(now), out);
      }
    }
    const accepted = events.some((e) => e.kind === "connection_lifecycle_event" && e.event === "accepted");
    return { confirmed: confirmed(), accepted, retries };
  } finally {
    client.close();
    server.close();
  }
}

/** Our engine as an older build would look: batched input, but none that carries identities. */
function withoutIdentifiedBatch(): CoquicLibrary {
  const lib = loadCoquicSync();
  return { ...lib, extensions: { ...lib.extensions, batchIdentities: false } };
}

for (
  const [name, load] of [
    ["batched extension", () => loadCoquicSync()],
    ["batched extension without identities: one call per datagram", withoutIdentifiedBatch],
    ["core ABI", () => loadCoquicSync({ extensions: false })],
  ] as const
) {
  test(`retry: Endpoint.receiveDatagrams binds Retry tokens to each datagram's identity (${name})`, async () => {
    const lib = load();
    assert.deepEqual(await facadeRetry(lib, false), { confirmed: true, accepted: true, retries: 1 });
    assert.deepEqual(await facadeRetry(lib, true), { confirmed: false, accepted: false, retries: 1 });
  });
}

test("retry: BatchInput lays identities out back to back with their lengths", () => {
  const b = new BatchInput();
  const v4 = addressIdentity("127.0.0.1", 443), v6 = addressIdentity("::1", 443);
  b.encode([new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4])], [1n, undefined, 2n], 3, [
    v4,
    undefined,
    v6,
  ]);
  assert.equal(b.count, 3);
  assert.ok(b.hasIdentities);
  assert.deepEqual([...b.identityLengths.subarray(0, 3)], [7, 0, 19]);
  assert.deepEqual(b.identities.subarray(0, 26), new Uint8Array([...v4, ...v6]));
  assert.deepEqual([...b.lengths.subarray(0, 3)], [2, 1, 1]);
  assert.deepEqual(b.data.subarray(0, 4), new Uint8Array([1, 2, 3, 4]));
  assert.equal(b.routes[1], 1n << 63n); // no route
  b.encode([new Uint8Array(1)], [1n], 1);
  assert.equal(b.hasIdentities, false);
  assert.equal(b.identityLengths[0], 0);
  assert.throws(() => b.encode([new Uint8Array(1)], [1n], 1, [new Uint8Array(256)]), /at most 255/);
  assert.throws(() => b.encode([new Uint8Array(1)], [1n], 1, ["x" as unknown as Uint8Array]), /Uint8Array/);
});

/** The echo server of these tests: Retry on. */
const echoServer = (options: { library?: CoquicLibrary; io?: "native" | "runtime" } = {}) =>
  retryEchoServer({ retry: true, ...options });

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function echoThroughRetry(library?: CoquicLibrary): Promise<void> {
  // A core-ABI library has no native socket: that run is on runtime sockets whatever COQUIC_IO says.
  const io = library && !library.extensions.nativeIo ? "runtime" as const : undefined;
  const listener = await echoServer({ library, io });
  const relay = await Relay.create(listener.addr);
  try {
    const conn = await connect(relay.addr, {
      alpn: "echo",
      library,
      io,
      ...(library ? { insecure: true } : { ca: listener.certificatePem }), // no CA extension on the core ABI
      signal: AbortSignal.timeout(5000),
    });
    const payload = pattern(256 << 10);
    assert.equal(sha256(await echo(conn, payload)), sha256(payload));
    assert.equal(relay.retries, 1, "the server sent exactly one Retry");
    assert.equal(listener.observe().accepted, 1);
    await conn.close({ code: 0, reason: "done" });
  } finally {
    relay.close();
    await listener.close();
  }
}

test("retry: connect() to listen({ retry: true }) completes after one Retry and echoes (batched extension path)", async () => {
  await echoThroughRetry();
});

test("retry: the same on the core ABI only (per-datagram input with the address-validation identity)", async () => {
  await echoThroughRetry(loadCoquicSync({ extensions: false }));
});

test("retry: connect() directly (no relay) to listen({ retry: true }) echoes", async () => {
  const listener = await echoServer();
  try {
    const conn = await connect(listener.addr, {
      alpn: "echo",
      ca: listener.certificatePem,
      signal: AbortSignal.timeout(5000),
    });
    assert.deepEqual(
      await echo(conn, new TextEncoder().encode("hello retry")),
      new TextEncoder().encode("hello retry"),
    );
    await conn.close({ code: 0, reason: "done" });
  } finally {
    await listener.close();
  }
});

test("retry: a client whose address changes between the Initial and the retried Initial is refused", async () => {
  const listener = await echoServer();
  const relay = await Relay.create(listener.addr, "move");
  try {
    const err = await connect(relay.addr, {
      alpn: "echo",
      ca: listener.certificatePem,
      signal: AbortSignal.timeout(5000),
    })
      .then(() => undefined, (e) => e);
    assert.ok(err instanceof QuicError, `connect() must fail, got ${err}`);
    assert.notEqual(err.kind, "timeout", `refused at once, not timed out: ${err.message}`);
    if (ext.closeInfos) assert.equal(err.code, 0x2n, `CONNECTION_REFUSED expected: ${err.message}`);
    assert.equal(relay.retries, 1);
    assert.equal(listener.observe().accepted, 0);
    assert.equal(listener.observe().connections, 0);
  } finally {
    relay.close();
    await listener.close();
  }
});

test("retry: a token replayed from another address is refused; the client it was issued to gets in", async () => {
  const listener = await echoServer();
  const relay = await Relay.create(listener.addr, "replay");
  try {
    const conn = await connect(relay.addr, {
      alpn: "echo",
      ca: listener.certificatePem,
      signal: AbortSignal.timeout(5000),
    });
    assert.deepEqual(await echo(conn, new Uint8Array([1, 2, 3])), new Uint8Array([1, 2, 3]));
    for (let i = 0; i < 50 && relay.stolenReplies.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(relay.stolenReplies.length > 0, "the server answers the replay");
    // A refusal is a lone Initial (CONNECTION_CLOSE); an accepted handshake would carry Handshake packets.
    for (const d of relay.stolenReplies) assert.deepEqual(packetTypes(d), ["initial"]);
    assert.ok(relay.stolenReplies.every((d) => d.length < 200), "refusals are small");
    assert.equal(listener.observe().connections, 1, "only the genuine client has a connection");
    await conn.close({ code: 0, reason: "done" });
  } finally {
    relay.close();
    await listener.close();
  }
});

test("retry: fetch() to serve({ retry: true }) returns the body after a Retry", async () => {
  const body = pattern(100_000, 7);
  const s = await serve(
    { hostname: "127.0.0.1", port: 0, retry: true },
    () => new Response(body as Uint8Array<ArrayBuffer>),
  );
  const relay = await Relay.create(s.addr);
  try {
    const res = await fetch(`https://127.0.0.1:${relay.addr.port}/x`, {
      ca: s.certificatePem,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200);
    assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), sha256(body));
    assert.equal(relay.retries, 1);
  } finally {
    await closeAll();
    relay.close();
    await s.shutdown();
  }
});

function hasGtlsclient(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v gtlsclient"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const GTLS = hasGtlsclient();
test(
  GTLS
    ? "retry interop: gtlsclient downloads from serve({ retry: true }) byte-exact after a Retry"
    : "retry interop: SKIPPED, gtlsclient not installed (Debian package ngtcp2-client)",
  async () => {
    const payload = pattern(2 << 20, 5);
    const s = await serve(
      { hostname: "127.0.0.1", port: 0, retry: true },
      () => new Response(payload as Uint8Array<ArrayBuffer>),
    );
    const relay = await Relay.create(s.addr);
    const dir = mkdtempSync(join(tmpdir(), "coquic-retry-"));
    try {
      const port = String(relay.addr.port);
      await new Promise<void>((resolve, reject) => {
        const child = spawn("gtlsclient", [
          "-q",
          "--exit-on-all-streams-close",
          `--download=${dir}`,
          "127.0.0.1",
          port,
          `https://127.0.0.1:${port}/blob`,
        ], { stdio: "ignore" });
        const timer = setTimeout(() => (child.kill(), reject(new Error("gtlsclient timed out"))), 20_000);
        child.on("exit", () => (clearTimeout(timer), resolve())); // its exit status is no verdict: the bytes are
      });
      assert.equal(sha256(new Uint8Array(readFileSync(join(dir, "blob")))), sha256(payload), "downloaded bytes differ");
      assert.equal(relay.retries, 1, "the download went through a Retry");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      relay.close();
      await s.shutdown();
    }
  },
  { ignore: !GTLS },
);
