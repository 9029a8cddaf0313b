/**
 * The low-level facade, shaped like the Rust/Python bindings: `Endpoint`, `Connection`,
 * `Stream`, `ClientConfig`, `ConnectResult`. Every call takes the caller's clock (`now`,
 * microseconds) and returns a `QueryResult`; nothing here does I/O. Arguments are validated
 * in TypeScript (`InvalidArgumentError`) and a closed endpoint throws `UseAfterCloseError`,
 * both before any native call.
 *
 * @module
 */
import { BatchInput } from "./batch_input.ts";
import { Layout as L, Status, StreamEffectFlag } from "../ffi/abi.ts";
import { type CoquicLibrary, defaultLibrary } from "../ffi/loader.ts";
import {
  decodeConnectionStats,
  encodeConnectionInput,
  encodeEndpointConfig,
  encodeInboundDatagram,
  encodeOpenConnection,
  encodePathMtuUpdate,
  prepareConnectionStats,
  Scratch,
} from "./codec.ts";
import { bool, bytes, errorCode, streamId, text, type U64, u64 } from "./args.ts";
import { type ClientConnectionConfig, defaultClientConnectionConfig, type EndpointConfig } from "./config.ts";
import { CoquicStatusError, InvalidArgumentError, UseAfterCloseError } from "./errors.ts";
import type { ConnectionInput, ConnectionMigration, InboundDatagram, PathMtuUpdate } from "./inputs.ts";
import { type QueryResult, takeResult } from "./result.ts";
import type { ConnectionStats } from "./stats.ts";

export type { U64 } from "./args.ts";
export { u64 } from "./args.ts";
export type { ConnectionInput, ConnectionMigration, InboundDatagram, PathMtuUpdate } from "./inputs.ts";
export type { ConnectionStats } from "./stats.ts";

/**
 * Client settings for `Endpoint.connect` (the Rust/Python `quic.ClientConfig`).
 *
 * @example
 * ```ts
 * const cfg = ClientConfig.new(crypto.getRandomValues(new Uint8Array(8)), crypto.getRandomValues(new Uint8Array(8)));
 * cfg.core.serverName = "example.com";
 * cfg.initialRouteHandle = 1n;
 * ```
 */
export class ClientConfig {
  /** Wraps `core` with the first path's route handle (default 0) and address-validation identity (default empty). */
  constructor(
    public core: ClientConnectionConfig,
    public initialRouteHandle: U64 = 0n,
    public addressValidationIdentity: Uint8Array = new Uint8Array(0),
  ) {}

  /** Library defaults (of `lib`, default: the library found by the search order) with the given source and initial destination connection IDs. */
  // deno-lint-ignore no-misused-new -- named like Rust's `ClientConfig::new`; returns a ClientConfig
  static new(
    sourceConnectionId: Uint8Array,
    initialDestinationConnectionId: Uint8Array,
    lib?: CoquicLibrary,
  ): ClientConfig {
    return new ClientConfig(
      defaultClientConnectionConfig(
        lib ?? defaultLibrary(),
        bytes(sourceConnectionId, "sourceConnectionId"),
        bytes(initialDestinationConnectionId, "initialDestinationConnectionId"),
      ),
    );
  }
}

/**
 * The connection a `connect` created, with the result of the call.
 *
 * @example
 * ```ts
 * declare const endpoint: Endpoint, cfg: ClientConfig, now: bigint;
 * const { connection, result }: ConnectResult = endpoint.connect(cfg, now);
 * ```
 */
export interface ConnectResult {
  /** The new connection. */
  connection: Connection;
  /** Effects of the call. */
  result: QueryResult;
}

/** Destroys native endpoints whose `Endpoint` was collected without `close()`. */
const registry = new FinalizationRegistry<{ lib: CoquicLibrary; handle: bigint }>((held) => {
  held.lib.symbols.coquic_endpoint_destroy(held.handle);
});

