/**
 * `QuicConnection`: an established (or establishing) QUIC connection of the high-level
 * API: streams, DATAGRAMs, close, snapshots and events.
 *
 * @module
 */
import { parseIpv4, parseIpv6, type Route } from "../runtimes/address.ts";
import type { SocketAddress } from "../runtimes/udp.ts";
import type { DriverConnection } from "./driver.ts";
import type { QuicDriver } from "./quic_driver.ts";
import type { IoSnapshot } from "./io_stats.ts";
import type { Effect } from "./effects.ts";
import type { ConnectionStats } from "./endpoint.ts";
import { Connection } from "./endpoint.ts";
import type { CloseInfo } from "./result.ts";
import type { LocalError } from "./errors.ts";
import { checkCode, checkString } from "./options.ts";
import { QuicError, type QuicErrorKind } from "./quic_error.ts";
import { abortError, withSignal } from "./with_signal.ts";
import { AsyncQueue } from "./async_queue.ts";
import { QuicStream, type StreamHost, streamInbound as toStream } from "./stream.ts";
import { ClosedStreams } from "./closed_streams.ts";

/**
 * How a connection ended.
 *
 * @example
 * ```ts
 * declare const conn: QuicConnection;
 * const r: CloseResult = await conn.closed;
 * console.log(r.code, r.reason);
 * ```
 */
export interface CloseResult {
  /** Who ended it and how. */
  source: CloseInfo["source"] | "unknown";
  /** Application (or transport, when `isApplicationError` is false) error code. */
  code: bigint;
  /** Whether the code is an application error code (else a transport error code). */
  isApplicationError: boolean;
  /** The reason phrase. */
  reason: string;
}

/**
 * Events of a connection's life.
 *
 * @example
 * ```ts
 * declare const conn: QuicConnection;
 * for await (const ev of conn.events()) if (ev.type === "disconnected") console.log(ev.close.reason);
 * ```
 */
export type ConnectionEvent =
  | { type: "connected" }
  | { type: "stream_opened"; streamId: bigint; locallyInitiated: boolean }
  | { type: "stream_closed"; streamId: bigint }
  | { type: "disconnected"; close: CloseResult }
  | { type: "error"; error: QuicError }
  | { type: "session"; session: Uint8Array }
  | { type: "early_data"; status: EarlyDataStatus };

/**
 * What became of 0-RTT on a connection: "none" (not asked for), "not_attempted" (asked for
 * but no usable session, so the data waits for the handshake), "attempted" (sent, outcome
 * pending), "accepted", or "rejected" (the engine sent the same bytes again after the
 * handshake: nothing is lost, it only cost a round trip).
 *
 * @example
 * ```ts
 * declare const conn: QuicConnection;
 * const status: EarlyDataStatus = conn.earlyData;
 * ```
 */
export type EarlyDataStatus = "none" | "not_attempted" | "attempted" | "accepted" | "rejected";
const EARLY_STATUS: Record<number, EarlyDataStatus> = {
  1: "not_attempted",
  2: "attempted",
  3: "accepted",
  4: "rejected",
};

/**
 * A snapshot of a connection.
 *
 * @example
 * ```ts
 * declare const conn: QuicConnection;
 * const snap: ConnectionSnapshot = conn.observe();
 * console.log(snap.state, snap.bytesSent);
 * ```
 */
export interface ConnectionSnapshot {
  /** The bound local address. */
  localAddress: SocketAddress;
  /** The peer's address. */
  remoteAddress: SocketAddress;
  /** Lifecycle state: "closing" from `close()` until the connection has ended, then "closed". */
  state: "handshaking" | "connected" | "closing" | "closed";
  /** Stream bytes sent. */
  bytesSent: number;
  /** Stream bytes received. */
  bytesReceived: number;
  /** QUIC DATAGRAM frames sent. */
  datagramsSent: number;
  /** QUIC DATAGRAM frames received. */
  datagramsReceived: number;
  /** Streams this side opened. */
  streamsOpenedLocally: number;
  /** Streams the peer opened. */
  streamsOpenedByPeer: number;
  /** Streams currently open. */
  streamsActive: number;
  /**
   * Bytes written on all streams and not yet acknowledged by the peer, as far as the engine
   * reported (0 without its acknowledgement effects); writers wait while this is at
   * `maxConnectionSendBuffer`.
   */
  sendBuffered: number;
  /** Whether the connection is closed. */
  closed: boolean;
  /** The error that ended it, if any. */
  lastError?: QuicError;
  /** Transport statistics; undefined when the loaded libcoquic does not report them. */
  transport?: ConnectionStats;
  /** The socket path; on the native path with the counters of the endpoint's socket. */
  io: IoSnapshot;
}

/**
 * Options for `openStream`.
 *
 * @example
 * ```ts
 * declare const conn: QuicConnection;
 * const s = conn.openStream({ unidirectional: true });
 * ```
 */
export interface OpenStreamOptions {
  /** A unidirectional (send-only) stream. */
  unidirectional?: boolean;
  /** Send priority (the ABI's int32 priority; larger goes first where the engine honours it). */
  sendOrder?: number;
}

