/**
 * The low-level facade, shaped like the Rust/Go/Python bindings: `Endpoint`,
 * `Connection`, `Stream`, `ConnectResult`. Every call takes the caller's clock (`now`,
 * microseconds, bigint) and returns a `QueryResult`; nothing here does I/O.
 *
 * @module
 */
import * as L from "../ffi/layout.ts";
import { ConnectionInputKind, Status } from "../ffi/abi.ts";
import type { CoquicLibrary } from "../ffi/loader.ts";
import { Scratch, toBytes } from "../ffi/structs.ts";
import {
  type ClientConnectionConfig,
  defaultClientConnectionConfig,
  encodeEndpointConfig,
  encodeOpenConnection,
  type EndpointConfig,
} from "./config.ts";
import { CoquicStatusError, UseAfterCloseError } from "./errors.ts";
import { type QueryResult, readNextWakeup, takeResult } from "./result.ts";

/** A u64 argument: a bigint or a non-negative safe integer. */
export type U64 = bigint | number;

/** Converts and checks a u64 argument. */
export function u64(value: U64, what: string): bigint {
  if (typeof value === "bigint") {
    if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError(`${what} must be within 0..2^64-1`);
    return value;
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${what} must be a non-negative integer (number or bigint), got ${String(value)}`);
  }
  return BigInt(value);
}

function bytesArg(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  return value;
}

/** An inbound datagram. */
export interface InboundDatagram {
  bytes: Uint8Array;
  routeHandle?: U64;
  addressValidationIdentity?: Uint8Array;
  /** `Ecn` value; default UNAVAILABLE. */
  ecn?: number;
}

/** A PMTU observation for a route. */
export interface PathMtuUpdate {
  routeHandle?: U64;
  maxUdpPayloadSize: number;
  quotedPacket?: Uint8Array;
}

/** A request to migrate the connection to another route (client). */
export interface ConnectionMigration {
  routeHandle: U64;
  /** `MigrationReason` value; default ACTIVE. */
  reason?: number;
  addressValidationIdentity?: Uint8Array;
}

/** A tagged connection input, as `coquic_connection_advance` takes it. */
export type ConnectionInput =
  | { kind: "send_stream"; streamId: U64; bytes: Uint8Array; fin: boolean; priority?: number }
  | { kind: "send_datagram"; bytes: Uint8Array; priority?: number }
  | { kind: "reset_stream"; streamId: U64; applicationErrorCode: U64 }
  | { kind: "stop_sending"; streamId: U64; applicationErrorCode: U64 }
  | { kind: "close"; applicationErrorCode: U64; reason?: string | Uint8Array }
  | { kind: "request_key_update" }
  | ({ kind: "request_migration" } & ConnectionMigration);

/** Transport statistics of a connection (extension; absent with other libraries). */
export interface ConnectionStats {
  smoothedRttUs: number;
  minRttUs: number;
  latestRttUs: number;
  rttVarianceUs: number;
  congestionWindow: number;
  bytesInFlight: number;
  udpBytesSent: number;
  udpBytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
  /** undefined: the engine does not report it. */
  packetsLost?: number;
  streamBytesSent: number;
  streamBytesReceived: number;
  streamsOpenedLocal: number;
  streamsOpenedRemote: number;
  streamsActive: number;
  datagramsSent: number;
  datagramsReceived: number;
  handshakeCompleted: boolean;
  closing: boolean;
}

/**
 * Client settings for `Endpoint.connect`.
 *
 * @example
 * ```ts
 * const cfg = ClientConfig.new(lib, randomBytes(8), randomBytes(8));
 * cfg.core.serverName = "example.com";
 * cfg.initialRouteHandle = 1n;
 * ```
 */
export class ClientConfig {
  constructor(
    public core: ClientConnectionConfig,
    public initialRouteHandle: bigint = 0n,
    public addressValidationIdentity: Uint8Array = new Uint8Array(0),
  ) {}
  /** Defaults from the library with the given source and initial destination CIDs. */
  static new(lib: CoquicLibrary, sourceConnectionId: Uint8Array, initialDestinationConnectionId: Uint8Array): ClientConfig {
    return new ClientConfig(defaultClientConnectionConfig(lib, sourceConnectionId, initialDestinationConnectionId));
  }
}

/** The connection a `connect` created, with the result of the call. */
export interface ConnectResult {
  connection: Connection;
  result: QueryResult;
}

const registry = new FinalizationRegistry<{ lib: CoquicLibrary; handle: bigint }>((held) => {
  held.lib.symbols.coquic_endpoint_destroy(held.handle);
});

/**
 * A QUIC endpoint: one local socket's worth of connections, driven by the caller.
 *
 * @example
 * ```ts
 * const lib = await loadCoquic();
 * const cfg = defaultEndpointConfig(lib);
 * cfg.verifyPeer = false;
 * using ep = Endpoint.create(lib, cfg);
 * const { connection, result } = ep.connect(ClientConfig.new(lib, cid(), cid()), 0n);
 * ```
 */
export class Endpoint {
  #lib: CoquicLibrary;
  #handle: bigint;
  #closed = false;
  #token = {};
  #out = new Uint8Array(8);
  #outView = new DataView(this.#out.buffer);
  #s: Record<string, Scratch>;
  #errBuf = new Uint8Array(512);
  /** Use the by-value `next_wakeup` functions even when the extension exists (tests). */
  forceByValueCalls = false;

  private constructor(lib: CoquicLibrary, handle: bigint, scratch: Record<string, Scratch>) {
    this.#lib = lib;
    this.#handle = handle;
    this.#s = scratch;
    registry.register(this, { lib, handle }, this.#token);
  }

  /** Creates an endpoint; throws `CoquicStatusError` if the library rejects the config. */
  static create(lib: CoquicLibrary, config: EndpointConfig): Endpoint {
    const sc = (n: number) => new Scratch(n, lib.ffi);
    const scratch = {
      config: sc(L.EndpointConfig.size),
      identity: sc(L.TlsIdentity.size),
      open: sc(L.OpenConnection.size),
      resumption: sc(16),
      inbound: sc(L.InboundDatagram.size),
      mtu: sc(L.PathMtuUpdate.size),
      input: sc(L.ConnectionInput.size),
      stats: sc(L.ConnectionStats.size),
    };
    encodeEndpointConfig(scratch.config, config, scratch.identity);
    const out = new Uint8Array(8);
    const status = lib.symbols.coquic_endpoint_create(scratch.config.bytes, out) as number;
    scratch.config.reset();
    scratch.identity.reset();
    if (status !== Status.OK) throw new CoquicStatusError(status, "coquic_endpoint_create", lastError(lib));
    return new Endpoint(lib, new DataView(out.buffer).getBigUint64(0, true), scratch);
  }

  /** The library this endpoint runs on. */
  get library(): CoquicLibrary {
    return this.#lib;
  }

  /** True once `close()` ran. */
  get closed(): boolean {
    return this.#closed;
  }

  #live(): bigint {
    if (this.#closed) throw new UseAfterCloseError("Endpoint");
    return this.#handle;
  }

  /** Runs a result-returning native call whose last two arguments are (now, out). */
  // deno-lint-ignore no-explicit-any
  _call(name: string, now: U64, ...args: any[]): QueryResult {
    const handle = this.#live();
    const status = this.#lib.symbols[name](handle, ...args, u64(now, "now"), this.#out) as number;
    if (status !== Status.OK) throw new CoquicStatusError(status, name, lastError(this.#lib, this.#errBuf));
    return takeResult(this.#lib, this.#outView.getBigUint64(0, true), this.forceByValueCalls);
  }

  /** Opens a client connection. */
  connect(config: ClientConfig, now: U64): ConnectResult {
    if (!(config instanceof ClientConfig)) throw new TypeError("connect needs a ClientConfig");
    const s = this.#s;
    encodeOpenConnection(
      s.open,
      config.core,
      u64(config.initialRouteHandle, "initialRouteHandle"),
      bytesArg(config.addressValidationIdentity, "addressValidationIdentity"),
      s.resumption,
    );
    // coquic_quic_connect has its out_connection between `now` and `out_result`.
    const handle = this.#live();
    const connOut = new Uint8Array(8);
    let status: number;
    try {
      status = this.#lib.symbols.coquic_quic_connect(handle, s.open.bytes, u64(now, "now"), connOut, this.#out) as number;
    } finally {
      s.open.reset();
      s.resumption.reset();
    }
    if (status !== Status.OK) throw new CoquicStatusError(status, "coquic_quic_connect", lastError(this.#lib, this.#errBuf));
    const result = takeResult(this.#lib, this.#outView.getBigUint64(0, true), this.forceByValueCalls);
    return { connection: new Connection(this, new DataView(connOut.buffer).getBigUint64(0, true)), result };
  }

  /** A handle on an existing connection (no native call). */
  connection(handle: U64): Connection {
    return new Connection(this, u64(handle, "connection handle"));
  }

  /** Feeds one inbound datagram. */
  receiveDatagram(datagram: InboundDatagram, now: U64): QueryResult {
    const s = this.#s.inbound.reset();
    s.view.setBigUint64(0, BigInt(L.InboundDatagram.size), true);
    s.range(L.InboundDatagram.bytes, bytesArg(datagram.bytes, "datagram.bytes"));
    s.optional(L.InboundDatagram.route_handle, datagram.routeHandle === undefined ? undefined : u64(datagram.routeHandle, "routeHandle"));
    if (datagram.addressValidationIdentity) {
      s.range(L.InboundDatagram.address_validation_identity, bytesArg(datagram.addressValidationIdentity, "addressValidationIdentity"));
    }
    s.view.setUint8(L.InboundDatagram.ecn, datagram.ecn ?? 0);
    try {
      return this._call("coquic_quic_receive_datagram", now, s.bytes);
    } finally {
      s.reset();
    }
  }

  /** Reports a PMTU observation. */
  updatePathMtu(update: PathMtuUpdate, now: U64): QueryResult {
    const s = this.#s.mtu.reset();
    s.view.setBigUint64(0, BigInt(L.PathMtuUpdate.size), true);
    s.optional(L.PathMtuUpdate.route_handle, update.routeHandle === undefined ? undefined : u64(update.routeHandle, "routeHandle"));
    s.view.setBigUint64(L.PathMtuUpdate.max_udp_payload_size, u64(update.maxUdpPayloadSize, "maxUdpPayloadSize"), true);
    if (update.quotedPacket) s.range(L.PathMtuUpdate.quoted_packet, update.quotedPacket);
    try {
      return this._call("coquic_quic_update_path_mtu", now, s.bytes);
    } finally {
      s.reset();
    }
  }

  /** Services timers due at `now` (and pending send continuations). */
  timerExpired(now: U64): QueryResult {
    return this._call("coquic_quic_timer_expired", now);
  }

  /** Live connections. */
  connectionCount(): number {
    return Number(this.#lib.symbols.coquic_endpoint_connection_count(this.#live()));
  }

  /** When `timerExpired` is next needed (µs), if ever. */
  nextWakeup(): bigint | undefined {
    const handle = this.#live();
    if (this.#lib.extensions.nextWakeupOut && !this.forceByValueCalls) {
      return this.#lib.symbols.coquic_x_endpoint_next_wakeup(handle, this.#out) ? this.#outView.getBigUint64(0, true) : undefined;
    }
    const w = this.#lib.symbols.coquic_endpoint_next_wakeup(handle) as { has: boolean; value: bigint };
    return w.has ? w.value : undefined;
  }

  /** Whether a send continuation is pending (call `timerExpired(now)` again now). */
  hasSendContinuationPending(): boolean {
    return this.#lib.symbols.coquic_endpoint_has_send_continuation_pending(this.#live()) !== 0;
  }

  /** Whether any connection has unsent stream data (for shutdown). */
  hasPendingStreamSend(): boolean {
    return this.#lib.symbols.coquic_endpoint_has_pending_stream_send(this.#live()) !== 0;
  }

  /** Transport statistics (extension); undefined with libraries that lack it or unknown connections. */
  connectionStats(handle: U64): ConnectionStats | undefined {
    if (!this.#lib.extensions.stats) return undefined;
    const s = this.#s.stats.reset();
    s.view.setBigUint64(0, BigInt(L.ConnectionStats.size), true);
    if (this.#lib.symbols.coquic_x_connection_stats(this.#live(), u64(handle, "connection"), s.bytes) !== Status.OK) return undefined;
    const out: Record<string, number | boolean | undefined> = {};
    L.ConnectionStats.fields.forEach((name, i) => {
      const v = s.view.getBigUint64(L.ConnectionStats.first_field + 8 * i, true);
      out[name] = v === 0xffffffffffffffffn ? undefined : Number(v);
    });
    out.handshakeCompleted = s.view.getUint8(L.ConnectionStats.handshake_completed) !== 0;
    out.closing = s.view.getUint8(L.ConnectionStats.closing) !== 0;
    return out as unknown as ConnectionStats;
  }

  /** Trusts an extra PEM CA for server verification (extension); false if unsupported. */
  addTrustedCa(pem: string | Uint8Array): boolean {
    if (!this.#lib.extensions.trustedCa) return false;
    const bytes = toBytes(pem);
    const status = this.#lib.symbols.coquic_x_endpoint_add_trusted_ca(this.#live(), bytes, BigInt(bytes.length)) as number;
    if (status !== Status.OK) throw new CoquicStatusError(status, "coquic_x_endpoint_add_trusted_ca", lastError(this.#lib));
    return true;
  }

  /** Switches to application-driven receive credit (extension); false if unsupported. */
  setManualCredit(enabled: boolean): boolean {
    if (!this.#lib.extensions.manualCredit) return false;
    this.#lib.symbols.coquic_x_endpoint_set_manual_credit(this.#live(), enabled ? 1 : 0);
    return true;
  }

  /** Returns receive credit for bytes the application consumed (extension). */
  consume(connection: U64, streamId: U64, bytes: U64, now: U64): QueryResult {
    if (!this.#lib.extensions.manualCredit) throw new TypeError("this libcoquic has no manual credit extension");
    return this._call("coquic_x_connection_consume", now, u64(connection, "connection"), u64(streamId, "streamId"), u64(bytes, "bytes"));
  }

  /** Unacknowledged bytes on a stream's send side (extension), or undefined. */
  streamSendBuffered(connection: U64, streamId: U64): bigint | undefined {
    if (!this.#lib.extensions.sendBuffered) return undefined;
    return this.#lib.symbols.coquic_x_stream_send_buffered(this.#live(), u64(connection, "connection"), u64(streamId, "streamId")) as bigint;
  }

  /** Applies a tagged input to a connection (`coquic_connection_advance`). */
  _advance(connection: bigint, input: ConnectionInput, now: U64): QueryResult {
    const s = this.#s.input.reset();
    const v = s.view;
    const at = L.ConnectionInput.as;
    switch (input.kind) {
      case "send_stream":
        v.setUint8(0, ConnectionInputKind.SEND_STREAM);
        v.setBigUint64(at, BigInt(L.SendStreamData.size), true);
        v.setBigUint64(at + L.SendStreamData.stream_id, u64(input.streamId, "streamId"), true);
        s.range(at + L.SendStreamData.bytes, bytesArg(input.bytes, "bytes"));
        v.setUint8(at + L.SendStreamData.fin, input.fin ? 1 : 0);
        v.setInt32(at + L.SendStreamData.priority, priority(input.priority), true);
        break;
      case "send_datagram":
        v.setUint8(0, ConnectionInputKind.SEND_DATAGRAM);
        v.setBigUint64(at, BigInt(L.SendDatagramData.size), true);
        s.range(at + L.SendDatagramData.bytes, bytesArg(input.bytes, "bytes"));
        v.setInt32(at + L.SendDatagramData.priority, priority(input.priority), true);
        break;
      case "reset_stream":
      case "stop_sending":
        v.setUint8(0, input.kind === "reset_stream" ? ConnectionInputKind.RESET_STREAM : ConnectionInputKind.STOP_SENDING);
        v.setBigUint64(at, BigInt(L.StreamCode.size), true);
        v.setBigUint64(at + L.StreamCode.stream_id, u64(input.streamId, "streamId"), true);
        v.setBigUint64(at + L.StreamCode.application_error_code, u64(input.applicationErrorCode, "applicationErrorCode"), true);
        break;
      case "close": {
        v.setUint8(0, ConnectionInputKind.CLOSE);
        v.setBigUint64(at, BigInt(L.CloseConnection.size), true);
        v.setBigUint64(at + L.CloseConnection.application_error_code, u64(input.applicationErrorCode, "applicationErrorCode"), true);
        s.range(at + L.CloseConnection.reason_phrase, input.reason === undefined ? undefined : toBytes(input.reason));
        break;
      }
      case "request_key_update":
        v.setUint8(0, ConnectionInputKind.REQUEST_KEY_UPDATE);
        break;
      case "request_migration":
        v.setUint8(0, ConnectionInputKind.REQUEST_MIGRATION);
        v.setBigUint64(at, BigInt(L.RequestMigration.size), true);
        v.setBigUint64(at + L.RequestMigration.route_handle, u64(input.routeHandle, "routeHandle"), true);
        v.setUint8(at + L.RequestMigration.reason, input.reason ?? 0);
        s.range(at + L.RequestMigration.address_validation_identity, input.addressValidationIdentity);
        break;
      default:
        throw new TypeError(`unknown connection input kind ${(input as { kind: string }).kind}`);
    }
    try {
      return this._call("coquic_connection_advance", now, connection, s.bytes);
    } finally {
      s.reset();
    }
  }

  /** Destroys the native endpoint (idempotent); every later call throws `UseAfterCloseError`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    registry.unregister(this.#token);
    this.#lib.symbols.coquic_endpoint_destroy(this.#handle);
  }

  /** `using` support. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function priority(p: number | undefined): number {
  if (p === undefined) return 0;
  if (!Number.isInteger(p) || p < -(2 ** 31) || p >= 2 ** 31) throw new RangeError("priority must be an int32");
  return p;
}

/** The message of the last failed call on this thread (extension), if any. */
export function lastError(lib: CoquicLibrary, buf = new Uint8Array(512)): string | undefined {
  if (!lib.extensions.lastError) return undefined;
  const n = Number(lib.symbols.coquic_x_last_error_message(buf, BigInt(buf.length)));
  if (n === 0) return undefined;
  return new TextDecoder().decode(buf.subarray(0, Math.min(n, buf.length - 1)));
}

/**
 * A connection of an endpoint (a weak handle: valid while the endpoint is open).
 *
 * @example
 * ```ts
 * const r = conn.sendStream(0n, new TextEncoder().encode("hi"), true, now);
 * ```
 */
export class Connection {
  constructor(readonly endpoint: Endpoint, readonly handle: bigint) {}

  /** Whether the handle is non-zero and its endpoint open. */
  isValid(): boolean {
    return this.handle !== 0n && !this.endpoint.closed;
  }

  /** A stream of this connection. */
  stream(id: U64): Stream {
    return new Stream(this, u64(id, "stream id"));
  }

  /** Applies a tagged input. */
  advance(input: ConnectionInput, now: U64): QueryResult {
    return this.endpoint._advance(this.handle, input, now);
  }

  /** Sends stream data (opening the stream on first use). */
  sendStream(streamId: U64, data: Uint8Array, fin: boolean, now: U64, priority?: number): QueryResult {
    return this.advance({ kind: "send_stream", streamId, bytes: data, fin, priority }, now);
  }

  /** Sends a DATAGRAM frame. */
  sendDatagram(data: Uint8Array, now: U64, priority?: number): QueryResult {
    return this.advance({ kind: "send_datagram", bytes: data, priority }, now);
  }

  /** Resets our sending side of a stream. */
  resetStream(streamId: U64, applicationErrorCode: U64, now: U64): QueryResult {
    return this.advance({ kind: "reset_stream", streamId, applicationErrorCode }, now);
  }

  /** Asks the peer to stop sending on a stream. */
  stopSending(streamId: U64, applicationErrorCode: U64, now: U64): QueryResult {
    return this.advance({ kind: "stop_sending", streamId, applicationErrorCode }, now);
  }

  /** Closes the connection with an application error code and reason. */
  close(applicationErrorCode: U64, reason: string | Uint8Array, now: U64): QueryResult {
    return this.advance({ kind: "close", applicationErrorCode, reason }, now);
  }

  /** Starts a key update. */
  requestKeyUpdate(now: U64): QueryResult {
    return this.advance({ kind: "request_key_update" }, now);
  }

  /** Migrates to another route (client). */
  requestMigration(migration: ConnectionMigration, now: U64): QueryResult {
    return this.advance({ kind: "request_migration", ...migration }, now);
  }
}

/**
 * One stream of a connection.
 *
 * @example
 * ```ts
 * const s = conn.stream(0n);
 * s.send(bytes, false, now);
 * s.finish(now);
 * ```
 */
export class Stream {
  constructor(readonly connection: Connection, readonly id: bigint) {}

  /** Whether the connection handle is still usable. */
  isValid(): boolean {
    return this.connection.isValid();
  }
  /** Sends data, with FIN when `fin`. */
  send(data: Uint8Array, fin: boolean, now: U64, priority?: number): QueryResult {
    return this.connection.sendStream(this.id, data, fin, now, priority);
  }
  /** Sends FIN with no data. */
  finish(now: U64): QueryResult {
    return this.connection.sendStream(this.id, new Uint8Array(0), true, now);
  }
  /** Resets the sending side. */
  reset(applicationErrorCode: U64, now: U64): QueryResult {
    return this.connection.resetStream(this.id, applicationErrorCode, now);
  }
  /** Asks the peer to stop sending. */
  stopSending(applicationErrorCode: U64, now: U64): QueryResult {
    return this.connection.stopSending(this.id, applicationErrorCode, now);
  }
}