/** Per-endpoint input scratch: one buffer per struct kind, reused by every call. */
function makeScratch(lib: CoquicLibrary) {
  const sc = (n: number) => new Scratch(n, lib.ffi);
  return {
    config: sc(L.EndpointConfig.size),
    identity: sc(L.TlsIdentity.size),
    open: sc(L.OpenConnection.size),
    resumption: sc(L.ResumptionState.size),
    inbound: sc(L.InboundDatagram.size),
    mtu: sc(L.PathMtuUpdate.size),
    input: sc(L.ConnectionInput.size),
    stats: sc(L.ConnectionStats.size),
    out: sc(8),
    connection: sc(8),
  };
}

function isLibrary(v: unknown): v is CoquicLibrary {
  return typeof v === "object" && v !== null && "symbols" in v && "extensions" in v && "ffi" in v;
}

/**
 * A QUIC endpoint: one local socket's worth of connections, driven by the caller.
 *
 * @example
 * ```ts
 * import { EndpointConfig } from "./config.ts";
 * const cid = () => crypto.getRandomValues(new Uint8Array(8));
 * const cfg = EndpointConfig.default();
 * cfg.verifyPeer = false;
 * using ep = Endpoint.create(cfg);
 * const { connection, result } = ep.connect(ClientConfig.new(cid(), cid()), 0n);
 * ```
 */
export class Endpoint {
  #lib: CoquicLibrary;
  #streamEffects = { closed: false, acked: false };
  #pathEffects = false;
  #handle: bigint;
  #closed = false;
  #token = {};
  #s: ReturnType<typeof makeScratch>;
  #errBuf = new Uint8Array(512);
  /** The receive windows this endpoint offers peers (its transport config), in bytes. */
  readonly receiveWindows: Readonly<{ stream: number; connection: number }>;