/**
 * The application error code a refused connection attempt closes with (`QuicIncoming.refuse()`);
 * a client sees it during the handshake as a QuicError of kind "refused".
 *
 * @example
 * ```ts
 * declare const conn: QuicConnection;
 * await conn.close({ code: CONNECTION_REFUSED, reason: "refused" });
 * ```
 */
export const CONNECTION_REFUSED = 0x2n;

/** The QuicError of an engine refusal (its local error named in `localCode`); `what` says what was refused. */
function localFailure(e: LocalError, what: string, kind: QuicErrorKind = "local"): QuicError {
  if (e.name === "DATAGRAM_NOT_SUPPORTED") kind = "unsupported";
  return new QuicError(kind, `${what}: ${e.toString()}`, undefined, { localCode: e.name });
}

function closeKind(source: CloseResult["source"]): QuicErrorKind {
  switch (source) {
    case "local":
      return "closed";
    case "peer":
      return "peer_closed";
    case "idle_timeout":
      return "idle_timeout";
    case "stateless_reset":
      return "stateless_reset";
    case "handshake_timeout":
      return "handshake_failed";
    default:
      return "protocol_error";
  }
}

/** Events queued for a listener that lags; stream events beyond it are dropped. */
const EVENT_BUFFER = 1024;
/** Stream events kept for a connection nobody listens to (a late listener sees the first ones). */
const UNHEARD_EVENTS = 64;
/** Default of `maxConnectionSendBuffer`: unacknowledged bytes of all streams of a connection. */
export const DEFAULT_CONNECTION_SEND_BUFFER = 16 << 20;
/** Credit goes back once this fraction of a receive window has been read (1/8). */
const CREDIT_FRACTION = 8;

const TLS_ALERTS: Record<number, string> = {
  40: "handshake_failure",
  42: "bad_certificate",
  45: "certificate_expired",
  46: "certificate_unknown",
  48: "unknown_ca",
  80: "internal_error",
  109: "missing_extension",
  112: "unrecognized_name",
  116: "certificate_required",
  120: "no_application_protocol",
};

/** A readable name for a QUIC transport error code (CRYPTO_ERROR carries a TLS alert). */
function transportErrorText(code: bigint): string {
  if (code >= 0x100n && code <= 0x1ffn) {
    const alert = Number(code - 0x100n);
    return `peer sent TLS alert ${alert}${TLS_ALERTS[alert] ? ` (${TLS_ALERTS[alert]})` : ""}`;
  }
  return `peer closed with transport error 0x${code.toString(16)}`;
}

/** Ends events(): the iterator returns on it and no caller sees it, so one serves all (no stack per close). */
const EVENTS_ENDED = new QuicError("closed", "connection ended");

/**
 * A QUIC connection.
 *
 * @example
 * ```ts
 * import { connect } from "./api.ts";
 * declare const certPem: string;
 * const conn = await connect({ hostname: "127.0.0.1", port: 4433 }, { alpn: "echo", ca: certPem });
 * const s = conn.openStream();
 * await conn.close({ code: 0, reason: "done" });
 * ```
 */
export class QuicConnection implements DriverConnection {
  /** Received DATAGRAM frames (unreliable; dropped when nobody reads). */
  readonly datagrams: ReadableStream<Uint8Array>;
  /** Resolves when the handshake completes; rejects with a QuicError if it fails. */
  readonly ready: Promise<void>;
  /** Resolves (never rejects) when the connection has ended, with the close code and reason. */
  readonly closed: Promise<CloseResult>;
  #driver: QuicDriver;
  #conn: Connection;
  /** What this connection's streams may ask of it (one object for all of them). */
  #host: StreamHost;
  /** Streams the engine may still report on: dropped once it closed them (or, without the
   * stream-closed extension, once both halves ended here). */
  #streams = new Map<bigint, QuicStream>();
  #closedPeerStreams = new ClosedStreams();
  #activeStreams = 0;
  #engineClosesStreams: boolean;
  /** Read bytes whose credit has not gone back yet: per open stream, and their total. */
  #credit = new Map<bigint, number>();
  #creditTotal = 0;
  /** Of the total, bytes of streams whose reading is over (only connection credit is owed). */
  #finishedCredit = { bytes: 0, streamId: 0n };
  #streamCreditBatch: number;
  #connectionCreditBatch: number;
  #incoming = new AsyncQueue<QuicStream>();
  #sendBuffer: SendBuffer;
  #events = new AsyncQueue<ConnectionEvent>();
  #listeners = 0;
  #datagramController!: ReadableStreamDefaultController<Uint8Array>;
  #resolveReady!: () => void;
  #rejectReady!: (e: unknown) => void;
  #resolveClosed!: (c: CloseResult) => void;
  #state: ConnectionSnapshot["state"] = "handshaking";
  #closeInfo: CloseInfo | undefined;
  #closeResult: CloseResult | undefined;
  #lastError: QuicError | undefined;
  #nextBidi: bigint;
  #nextUni: bigint;
  #opened = { local: 0, peer: 0 };
  #datagramsSent = 0;
  #datagramsReceived = 0;
  #bytesSent = 0;
  #bytesReceived = 0;
  #manualCredit: boolean;
  #session: Uint8Array | undefined;
  #resolveSession!: (s: Uint8Array | undefined) => void;
  #earlyData: EarlyDataStatus = "none";
  #newToken: Uint8Array | undefined;
  /**
   * @internal connect() keeps tokens across its single-use endpoints.
   * @ignore
   */
  _onNewToken?: (token: Uint8Array) => void;
  /**
   * @internal A QuicClient's session cache takes each ticket.
   * @ignore
   */
  _onSession?: (ticket: Uint8Array) => void;
  /**
   * @internal The route of the connection's path (clients: set by connect(), moved by migrate()).
   * @ignore
   */
  _route?: bigint;
  /** A migration waiting for its path's validation. */
  #migration?: { route: bigint; resolve: () => void; reject: (e: QuicError) => void };
  /**
   * Resolves with the first session ticket the server sends (pass it as `session` to
   * `connect()` to resume), or undefined if the connection ends without one. Clients only.
   */
  readonly sessionAvailable: Promise<Uint8Array | undefined>;

  /**
   * Made by the driver for connection `handle`; get one from `connect()`, `QuicClient` or a
   * listener. `maxSendBuffer`: the connection's `maxConnectionSendBuffer` option.
   */
  constructor(
    driver: QuicDriver,
    readonly handle: bigint,
    readonly isServer: boolean,
    readonly remoteAddress: SocketAddress,
    maxSendBuffer: number = DEFAULT_CONNECTION_SEND_BUFFER,
  ) {
    this.#driver = driver;
    this.#conn = new Connection(driver.endpoint, handle);
    this.#nextBidi = isServer ? 1n : 0n;
    this.#nextUni = isServer ? 3n : 2n;
    this.#manualCredit = driver.endpoint.library.extensions.manualCredit;
    this.#engineClosesStreams = driver.endpoint.streamEffects.closed;
    // without acknowledgement effects the engine's backlog is not followed: no bound (as per stream)
    this.#sendBuffer = new SendBuffer(driver.endpoint.streamEffects.acked ? maxSendBuffer : Infinity);
    const windows = driver.endpoint.receiveWindows;
    this.#streamCreditBatch = Math.max(1, Math.floor(windows.stream / CREDIT_FRACTION));
    this.#connectionCreditBatch = Math.max(1, Math.floor(windows.connection / CREDIT_FRACTION));
    this.#host = this.#streamHost();
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // observed through closed/errors too
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.sessionAvailable = new Promise((resolve) => (this.#resolveSession = resolve));
    void this.closed.then(() => this.#resolveSession(undefined));
    this.datagrams = new ReadableStream<Uint8Array>({ start: (c) => void (this.#datagramController = c) }, {
      highWaterMark: 256,
    });
  }

  // ---- driver callbacks -------------------------------------------------------------------

  /**
   * Internal: called by the driver or the connection; not for applications.
   * @ignore
   */
  _closeInfo(info: CloseInfo): void {
    this.#closeInfo = info;
  }

  /**
   * Internal: called by the driver or the connection; not for applications.
   * @ignore
   */
  _effect(e: Effect): void {
    switch (e.kind) {
      case "state_event":
        if (e.change === "handshake_ready") {
          if (this.#state === "handshaking") this.#state = "connected";
          this.#readyDone = true;
          this.#resolveReady();
          this.#emit({ type: "connected" });
        } else if (e.change === "failed") this.#failed();
        break;
      case "receive_stream_data": {
        const s = this.#streamFor(e.streamId);
        if (!s) break;
        this.#bytesReceived += e.bytes.length;
        toStream.data(s, e.bytes, e.fin);
        break;
      }
      case "peer_reset_stream":
      case "peer_stop_sending": {
        const s = this.#streamFor(e.streamId);
        if (e.kind === "peer_stop_sending") this.#sendBuffer.set(e.streamId, 0); // the engine resets it: no backlog
        if (!s) break;
        if (e.kind === "peer_reset_stream") {
          toStream.readFailed(s, new QuicError("stream_reset", "the peer reset the stream", e.applicationErrorCode));
        } else {
          toStream.writeFailed(s, new QuicError("stop_sending", "the peer stopped reading", e.applicationErrorCode));
        }
        break;
      }
      case "stream_closed":
        this.#engineClosed(e.streamId);
        break;
      case "stream_acked": {
        this.#sendBuffer.set(e.streamId, Number(e.unacknowledged));
        const s = this.#streams.get(e.streamId);
        if (s) toStream.acked(s, e.unacknowledged);
        break;
      }
      case "receive_datagram_data":
        this.#datagramsReceived++;
        if ((this.#datagramController.desiredSize ?? 0) > 0) this.#datagramController.enqueue(e.bytes);
        break;
      case "resumption_state_available":
        this.#session = e.serialized;
        this.#resolveSession(e.serialized);
        this._onSession?.(e.serialized);
        this.#emit({ type: "session", session: e.serialized });
        break;
      case "zero_rtt_status_event": {
        const status = EARLY_STATUS[e.status];
        if (!status) break;
        this.#earlyData = status;
        this.#emit({ type: "early_data", status });
        break;
      }
      case "new_token_available":
        this.#newToken = e.token;
        this._onNewToken?.(e.token);
        break;
      case "path_validation": {
        const m = this.#migration;
        if (!m || e.routeHandle !== m.route) break;
        this.#migration = undefined;
        if (e.succeeded) m.resolve();
        else {
          m.reject(
            new QuicError("migration_failed", "the new path did not validate; the connection stays on its old one"),
          );
        }
        break;
      }
      default:
        break;
    }
  }

  /**
   * Internal: called by the driver or the connection; not for applications.
   * @ignore
   */
  _dropped(): void {
    this.#failed();
    this.#state = "closed";
  }

  #failed(): void {
    if (this.#closeResult) return;
    const info = this.#closeInfo;
    const close: CloseResult = info
      ? { source: info.source, code: info.errorCode, isApplicationError: info.isApplicationError, reason: info.reason }
      : { source: "unknown", code: 0n, isApplicationError: false, reason: "" };
    this.#closeResult = close;
    this.#state = "closed"; // over for the application (the engine may still be in its closing period)
    const handshaking = !this.#readyResolved();
    // A transport error from the peer during the handshake is the handshake failing (e.g. a
    // TLS alert: no common ALPN, our certificate refused); an application close is a refusal.
    const peerTransport = close.source === "peer" && !close.isApplicationError;
    const kind = handshaking && close.source !== "local" && (close.source !== "peer" || peerTransport)
      ? "handshake_failed"
      : close.source === "unknown" && this.#closedLocally
      ? "closed" // without close infos (core ABI) our own close() reads as such
      : closeKind(close.source);
    const reason = close.reason || (peerTransport ? transportErrorText(close.code) : "");
    const error = new QuicError(
      close.source === "peer" && close.isApplicationError && close.code === CONNECTION_REFUSED && handshaking
        ? "refused"
        : kind,
      reason,
      close.code,
    );
    if (close.source !== "local") this.#lastError = error;
    this.#rejectReady(error);
    this.#migration?.reject(error);
    this.#migration = undefined;
    this.#incoming.fail(error);
    this.#sendBuffer.clear(); // waiting writers go on to fail with the connection's error
    for (const s of this.#streams.values()) {
      toStream.readFailed(s, error);
      toStream.writeFailed(s, error);
    }
    try {
      this.#datagramController.close();
    } catch {
      // already closed
    }
    this.#emit({ type: "disconnected", close });
    if (close.source !== "local") this.#emit({ type: "error", error });
    this.#events.fail(EVENTS_ENDED);
    this.#resolveClosed(close);
  }

  /** How the connection's end reads in errors of later calls: "closed" after our own close(). */
  #endedKind(): QuicErrorKind {
    return this.#closedLocally ? "closed" : closeKind(this.#closeResult?.source ?? "unknown");
  }

  #closedLocally = false;
  #readyDone = false;
  #readyResolved(): boolean {
    return this.#state === "connected" || this.#readyDone;
  }

  /**
   * Queues an event. Lifecycle events (connected, disconnected, error: at most three) are
   * always kept; stream events up to UNHEARD_EVENTS while nobody listens (the first ones,
   * for a listener that comes later), up to EVENT_BUFFER while a listener lags.
   */
  #emit(e: ConnectionEvent): void {
    const lifecycle = e.type !== "stream_opened" && e.type !== "stream_closed";
    const room = this.#listeners > 0 ? EVENT_BUFFER : UNHEARD_EVENTS;
    if (lifecycle || this.#events.size < room) this.#events.push(e);
  }

  /** The engine closed stream `id`: nothing more will come for it. */
  #engineClosed(id: bigint): void {
    this.#sendBuffer.set(id, 0);
    const s = this.#streams.get(id);
    if (!this.#isLocal(id)) this.#closedPeerStreams.add(id);
    this.#retireCredit(id);
    if (!s) return;
    this.#streams.delete(id);
    toStream.engineClosed(s);
    this.#emit({ type: "stream_closed", streamId: id });
  }

  #isLocal(id: bigint): boolean {
    return ((id & 1n) === 1n) === this.isServer;
  }

  #streamFor(id: bigint): QuicStream | undefined {
    let s = this.#streams.get(id);
    if (s) return s;
    if (this.#isLocal(id)) return undefined; // a local stream we already dropped
    if (this.#closedPeerStreams.has(id)) return undefined; // a late report on a dropped stream
    s = new QuicStream(this.#host, id, false);
    this.#streams.set(id, s);
    this.#opened.peer++;
    this.#activeStreams++;
    this.#incoming.push(s);
    this.#emit({ type: "stream_opened", streamId: id, locallyInitiated: false });
    return s;
  }

  // ---- used by streams -----------------------------------------------------------------

  /** The streams' way into this connection: the private methods below, and two flags. */
  #streamHost(): StreamHost {
    const driver = this.#driver;
    return {
      sendRoom: (bytes, signal) => this.#sendBuffer.room(bytes, signal),
      releaseRoom: (granted) => this.#sendBuffer.release(granted),
      send: (id, bytes, fin, priority, granted) => this.#send(id, bytes, fin, priority, granted),
      consume: (id, bytes, finished) => this.#consume(id, bytes, finished),
      ended: (s) => this.#streamEnded(s),
      sendBuffered: (id) => driver.closed ? 0n : driver.endpoint.streamSendBuffered(this.handle, id),
      progress: () => driver.progress(),
      resetStream: (id, code) => {
        this.#sendBuffer.set(id, 0); // a reset stream's data is dropped, never sent
        void driver.run((now) => this.#conn.resetStream(id, code, now));
      },
      stopSending: (id, code) => void driver.run((now) => this.#conn.stopSending(id, code, now)),
      get closed() {
        return driver.closed;
      },
      ackSignals: driver.endpoint.streamEffects.acked,
    };
  }

  /** Sends on stream `id`; `granted`: the room `sendRoom` gave for these bytes. */
  #send(id: bigint, bytes: Uint8Array, fin: boolean, priority: number, granted = 0): void {
    this.#sendBuffer.release(granted);
    const r = this.#driver.run((now) => this.#conn.sendStream(id, bytes, fin, now, priority));
    if (!r) throw new QuicError("closed", "the connection's endpoint is closed");
    if (r.localError) {
      const closed = r.localError.name === "SEND_SIDE_CLOSED" && this.#closeResult;
      throw localFailure(r.localError, "stream send refused", closed ? this.#endedKind() : "local");
    }
    this.#bytesSent += bytes.length;
    if (bytes.length > 0) this.#sendBuffer.add(id, bytes.length);
  }

  /**
   * Both halves of stream `s` ended here. Without the stream-closed extension this
   * is when it is dropped (the engine may still hold it until its data is acknowledged).
   */
  #streamEnded(s: QuicStream): void {
    this.#activeStreams--;
    this.#retireCredit(s.id);
    if (this.#engineClosesStreams || this.#streams.get(s.id) !== s) return;
    this.#streams.delete(s.id);
    if (!this.#isLocal(s.id)) this.#closedPeerStreams.add(s.id);
    this.#emit({ type: "stream_closed", streamId: s.id });
  }

  /**
   * `bytes` of stream `id` were read (`finished`: its last bytes). Their credit goes
   * back once an eighth of the stream's window is owed on it, or an eighth of the
   * connection's window in all (one engine call per batch, not one per chunk). A peer held
   * by either window has been owed a whole window once everything was read, so it never
   * waits on a batch.
   */
  #consume(id: bigint, bytes: number, finished: boolean): void {
    if (!this.#manualCredit || this.#state === "closed" || this.#closeResult) return;
    this.#creditTotal += bytes;
    const pending = (this.#credit.get(id) ?? 0) + bytes;
    if (finished) { // no stream credit is needed any more: owed to the connection only
      this.#credit.delete(id);
      this.#finishedCredit.bytes += pending;
      this.#finishedCredit.streamId = id;
    } else if (pending >= this.#streamCreditBatch) {
      this.#credit.delete(id);
      this.#creditTotal -= pending;
      this.#returnCredit(id, pending);
    } else this.#credit.set(id, pending);
    if (this.#creditTotal >= this.#connectionCreditBatch) this.#flushCredit();
  }

  /** Stream `id` needs no more stream credit: what it is owed goes to the connection's pool. */
  #retireCredit(id: bigint): void {
    const pending = this.#credit.get(id);
    if (pending === undefined) return;
    this.#credit.delete(id);
    this.#finishedCredit.bytes += pending;
    this.#finishedCredit.streamId = id;
  }

  /** Returns all owed credit: per open stream, and the finished streams' in one call. */
  #flushCredit(): void {
    const batch = [...this.#credit];
    const finished = this.#finishedCredit;
    this.#credit.clear();
    this.#creditTotal = 0;
    this.#finishedCredit = { bytes: 0, streamId: 0n };
    if (this.#closeResult) return;
    for (const [id, bytes] of batch) this.#returnCredit(id, bytes);
    // a finished stream's id: the engine adds connection credit (its stream is done or gone)
    if (finished.bytes > 0) this.#returnCredit(finished.streamId, finished.bytes);
  }

  #returnCredit(id: bigint, bytes: number): void {
    this.#driver.run((now) => this.#driver.endpoint.consume(this.handle, id, bytes, now));
  }

  // ---- public API ----------------------------------------------------------------------

  /**
   * The latest session ticket from the server (a serialized resumption state; undefined until
   * one arrives). Tickets are secrets: whoever holds one can resume the session.
   */
  get session(): Uint8Array | undefined {
    return this.#session;
  }

  /**
   * The 0-RTT outcome so far (on a server: "accepted" when it took early data, "rejected" when
   * the client sent some and it refused them, else "none").
   */
  get earlyData(): EarlyDataStatus {
    return this.#earlyData;
  }

  /** Whether 0-RTT data was accepted by the server. */
  get earlyDataAccepted(): boolean {
    return this.#earlyData === "accepted";
  }

  /**
   * Whether the handshake resumed a session (no certificate was sent); undefined when the
   * engine cannot tell (no stats extension) or the connection is gone.
   */
  get resumed(): boolean | undefined {
    if (this.#driver.closed || this.#state === "closed") return undefined;
    return this.#driver.endpoint.connectionStats(this.handle)?.resumed;
  }

  /**
   * The DER of the peer's leaf certificate as its TLS handshake sent it, whether or not it was
   * verified (a client pinning a certificate by hash checks it with this): undefined when the
   * peer sent none (a server's clients do not) or the connection has ended. Throws a
   * QuicError `unsupported` with a libcoquic lacking the `coquic_x_connection_peer_certificate`
   * extension (an upstream build, or `COQUIC_CORE_ABI_ONLY=1`).
   *
   * @example
   * ```ts
   * declare const conn: QuicConnection;
   * const der = conn.peerCertificate();
   * if (der) console.log(new Uint8Array(await crypto.subtle.digest("SHA-256", der)));
   * ```
   */
  peerCertificate(): Uint8Array<ArrayBuffer> | undefined {
    const endpoint = this.#driver.endpoint;
    if (!endpoint.library.extensions.peerCertificate) {
      throw new QuicError("unsupported", "this libcoquic does not expose the peer's certificate");
    }
    if (this.#driver.closed || this.#state === "closed") return undefined;
    return endpoint.peerCertificate(this.handle);
  }

  /** The last NEW_TOKEN the server gave (address-validation proof for a later connection). */
  get newToken(): Uint8Array | undefined {
    return this.#newToken;
  }

  /**
   * Opens a new stream at once (bidirectional unless `unidirectional`). Beyond the peer's
   * stream limit its data waits in the engine until the peer grants more streams; use
   * {@link QuicConnection.createStream} to wait for that credit instead.
   */
  openStream(options: OpenStreamOptions = {}): QuicStream {
    if (this.#closeResult) throw new QuicError(this.#endedKind(), "the connection is closed");
    const sendOrder = options.sendOrder ?? 0;
    if (!Number.isInteger(sendOrder) || sendOrder < -(2 ** 31) || sendOrder >= 2 ** 31) {
      throw new QuicError("invalid_argument", "sendOrder must be an int32");
    }
    let id: bigint;
    if (options.unidirectional) {
      id = this.#nextUni;
      this.#nextUni += 4n;
    } else {
      id = this.#nextBidi;
      this.#nextBidi += 4n;
    }
    const s = new QuicStream(this.#host, id, true, sendOrder);
    this.#streams.set(id, s);
    this.#opened.local++;
    this.#activeStreams++;
    this.#emit({ type: "stream_opened", streamId: id, locallyInitiated: true });
    return s;
  }

  /**
   * Opens a new stream once the peer's stream limit allows it: resolves at once while there
   * is credit, else when the peer grants more (MAX_STREAMS), like Deno's
   * `createBidirectionalStream()`. Rejects with `aborted` / `timeout` when `signal` fires
   * first, or with the close error when the connection ends. With a libcoquic that cannot
   * report the limit (no `coquic_x_connection_stream_id_limit`) it resolves at once, as
   * {@link QuicConnection.openStream} does (whose sends beyond the limit wait in the engine).
   *
   * @example
   * ```ts
   * declare const conn: QuicConnection;
   * const s = await conn.createStream({ signal: AbortSignal.timeout(5000) });
   * await s.write(new TextEncoder().encode("hi"), { fin: true });
   * ```
   */
  async createStream(options: OpenStreamOptions & { signal?: AbortSignal } = {}): Promise<QuicStream> {
    const uni = options.unidirectional === true;
    for (;;) {
      if (this.#closeResult) throw new QuicError(this.#endedKind(), "the connection is closed");
      if (options.signal?.aborted) throw abortError(options.signal);
      if (this.#driver.closed) throw new QuicError("closed", "the connection's endpoint is closed");
      const limit = this.#driver.endpoint.streamIdLimit(this.handle, uni);
      if (limit === undefined || (uni ? this.#nextUni : this.#nextBidi) < limit) return this.openStream(options);
      // Every engine call may have carried MAX_STREAMS (or the end of the connection).
      await withSignal(this.#driver.progress(), options.signal);
    }
  }

  /** The next stream the peer opens. */
  acceptStream(options: { signal?: AbortSignal } = {}): Promise<QuicStream> {
    return this.#incoming.next(options.signal);
  }

  /** Iterates the streams the peer opens, until the connection ends. */
  async *[Symbol.asyncIterator](): AsyncIterator<QuicStream> {
    for (;;) {
      try {
        yield await this.#incoming.next();
      } catch {
        return;
      }
    }
  }

  /**
   * The largest DATAGRAM payload {@link QuicConnection.sendDatagram} takes now, in bytes (as
   * Deno's `QuicConn.maxDatagramSize` and WebTransport's `datagrams.maxDatagramSize`): the
   * peer's `max_datagram_frame_size` transport parameter and the path's packet size, less
   * frame and packet overhead. 0 when the peer takes no DATAGRAMs or the connection has
   * ended; undefined with a libcoquic that cannot tell (no
   * `coquic_x_connection_max_datagram_size`), where the engine still refuses what is too large.
   *
   * @example
   * ```ts
   * declare const conn: QuicConnection;
   * const size = conn.maxDatagramSize ?? 1100;
   * conn.sendDatagram(new Uint8Array(Math.min(size, 1000)));
   * ```
   */
  get maxDatagramSize(): number | undefined {
    if (this.#driver.closed || this.#closeResult) {
      return this.#driver.endpoint.library.extensions.maxDatagramSize ? 0 : undefined;
    }
    return this.#driver.endpoint.maxDatagramSize(this.handle);
  }

  /**
   * Sends a DATAGRAM frame (unreliable). DATAGRAMs the network cannot take yet (congestion
   * control, before the handshake) wait in the engine's queue of at most 128 datagrams /
   * 256 KiB per connection; beyond it the oldest are dropped (DATAGRAMs are unreliable:
   * a sender that outruns the path loses datagrams, not memory). Throws QuicError
   * `datagram_too_large` above {@link QuicConnection.maxDatagramSize}, `unsupported` when the
   * peer takes no DATAGRAMs, `closed` (or how it ended) after the connection ended.
   */
  sendDatagram(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new QuicError("invalid_argument", "datagram must be a Uint8Array");
    if (this.#closeResult) throw new QuicError(this.#endedKind(), "the connection is closed");
    const r = this.#driver.run((now) => this.#conn.sendDatagram(bytes, now));
    if (!r) throw new QuicError("closed", "the connection's endpoint is closed");
    if (r.localError) {
      const tooLarge = r.localError.name === "DATAGRAM_TOO_LARGE";
      const max = tooLarge ? this.maxDatagramSize : undefined;
      throw localFailure(
        r.localError,
        tooLarge
          ? `${bytes.length} bytes${max !== undefined ? ` above maxDatagramSize ${max}` : ""}`
          : "datagram refused",
        tooLarge ? "datagram_too_large" : "local",
      );
    }
    this.#datagramsSent++;
  }

  /**
   * Starts a TLS key update (RFC 9001 §6): both sides move to fresh 1-RTT keys. Throws
   * QuicError "local" before the handshake completed or while the previous update is not yet
   * confirmed by the peer.
   */
  requestKeyUpdate(): void {
    if (this.#closeResult) throw new QuicError(this.#endedKind(), "the connection is closed");
    const r = this.#driver.run((now) => this.#conn.requestKeyUpdate(now));
    if (!r) throw new QuicError("closed", "the connection's endpoint is closed");
    if (r.localError) throw localFailure(r.localError, "key update refused");
  }

  /**
   * Moves the connection to a new local socket (RFC 9000 §9: a new port of the same address
   * family, on `hostname` when given, else the current socket's address) and resolves once
   * the new path is validated; the old socket keeps receiving what was in flight. Clients
   * only, after the handshake. Rejects with a QuicError: `local` when the engine refuses (the
   * server sent `disable_active_migration`, or no spare connection ID came within 2 s),
   * `migration_failed` when the new path did not validate (the connection stays on the old
   * one), `invalid_argument` for a server connection or an address that cannot be bound,
   * `aborted`/`timeout` from `signal` (the migration itself goes on), or the close error.
   * Without the engine's path-effects extension it resolves when the new socket first
   * receives a datagram of the connection's peer.
   *
   * @example
   * ```ts
   * declare const conn: QuicConnection;
   * await conn.migrate({ signal: AbortSignal.timeout(5000) });
   * console.log(conn.observe().localAddress.port); // the new port
   * ```
   */
  async migrate(options: { hostname?: string; signal?: AbortSignal } = {}): Promise<void> {
    if (this.isServer) throw new QuicError("invalid_argument", "only a client migrates (a server follows its peer)");
    if (this.#closeResult) throw new QuicError(closeKind(this.#closeResult.source), "the connection is closed");
    if (this.#driver.closed) throw new QuicError("closed", "the connection's endpoint is closed");
    if (options.signal?.aborted) throw abortError(options.signal);
    if (!this.#readyResolved()) throw new QuicError("local", "migration needs a completed handshake");
    if (this.#migration) throw new QuicError("invalid_argument", "a migration of this connection is under way");
    const current = this._route === undefined ? undefined : this.#driver.routeByHandle(this._route);
    if (!current) throw new QuicError("unsupported", "this connection's path is not known to its driver");
    if (options.hostname !== undefined) {
      const v6 = (h: string) => parseIpv4(h) === undefined && parseIpv6(h) !== undefined;
      if (typeof options.hostname !== "string" || (!parseIpv4(options.hostname) && !parseIpv6(options.hostname))) {
        throw new QuicError(
          "invalid_argument",
          `migrate: hostname must be an IP address, got ${String(options.hostname)}`,
        );
      }
      if (v6(options.hostname) !== v6(current.address.hostname)) {
        throw new QuicError("invalid_argument", `migrate: ${options.hostname} is not of the peer's address family`);
      }
    }
    let route: Route;
    try {
      route = await this.#driver.bindPath(current, options.hostname);
    } catch (e) {
      if (e instanceof QuicError) throw e;
      throw new QuicError("invalid_argument", `migrate: ${(e as Error).message}`, undefined, { cause: e });
    }
    const reported = this.#driver.endpoint.pathEffects;
    const done = new Promise<void>((resolve, reject) => {
      if (reported) this.#migration = { route: route.handle, resolve, reject };
      else if (this.#driver.heard) void this.#driver.heard(route.handle).then(resolve);
      else resolve();
    });
    done.catch(() => {});
    // The engine refuses until the handshake is confirmed and the server's spare connection
    // IDs arrived (shortly after the handshake); every engine call may have brought them.
    const until = Date.now() + 2000;
    for (;;) {
      const ended = this.#closeResult as CloseResult | undefined; // may have changed while waiting
      if (ended) throw new QuicError(closeKind(ended.source), "the connection is closed");
      const r = this.#driver.run((now) =>
        this.#conn.requestMigration({ routeHandle: route.handle, addressValidationIdentity: route.identity }, now)
      );
      if (!r) throw new QuicError("closed", "the connection's endpoint is closed");
      if (!r.localError) break;
      if (Date.now() > until) {
        this.#migration = undefined;
        throw new QuicError("local", `migration refused: ${r.localError.toString()}`);
      }
      await withSignal(
        Promise.race([this.#driver.progress(), new Promise((r) => setTimeout(r, 20))]),
        options.signal,
      );
    }
    await withSignal(done, options.signal);
    this._route = route.handle;
  }

  /** Closes the connection with an application code and reason; resolves when it has ended. */
  close(options: { code?: number | bigint; reason?: string } = {}): Promise<CloseResult> {
    const code = checkCode("code", options.code ?? 0);
    checkString("reason", options.reason);
    if (!this.#closeResult) {
      this.#closedLocally = true;
      this.#state = "closing";
      this.#driver.run((now) => this.#conn.close(code, options.reason ?? "", now));
    }
    return this.closed;
  }

  /**
   * Connection events. `connected`, `disconnected` and `error` are kept from the start;
   * of the stream events (`stream_opened`, `stream_closed`) a connection nobody listens to
   * keeps only the first 64, and at most 1024 wait for a listener that lags.
   */
  async *events(): AsyncIterableIterator<ConnectionEvent> {
    this.#listeners++;
    try {
      for (;;) {
        try {
          yield await this.#events.next();
        } catch {
          return;
        }
      }
    } finally {
      this.#listeners--;
    }
  }

  #localAddress(): SocketAddress {
    const a = (this._route !== undefined ? this.#driver.localAddressOf(this._route) : undefined) ??
      this.#driver.localAddress;
    return { hostname: a.hostname, port: a.port };
  }

  /** A snapshot: addresses, byte and stream counts, state, last error and transport stats. */
  observe(): ConnectionSnapshot {
    const transport = this.#driver.closed || this.#state === "closed"
      ? undefined
      : this.#driver.endpoint.connectionStats(this.handle);
    return {
      localAddress: this.#localAddress(),
      remoteAddress: this.remoteAddress,
      state: this.#state,
      bytesSent: this.#bytesSent,
      bytesReceived: this.#bytesReceived,
      datagramsSent: this.#datagramsSent,
      datagramsReceived: this.#datagramsReceived,
      streamsOpenedLocally: this.#opened.local,
      streamsOpenedByPeer: this.#opened.peer,
      streamsActive: this.#activeStreams,
      sendBuffered: this.#sendBuffer.total,
      closed: this.#closeResult !== undefined,
      lastError: this.#lastError,
      transport,
      io: this.#driver.io(),
    };
  }
}

/**
 * The connection's send-buffer bound: unacknowledged bytes per stream as the engine last
 * reported them (each write adds its bytes, each STREAM_ACKED effect sets the stream's
 * count), and writers waiting in order for room. A write is let through when the bytes
 * buffered and granted leave room for it, or when nothing is buffered (a chunk larger than the
 * bound goes alone).
 */
class SendBuffer {
  #perStream = new Map<bigint, number>();
  #granted = 0;
  #waiters: { bytes: number; resolve: (granted: number) => void; granted: boolean }[] = [];
  /** Bytes buffered on all streams. */
  total = 0;

  constructor(readonly limit: number) {}

  #fits(bytes: number): boolean {
    const used = this.total + this.#granted;
    return used === 0 || used + bytes <= this.limit;
  }

  room(bytes: number, signal?: AbortSignal): Promise<number> | number {
    if (bytes === 0 || this.limit === Infinity) return 0;
    if (this.#waiters.length === 0 && this.#fits(bytes)) {
      this.#granted += bytes;
      return bytes;
    }
    const entry = { bytes, resolve: (_: number) => {}, granted: false };
    const p = new Promise<number>((resolve) => {
      entry.resolve = resolve;
      this.#waiters.push(entry);
    });
    return withSignal(p, signal, () => {
      const i = this.#waiters.indexOf(entry);
      if (i >= 0) this.#waiters.splice(i, 1);
      else if (entry.granted) this.release(bytes); // granted, but the writer gave up
      this.#grant(); // a large write at the head may have held smaller ones back
    });
  }

  release(granted: number): void {
    if (granted === 0) return;
    this.#granted -= granted;
  }

  add(id: bigint, bytes: number): void {
    if (this.limit === Infinity) return;
    this.#perStream.set(id, (this.#perStream.get(id) ?? 0) + bytes);
    this.total += bytes;
  }

  set(id: bigint, unacknowledged: number): void {
    const before = this.#perStream.get(id);
    if (before === undefined) return;
    if (unacknowledged === 0) this.#perStream.delete(id);
    else this.#perStream.set(id, unacknowledged);
    this.total += unacknowledged - before;
    if (unacknowledged < before) this.#grant();
  }

  /** The connection ended: nothing is buffered any more, every waiter goes on (and fails to send). */
  clear(): void {
    this.#perStream.clear();
    this.total = 0;
    this.#granted = 0;
    for (const w of this.#waiters.splice(0)) w.resolve(0); // granted nothing: nothing to release
  }

  #grant(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0].bytes)) {
      const w = this.#waiters.shift()!;
      w.granted = true;
      this.#granted += w.bytes;
      w.resolve(w.bytes);
    }
  }
}