  private constructor(
    lib: CoquicLibrary,
    handle: bigint,
    scratch: ReturnType<typeof makeScratch>,
    windows: { stream: number; connection: number },
  ) {
    this.#lib = lib;
    this.#handle = handle;
    this.#s = scratch;
    this.receiveWindows = Object.freeze(windows);
    registry.register(this, { lib, handle }, this.#token);
  }

  /**
   * Creates an endpoint (on `lib`, default: the library found by the search order); throws
   * `CoquicStatusError` if the library rejects the config.
   */
  static create(config: EndpointConfig, lib?: CoquicLibrary): Endpoint;
  /** The same, library first. */
  static create(lib: CoquicLibrary, config: EndpointConfig): Endpoint;
  static create(a: EndpointConfig | CoquicLibrary, b?: EndpointConfig | CoquicLibrary): Endpoint {
    const [lib, config] = isLibrary(a)
      ? [a, b as EndpointConfig]
      : [(b as CoquicLibrary | undefined) ?? defaultLibrary(), a];
    const s = makeScratch(lib);
    try {
      encodeEndpointConfig(s.config, config, s.identity);
      const status = lib.symbols.coquic_endpoint_create(s.config.bytes, s.out.bytes) as number;
      if (status !== Status.OK) throw new CoquicStatusError(status, "coquic_endpoint_create", lastError(lib));
      const t = config.transport;
      const stream = Math.min(
        Number(t.initialMaxStreamDataBidiLocal),
        Number(t.initialMaxStreamDataBidiRemote),
        Number(t.initialMaxStreamDataUni),
      );
      return new Endpoint(lib, s.out.view.getBigUint64(0, true), s, { stream, connection: Number(t.initialMaxData) });
    } finally {
      s.config.reset();
      s.identity.reset();
    }
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

  /** Runs a result-returning native call `(endpoint, ...args, now, out)`; `now` is already checked. */
  // deno-lint-ignore no-explicit-any
  #call(name: string, handle: bigint, now: bigint, ...args: any[]): QueryResult {
    const out = this.#s.out;
    const status = this.#lib.symbols[name](handle, ...args, now, out.bytes) as number;
    if (status !== Status.OK) throw new CoquicStatusError(status, name, lastError(this.#lib, this.#errBuf));
    return takeResult(this.#lib, out.view.getBigUint64(0, true));
  }

  /** Opens a client connection (`coquic_quic_connect`). */
  connect(config: ClientConfig, now: U64): ConnectResult {
    const handle = this.#live();
    if (!(config instanceof ClientConfig)) throw new InvalidArgumentError("config", "must be a ClientConfig");
    const t = u64(now, "now");
    const s = this.#s;
    try {
      encodeOpenConnection(
        s.open,
        config.core,
        u64(config.initialRouteHandle, "initialRouteHandle"),
        bytes(config.addressValidationIdentity, "addressValidationIdentity"),
        s.resumption,
      );
      // coquic_quic_connect has its out_connection between `now` and `out_result`.
      const status = this.#lib.symbols.coquic_quic_connect(
        handle,
        s.open.bytes,
        t,
        s.connection.bytes,
        s.out.bytes,
      ) as number;
      if (status !== Status.OK) {
        throw new CoquicStatusError(status, "coquic_quic_connect", lastError(this.#lib, this.#errBuf));
      }
    } finally {
      s.open.reset();
      s.resumption.reset();
    }
    const result = takeResult(this.#lib, s.out.view.getBigUint64(0, true));
    return { connection: new Connection(this, s.connection.view.getBigUint64(0, true)), result };
  }

  /** A handle on an existing connection (no native call). */
  connection(handle: U64): Connection {
    this.#live();
    return new Connection(this, u64(handle, "connection"));
  }

  /** Feeds one inbound datagram. */
  receiveDatagram(datagram: InboundDatagram, now: U64): QueryResult {
    const handle = this.#live();
    const t = u64(now, "now");
    const s = this.#s.inbound;
    try {
      encodeInboundDatagram(s, datagram);
      return this.#call("coquic_quic_receive_datagram", handle, t, s.bytes);
    } finally {
      s.reset();
    }
  }

  #batch = new BatchInput();

  /**
   * Feeds several datagrams in one native call and returns one result. `routes[i]`
   * undefined means no route handle; `identities[i]` is the sender's address-validation
   * identity (as `InboundDatagram.addressValidationIdentity`), which Retry tokens are bound
   * to. Uses `coquic_x_endpoint_input_datagrams_identified`; on a library without it, batches
   * without identities go through `coquic_x_endpoint_input_datagrams` and the rest one call
   * per datagram (also without any batch extension), with the results merged.
   */
  receiveDatagrams(
    datagrams: readonly Uint8Array[],
    routes: readonly (bigint | undefined)[],
    count: number,
    now: U64,
    identities?: readonly (Uint8Array | undefined)[],
  ): QueryResult {
    const handle = this.#live();
    const t = u64(now, "now");
    const ext = this.#lib.extensions;
    const b = this.#batch;
    if (ext.batchIo) b.encode(datagrams, routes, count, identities);
    if (!ext.batchIo || (b.hasIdentities && !ext.batchIdentities)) {
      const merged: QueryResult = { effects: [], sendContinuationPending: false, closeInfos: [] };
      for (let i = 0; i < count; i++) {
        const r = this.receiveDatagram({
          bytes: datagrams[i],
          routeHandle: routes[i],
          addressValidationIdentity: identities?.[i],
        }, t);
        merged.effects.push(...r.effects);
        merged.closeInfos.push(...r.closeInfos);
        merged.localError ??= r.localError;
        merged.nextWakeup = r.nextWakeup;
        merged.sendContinuationPending = r.sendContinuationPending;
      }
      return merged;
    }
    if (!ext.batchIdentities) {
      return this.#call("coquic_x_endpoint_input_datagrams", handle, t, b.data, b.lengths, b.routes, BigInt(count));
    }
    return this.#call(
      "coquic_x_endpoint_input_datagrams_identified",
      handle,
      t,
      b.data,
      b.lengths,
      b.routes,
      b.identities,
      b.identityLengths,
      BigInt(count),
    );
  }

  /** Reports a path MTU observation. */
  updatePathMtu(update: PathMtuUpdate, now: U64): QueryResult {
    const handle = this.#live();
    const t = u64(now, "now");
    const s = this.#s.mtu;
    try {
      encodePathMtuUpdate(s, update);
      return this.#call("coquic_quic_update_path_mtu", handle, t, s.bytes);
    } finally {
      s.reset();
    }
  }

  /** Services timers due at `now` (and pending send continuations). */
  timerExpired(now: U64): QueryResult {
    const handle = this.#live();
    return this.#call("coquic_quic_timer_expired", handle, u64(now, "now"));
  }

  /** Live connections. */
  connectionCount(): number {
    return this.#lib.symbols.coquic_endpoint_connection_count(this.#live()) as number;
  }

  /** When `timerExpired` is next needed (absolute µs), if ever. */
  nextWakeup(): bigint | undefined {
    const handle = this.#live();
    if (this.#lib.extensions.nextWakeupOut) {
      const out = this.#s.out;
      return this.#lib.symbols.coquic_x_endpoint_next_wakeup(handle, out.bytes)
        ? out.view.getBigUint64(0, true)
        : undefined;
    }
    return this.#lib.symbols.coquic_endpoint_next_wakeup(handle) as bigint | undefined;
  }

  /** Whether a send continuation is pending (call `timerExpired(now)` again now). */
  hasSendContinuationPending(): boolean {
    return this.#lib.symbols.coquic_endpoint_has_send_continuation_pending(this.#live()) !== 0;
  }

  /** Whether any connection has unsent stream data (expensive: for shutdown). */
  hasPendingStreamSend(): boolean {
    return this.#lib.symbols.coquic_endpoint_has_pending_stream_send(this.#live()) !== 0;
  }

  /** Transport statistics (extension); undefined with libraries that lack it or for unknown connections. */
  connectionStats(connection: U64): ConnectionStats | undefined {
    const handle = this.#live();
    const c = u64(connection, "connection");
    if (!this.#lib.extensions.stats) return undefined;
    const s = this.#s.stats;
    prepareConnectionStats(s);
    if (this.#lib.symbols.coquic_x_connection_stats(handle, c, s.bytes) !== Status.OK) return undefined;
    return decodeConnectionStats(s.view);
  }

  /**
   * The DER of the peer's leaf certificate as its handshake sent it, verified or not
   * (extension `coquic_x_connection_peer_certificate`): undefined when the peer sent none (yet)
   * or the connection is unknown; throws a TypeError when the library lacks the extension.
   */
  peerCertificate(connection: U64): Uint8Array<ArrayBuffer> | undefined {
    const handle = this.#live();
    const c = u64(connection, "connection");
    if (!this.#lib.extensions.peerCertificate) throw new TypeError("this libcoquic has no peer certificate extension");
    const length = new Uint8Array(8);
    const lengthView = new DataView(length.buffer);
    let buf = new Uint8Array(4096);
    for (let attempt = 0; attempt < 2; attempt++) {
      const status = this.#lib.symbols.coquic_x_connection_peer_certificate(handle, c, buf, buf.length, length);
      if (status !== Status.OK) return undefined;
      const n = Number(lengthView.getBigUint64(0, true));
      if (n === 0) return undefined;
      if (n <= buf.length) return buf.slice(0, n);
      buf = new Uint8Array(n); // a larger certificate: once more with room for it
    }
    return undefined;
  }

  /** Trusts an extra PEM CA for server verification (extension); false if unsupported. */
  addTrustedCa(pem: string | Uint8Array): boolean {
    const handle = this.#live();
    const b = text(pem, "pem");
    if (!this.#lib.extensions.trustedCa) return false;
    const status = this.#lib.symbols.coquic_x_endpoint_add_trusted_ca(handle, b, b.length) as number;
    if (status !== Status.OK) {
      throw new CoquicStatusError(status, "coquic_x_endpoint_add_trusted_ca", lastError(this.#lib, this.#errBuf));
    }
    return true;
  }

  /** Switches to application-driven receive credit (extension); false if unsupported. */
  setManualCredit(enabled: boolean): boolean {
    const handle = this.#live();
    const on = bool(enabled, "enabled");
    if (!this.#lib.extensions.manualCredit) return false;
    this.#lib.symbols.coquic_x_endpoint_set_manual_credit(handle, on ? 1 : 0);
    return true;
  }

  /**
   * Asks for `stream_closed` (`closed`) and `stream_acked` (`acked`) effects (extension);
   * false, and no such effects, when the library cannot.
   *
   * @example
   * ```ts
   * declare const ep: Endpoint;
   * if (!ep.setStreamEffects({ closed: true, acked: true })) console.log("polling instead");
   * ```
   */
  setStreamEffects(which: { closed?: boolean; acked?: boolean }): boolean {
    const handle = this.#live();
    if (!this.#lib.extensions.streamEffects) return false;
    const flags = (which.closed ? StreamEffectFlag.CLOSED : 0) | (which.acked ? StreamEffectFlag.ACKED : 0);
    const status = this.#lib.symbols.coquic_x_endpoint_set_stream_effects(handle, flags) as number;
    if (status !== Status.OK) return false;
    this.#streamEffects = { closed: which.closed === true, acked: which.acked === true };
    return true;
  }

  /** Which stream effects this endpoint emits (see `setStreamEffects`). */
  get streamEffects(): Readonly<{ closed: boolean; acked: boolean }> {
    return this.#streamEffects;
  }

  /**
   * Asks for `path_validation` effects (extension): how each path validation ended, e.g. a
   * client's migration. False, and no such effects, when the library cannot.
   *
   * @example
   * ```ts
   * declare const ep: Endpoint;
   * if (!ep.setPathEffects(true)) console.log("migration outcomes are not reported");
   * ```
   */
  setPathEffects(enabled: boolean): boolean {
    const handle = this.#live();
    if (!this.#lib.extensions.pathEffects) return false;
    const status = this.#lib.symbols.coquic_x_endpoint_set_path_effects(handle, enabled ? 1 : 0) as number;
    this.#pathEffects = status === Status.OK && enabled;
    return status === Status.OK;
  }

  /** Whether this endpoint emits `path_validation` effects (see `setPathEffects`). */
  get pathEffects(): boolean {
    return this.#pathEffects;
  }

  /**
   * Counts lost packets for connections opened from now on (extension; about 20% CPU on
   * bulk transfers with our engine). Returns false when the library cannot.
   */
  setLossAccounting(enabled: boolean): boolean {
    const handle = this.#live();
    const on = bool(enabled, "enabled");
    if (!this.#lib.extensions.lossAccounting) return false;
    this.#lib.symbols.coquic_x_endpoint_set_loss_accounting(handle, on ? 1 : 0);
    return true;
  }

  /**
   * Writes a qlog file per connection opened from now on into `dir` (extension; made if
   * missing; `""` turns it off). Returns false when the library cannot; throws
   * {@link CoquicStatusError} when the directory cannot be made or written.
   */
  setQlogDir(dir: string): boolean {
    const handle = this.#live();
    const path = text(dir, "dir");
    if (!this.#lib.extensions.qlog) return false;
    const status = this.#lib.symbols.coquic_x_endpoint_set_qlog_dir(handle, path, path.length);
    if (status !== Status.OK) {
      throw new CoquicStatusError(status, "coquic_x_endpoint_set_qlog_dir", lastError(this.#lib, this.#errBuf));
    }
    return true;
  }

  /** Returns receive credit for bytes the application consumed (extension). */
  consume(connection: U64, stream: U64, count: U64, now: U64): QueryResult {
    const handle = this.#live();
    const args = [u64(connection, "connection"), streamId(stream), u64(count, "bytes")];
    const t = u64(now, "now");
    if (!this.#lib.extensions.manualCredit) throw new TypeError("this libcoquic has no manual credit extension");
    return this.#call("coquic_x_connection_consume", handle, t, ...args);
  }

  /**
   * The first local stream id (bidirectional unless `unidirectional`) beyond the peer's
   * stream limit (extension), or undefined without it; 0n for unknown connections.
   */
  streamIdLimit(connection: U64, unidirectional: boolean): bigint | undefined {
    const handle = this.#live();
    const c = u64(connection, "connection");
    if (!this.#lib.extensions.streamLimit) return undefined;
    return BigInt(this.#lib.symbols.coquic_x_connection_stream_id_limit(handle, c, unidirectional ? 1 : 0) as bigint);
  }

  /**
   * Bounds a server's half-open handshakes (not completed yet) to `bytes`, each counted at
   * the engine's estimate of its cost (extension; 0: the engine's default). Beyond it the
   * oldest is dropped for the newest. False when unsupported.
   */
  setHalfOpenLimit(bytes: number): boolean {
    const handle = this.#live();
    const b = u64(bytes, "bytes");
    if (!this.#lib.extensions.halfOpen) return false;
    return this.#lib.symbols.coquic_x_endpoint_set_half_open_limit(handle, b) === Status.OK;
  }

  /** The half-open handshakes now, their counted bytes and how many were dropped (extension), or undefined. */
  halfOpen(): { count: number; bytes: number; dropped: number } | undefined {
    const handle = this.#live();
    if (!this.#lib.extensions.halfOpen) return undefined;
    const out = new BigUint64Array(3);
    this.#lib.symbols.coquic_x_endpoint_half_open(handle, out);
    return { count: Number(out[0]), bytes: Number(out[1]), dropped: Number(out[2]) };
  }

  /**
   * The largest DATAGRAM payload a connection can send now (extension), or undefined without
   * it; 0 when the peer takes no DATAGRAMs and for unknown connections.
   */
  maxDatagramSize(connection: U64): number | undefined {
    const handle = this.#live();
    const c = u64(connection, "connection");
    if (!this.#lib.extensions.maxDatagramSize) return undefined;
    return Number(this.#lib.symbols.coquic_x_connection_max_datagram_size(handle, c) as bigint);
  }

  /** Unacknowledged bytes on a stream's send side (extension), or undefined without it. */
  streamSendBuffered(connection: U64, stream: U64): bigint | undefined {
    const handle = this.#live();
    const c = u64(connection, "connection"), id = streamId(stream);
    if (!this.#lib.extensions.sendBuffered) return undefined;
    return this.#lib.symbols.coquic_x_stream_send_buffered(handle, c, id) as bigint;
  }

  /**
   * Applies a tagged input to a connection (`coquic_connection_advance`); used by `Connection`.
   * @ignore
   */
  _advance(connection: bigint, input: ConnectionInput, now: U64): QueryResult {
    const handle = this.#live();
    const t = u64(now, "now");
    const s = this.#s.input;
    try {
      encodeConnectionInput(s, input);
      return this.#call("coquic_connection_advance", handle, t, connection, s.bytes);
    } finally {
      s.reset();
    }
  }

  /**
   * Runs `fn` with the native `coquic_endpoint_t*` (for entry points this facade does not
   * wrap, e.g. the scalar `coquic_quic_stream_*` helpers). Throws `UseAfterCloseError` after
   * `close()`; `fn` must not keep the address.
   *
   * @example
   * ```ts
   * declare const ep: Endpoint;
   * const count = ep.withAddress((address) => ep.library.symbols.coquic_endpoint_connection_count(address));
   * ```
   */
  withAddress<T>(fn: (address: bigint) => T): T {
    return fn(this.#live());
  }

  /** Destroys the native endpoint (idempotent); every later call throws `UseAfterCloseError`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    registry.unregister(this.#token);
    this.#lib.symbols.coquic_endpoint_destroy(this.#handle);
  }

  /** `using` support: `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The message of the last failed call on this thread (extension), if any.
 *
 * @example
 * ```ts
 * import { loadCoquicSync } from "../ffi/loader.ts";
 * console.log(lastError(loadCoquicSync())); // e.g. "identity: private key PEM could not be parsed"
 * ```
 */
export function lastError(lib: CoquicLibrary, buf: Uint8Array = new Uint8Array(512)): string | undefined {
  if (!lib.extensions.lastError) return undefined;
  const n = lib.symbols.coquic_x_last_error_message(buf, buf.length) as number;
  if (n === 0) return undefined;
  return new TextDecoder().decode(buf.subarray(0, Math.min(n, buf.length - 1)));
}

/**
 * A connection of an endpoint: a handle, valid while the endpoint is open.
 *
 * @example
 * ```ts
 * declare const conn: Connection, now: bigint;
 * const r = conn.sendStream(0n, new TextEncoder().encode("hi"), true, now);
 * ```
 */
export class Connection {
  /** Native handle. */
  readonly handle: bigint;
  /** Wraps connection `handle` of `endpoint` (checked as a u64; no native call). */
  constructor(readonly endpoint: Endpoint, handle: U64) {
    this.handle = u64(handle, "connection");
  }

  /** Whether the handle is non-zero and its endpoint open. */
  isValid(): boolean {
    return this.handle !== 0n && !this.endpoint.closed;
  }

  /** A stream of this connection (no native call; the id must be below 2^62). */
  stream(id: U64): Stream {
    if (this.endpoint.closed) throw new UseAfterCloseError("Endpoint");
    return new Stream(this, streamId(id, "stream id"));
  }

  /** Applies a tagged input. */
  advance(input: ConnectionInput, now: U64): QueryResult {
    return this.endpoint._advance(this.handle, input, now);
  }

  /** Sends stream data (opening the stream on first use). */
  sendStream(id: U64, data: Uint8Array, fin: boolean, now: U64, priority?: number): QueryResult {
    return this.advance({ kind: "send_stream", streamId: id, bytes: data, fin, priority }, now);
  }

  /** Sends a DATAGRAM frame. */
  sendDatagram(data: Uint8Array, now: U64, priority?: number): QueryResult {
    return this.advance({ kind: "send_datagram", bytes: data, priority }, now);
  }

  /** Resets our sending side of a stream. */
  resetStream(id: U64, applicationErrorCode: U64, now: U64): QueryResult {
    return this.advance({ kind: "reset_stream", streamId: id, applicationErrorCode }, now);
  }

  /** Asks the peer to stop sending on a stream. */
  stopSending(id: U64, applicationErrorCode: U64, now: U64): QueryResult {
    return this.advance({ kind: "stop_sending", streamId: id, applicationErrorCode }, now);
  }

  /** Closes the connection with an application error code and reason. */
  close(applicationErrorCode: U64, reason: string | Uint8Array, now: U64): QueryResult {
    return this.advance({ kind: "close", applicationErrorCode: errorCode(applicationErrorCode), reason }, now);
  }

  /** Starts a key update. */
  requestKeyUpdate(now: U64): QueryResult {
    return this.advance({ kind: "request_key_update" }, now);
  }

  /** Migrates to another route (client). */
  requestMigration(migration: ConnectionMigration, now: U64): QueryResult {
    if (typeof migration !== "object" || migration === null) {
      throw new InvalidArgumentError("migration", "must be an object");
    }
    return this.advance({ kind: "request_migration", ...migration }, now);
  }
}

/**
 * One stream of a connection.
 *
 * @example
 * ```ts
 * declare const conn: Connection, bytes: Uint8Array, now: bigint;
 * const s = conn.stream(0n);
 * s.send(bytes, false, now);
 * s.finish(now);
 * ```
 */
export class Stream {
  /** Wraps stream `id` of `connection` (no native call). */
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
