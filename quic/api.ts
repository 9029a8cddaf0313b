/**
 * The batteries-included API: `listen()` and `connect()` over real UDP sockets.
 *
 * @module
 */
import { Role } from "../ffi/abi.ts";
import { type CoquicLibrary, defaultLibrary } from "../ffi/loader.ts";
import { withTrustFile } from "../runtimes/trust_file.ts";
import { canonicalIp, parseIpv4, parseIpv6, type Route } from "../runtimes/address.ts";
import { type Lookup, type ResolvedAddress, systemLookup } from "../runtimes/resolve.ts";
import type { SocketAddress } from "../runtimes/udp.ts";
import { defaultEndpointConfig, type EndpointConfig } from "./config.ts";
import { ClientConfig, Endpoint } from "./endpoint.ts";
import { Driver } from "./driver.ts";
import { NativeDriver } from "./native_driver.ts";
import { createDriver, type IoMode } from "./driver_factory.ts";
import type { IoSnapshot } from "./io_stats.ts";
import type { QuicDriver } from "./quic_driver.ts";
import { CONNECTION_REFUSED, QuicConnection } from "./connection.ts";
import { generateDevCertificate } from "./devcert.ts";
import {
  bindError,
  checkBoolean,
  checkBytes,
  checkChoice,
  checkInteger,
  checkName,
  checkPort,
  engineCall,
} from "./options.ts";
import { ATTEMPT_DELAY_MS, interleave, race } from "./happy_eyeballs.ts";
import { QuicError } from "./quic_error.ts";
import { abortError, withSignal } from "./with_signal.ts";
import { AsyncQueue } from "./async_queue.ts";
import { SessionCache } from "./session_cache.ts";

/**
 * Transport tuning shared by listen and connect (defaults suit bulk transfer and many streams).
 *
 * @example
 * ```ts
 * const t: TransportOptions = { idleTimeoutMs: 10_000 };
 * ```
 */
export interface TransportOptions {
  /** Idle timeout in ms (default 30 000). */
  idleTimeoutMs?: number;
  /** Concurrent bidirectional streams the peer may open (default 1000). */
  maxStreams?: number;
  /** Concurrent unidirectional streams the peer may open (default 100). */
  maxUniStreams?: number;
  /** Per-stream receive window in bytes (default 16 MiB). */
  streamWindow?: number;
  /** Connection receive window in bytes (default 32 MiB). */
  connectionWindow?: number;
  /** Congestion control: "newreno" | "cubic" | "bbr" (default "cubic"). */
  congestionControl?: "newreno" | "cubic" | "bbr";
  /** Largest UDP payload to send (default 1472 on IPv4, 1452 on IPv6). */
  maxDatagramSize?: number;
  /**
   * Unacknowledged bytes all streams of a connection may buffer before writers wait (default
   * 16 MiB; each stream also stops at 4 MiB). A write that would go beyond it waits, in
   * order, until the peer acknowledges enough: backpressure, not an error. One chunk larger
   * than the bound is let through alone.
   */
  maxConnectionSendBuffer?: number;
  /** Count lost packets for observe() (default true; costs some CPU, so the perf runner turns it off). */
  lossAccounting?: boolean;
  /**
   * Write a qlog file (JSON-SEQ, qvis reads it) per connection into this directory, made if
   * missing (default: the `QLOGDIR` environment variable, else none). Needs our engine's
   * qlog extension: with another libcoquic this option is an `unsupported` error.
   */
  qlogDir?: string;
  /**
   * QUIC versions to speak, most preferred first (default `[QUIC_V1]`; `QUIC_V2` is RFC 9369).
   * A client starts in the first; against a server that lacks it, it negotiates (RFC 9368:
   * compatibly during the handshake, or by starting over after a Version Negotiation packet).
   * A server answers other versions with Version Negotiation.
   */
  versions?: number[];
  /** Use this libcoquic instead of the default search. */
  library?: CoquicLibrary;
  /**
   * Which socket moves the datagrams: "native" (the engine's own: batched syscalls with
   * GSO/GRO, no datagram enters JavaScript) or "runtime" (the runtime's UDP socket). Default:
   * the `COQUIC_IO` environment variable, else native when the library and runtime support it.
   */
  io?: IoMode;
  /** Advanced: adjust the endpoint config last. */
  configure?: (config: EndpointConfig) => void;
}

/**
 * Options of {@link listen}.
 *
 * @example
 * ```ts
 * const opts: ListenOptions = { hostname: "127.0.0.1", port: 4433, alpn: "echo" };
 * ```
 */
export interface ListenOptions extends TransportOptions {
  /** Host name or IP address to bind (default 127.0.0.1). */
  hostname?: string;
  /** UDP port to bind (default 0: a free port, read it from `QuicListener.addr`). */
  port?: number;
  /** The ALPN protocol to accept. */
  alpn: string;
  /** PEM certificate chain; with `key`. A development certificate is generated when absent. */
  cert?: string;
  /** PEM private key. */
  key?: string;
  /**
   * Refuse connections beyond this many established ones (0 = unlimited). Half-open
   * handshakes are not counted: they have their own bound, `maxHalfOpenBytes`.
   */
  maxConnections?: number;
  /**
   * Memory the handshakes not completed yet may hold, in bytes (default 24 MiB; the engine
   * counts 96 KiB per handshake, so 256). Beyond it one over a second old is dropped for the
   * newest (while all are younger, the new client's Initial is dropped and it retransmits),
   * so a flood of handshakes that never finish holds no more and a real client still gets in.
   * Needs our engine's half-open extension: with another libcoquic it is an `unsupported` error.
   */
  maxHalfOpenBytes?: number;
  /** Validate client addresses with Retry before accepting. */
  retry?: boolean;
  /**
   * Accept 0-RTT data from resuming clients (default false). Off by default because early
   * data can be replayed: the engine refuses a repeated ClientHello, but a replay across
   * servers (or after a restart) is not caught, so enable it only for requests that are safe
   * to repeat.
   */
  earlyData?: boolean;
}

const CC = { newreno: 0, cubic: 1, bbr: 2 } as const;

/** QUIC version 1 (RFC 9000). */
export const QUIC_V1 = 0x0000_0001;
/** QUIC version 2 (RFC 9369). */
export const QUIC_V2 = 0x6b33_43cf;

/** The `versions` option checked: a non-empty list of versions the engine speaks, no repeats. */
function checkVersions(versions: number[] | undefined): number[] {
  if (versions === undefined) return [QUIC_V1];
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new QuicError("invalid_argument", "versions must be a non-empty array (for example [QUIC_V1, QUIC_V2])");
  }
  for (const v of versions) {
    if (v !== QUIC_V1 && v !== QUIC_V2) {
      throw new QuicError(
        "invalid_argument",
        `versions: ${v} is not a QUIC version this stack speaks (QUIC_V1, QUIC_V2)`,
      );
    }
  }
  if (new Set(versions).size !== versions.length) throw new QuicError("invalid_argument", "versions has a repeat");
  return [...versions];
}

/** Closes `connections` (default code 0) and waits for them to end, at most `timeoutMs` (default 3000). */
async function closeAll(
  connections: Iterable<QuicConnection>,
  options: { code?: number; reason?: string; timeoutMs?: number },
  defaultReason: string,
): Promise<void> {
  const all = [...connections].map((c) =>
    c.close({ code: options.code ?? 0, reason: options.reason ?? defaultReason })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.all(all), new Promise((r) => (timer = setTimeout(r, options.timeoutMs ?? 3000)))]);
  clearTimeout(timer);
}

function transportConfig(
  lib: CoquicLibrary,
  role: number,
  alpn: string,
  o: TransportOptions,
  ipv6: boolean,
): EndpointConfig {
  if (typeof alpn !== "string" || alpn.length === 0 || alpn.length > 255) {
    throw new QuicError("invalid_argument", "alpn must be a non-empty string of at most 255 bytes");
  }
  checkTransportOptions(o);
  const c = defaultEndpointConfig(lib);
  c.role = role;
  c.supportedVersions = checkVersions(o.versions);
  c.applicationProtocol = alpn;
  c.maxOutboundDatagramSize = o.maxDatagramSize ?? (ipv6 ? 1452 : 1472);
  const t = c.transport;
  t.maxIdleTimeout = o.idleTimeoutMs ?? 30_000;
  t.initialMaxStreamsBidi = o.maxStreams ?? 1000;
  t.initialMaxStreamsUni = o.maxUniStreams ?? 100;
  t.initialMaxStreamDataBidiLocal = t.initialMaxStreamDataBidiRemote = t.initialMaxStreamDataUni = o.streamWindow ??
    16 << 20;
  t.initialMaxData = o.connectionWindow ?? 32 << 20;
  t.congestionControl = CC[o.congestionControl ?? "cubic"];
  t.pmtudEnabled = false; // runtime sockets report no PMTU signals; we size packets ourselves
  // Spare connection IDs for the peer: each migration (ours or a client's) takes one, and old
  // ones come back only after they are retired; with the ABI's default of 2 a second move
  // soon after the first finds none (ngtcp2 holds at most 8).
  t.activeConnectionIdLimit = 8;
  return c;
}

/** Checks every transport option by its own name (see quic/options.ts). */
function checkTransportOptions(o: TransportOptions): void {
  checkInteger("idleTimeoutMs", o.idleTimeoutMs, 0, 2 ** 40); // ms; the engine keeps microseconds
  checkInteger("maxStreams", o.maxStreams, 0, 2 ** 50);
  checkInteger("maxUniStreams", o.maxUniStreams, 0, 2 ** 50);
  checkInteger("streamWindow", o.streamWindow, 0, Number.MAX_SAFE_INTEGER);
  checkInteger("connectionWindow", o.connectionWindow, 0, Number.MAX_SAFE_INTEGER);
  checkChoice("congestionControl", o.congestionControl, Object.keys(CC));
  // 1200 is QUIC's floor (RFC 9000 §14); our engine sends at most Ethernet-sized datagrams.
  checkInteger("maxDatagramSize", o.maxDatagramSize, 1200, 1500);
  checkInteger("maxConnectionSendBuffer", o.maxConnectionSendBuffer, 1, Number.MAX_SAFE_INTEGER);
  checkBoolean("lossAccounting", o.lossAccounting);
  checkName("qlogDir", o.qlogDir);
}

/** Points the endpoint's qlog at `dir` (the engine's QLOGDIR default otherwise); closes it on failure. */
function applyQlogDir(endpoint: Endpoint, dir: string | undefined): void {
  if (dir === undefined) return;
  let done: boolean;
  try {
    done = endpoint.setQlogDir(dir);
  } catch (e) {
    endpoint.close();
    throw new QuicError("invalid_argument", `qlogDir: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (!done) {
    endpoint.close();
    throw new QuicError(
      "invalid_argument",
      "qlogDir: this libcoquic cannot write qlog (no coquic_x_endpoint_set_qlog_dir)",
    );
  }
}

function isIpv6(hostname: string): boolean {
  return !parseIpv4(hostname) && parseIpv6(hostname) !== undefined;
}

/**
 * A snapshot of a listener.
 *
 * @example
 * ```ts
 * declare const listener: QuicListener;
 * const snap: ListenerSnapshot = listener.observe();
 * console.log(snap.connections, snap.accepted);
 * ```
 */
export interface ListenerSnapshot {
  /** The bound local address. */
  localAddress: SocketAddress;
  /** Connections currently open. */
  connections: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connection attempts refused so far. */
  refused: number;
  /** Whether the listener is closed. */
  closed: boolean;
  /** QUIC DATAGRAM frames received. */
  datagramsReceived: number;
  /** QUIC DATAGRAM frames sent. */
  datagramsSent: number;
  /**
   * Half-open handshakes now, the bytes they are counted at, and how many were dropped to
   * make room (undefined without the engine's half-open extension).
   */
  halfOpen?: { count: number; bytes: number; dropped: number };
  /** The socket path and, on the native path, the socket's counters. */
  io: IoSnapshot;
}

/**
 * A connection attempt seen by a listener before anything was answered: accept it, refuse
 * it (the client gets a CONNECTION_CLOSE with code 0x2), or ignore it (its packets are
 * dropped unanswered). Decisions are per peer address.
 *
 * @example
 * ```ts
 * declare const listener: QuicListener;
 * const incoming: QuicIncoming = await listener.incoming();
 * const conn = await incoming.accept();
 * ```
 */
export class QuicIncoming {
  #decided = false;
  /** Made by the listener for a new peer at `remoteAddress` (get one from `QuicListener.incoming()`). */
  constructor(
    readonly remoteAddress: SocketAddress,
    private listener: QuicListener,
    private route: Route,
    private admitted?: QuicConnection, // a new connection from a peer address already let through
  ) {}
  /** Lets the handshake proceed and returns the connection once it is established. */
  async accept(options: { signal?: AbortSignal } = {}): Promise<QuicConnection> {
    const conn = this.#admit();
    await withSignal(conn.ready, options.signal);
    this.listener._counted("accepted");
    return conn;
  }
  /** Refuses: the client gets CONNECTION_CLOSE (application code `CONNECTION_REFUSED`, 0x2, "refused"). */
  refuse(): void {
    const conn = this.#admit();
    this.listener._counted("refused");
    void conn.close({ code: CONNECTION_REFUSED, reason: "refused" });
  }
  /** Ignores: nothing is ever answered to this peer address. */
  ignore(): void {
    if (this.#decided) throw new QuicError("invalid_argument", "this incoming connection was already decided");
    this.#decided = true;
    this.listener._counted("refused");
    this.listener._ignore(this.route);
    if (this.admitted) void this.admitted.close({ code: CONNECTION_REFUSED, reason: "ignored" }); // it was answered already
  }
  #admit(): QuicConnection {
    if (this.#decided) throw new QuicError("invalid_argument", "this incoming connection was already decided");
    this.#decided = true;
    const conn = this.admitted ?? this.listener._admit(this.route);
    if (!conn) throw new QuicError("refused", "the peer's first packets did not open a connection");
    return conn;
  }
}

/**
 * A QUIC server socket.
 *
 * @example
 * ```ts
 * const listener = await listen({ hostname: "127.0.0.1", port: 4433, alpn: "echo" });
 * for await (const conn of listener) {
 *   for await (const stream of conn) stream.readable!.pipeTo(stream.writable!);
 * }
 * ```
 */
export class QuicListener {
  /** SHA-256 fingerprint of the generated development certificate (undefined with `cert`). */
  readonly certificateFingerprint?: string;
  /** The PEM certificate the listener presents. */
  readonly certificatePem: string;
  #driver: QuicDriver;
  #incoming = new AsyncQueue<QuicIncoming>();
  #connections = new Set<QuicConnection>();
  #counts = { accepted: 0, refused: 0 };
  #closing = false;

  /** @internal */
  constructor(driver: QuicDriver, certPem: string, fingerprint: string | undefined, maxSendBuffer?: number) {
    this.#driver = driver;
    this.certificatePem = certPem;
    this.certificateFingerprint = fingerprint;
    driver.onAccepted = (handle, routeHandle) => {
      const route = routeHandle === undefined ? undefined : driver.routeByHandle(routeHandle);
      const address = route?.address ?? { hostname: "", port: 0 };
      const conn = new QuicConnection(driver, handle, true, address, maxSendBuffer);
      driver.connections.set(handle, conn);
      this.#connections.add(conn);
      void conn.closed.then(() => this.#connections.delete(conn));
      if (this.#closing) {
        void conn.close({ code: 0x2, reason: "listener closing" });
        return;
      }
      if (this.#admitting) this.#admittedNow.push(conn);
      // A new connection from a peer address that was let through before (a reused port,
      // a second connection from one socket): offer it like any other.
      else if (route && this.#manual) this.#incoming.push(new QuicIncoming(route.address, this, route, conn));
      else this.#offer(conn);
    };
  }

  /**
   * Manual admission: from now on the driver holds back a new peer's datagrams until its
   * QuicIncoming is decided. Automatic mode sets no gate, so datagrams reach the engine in
   * arrival order (a gate admitting at once would reorder a batch on the native path: a new
   * peer's held datagrams would follow those of known peers received after them).
   */
  #gate(): void {
    if (this.#manual) return;
    this.#manual = true;
    this.#driver.onNewPeer = (route) => {
      if (this.#closing) return this.#driver.ignore(route);
      this.#incoming.push(new QuicIncoming(route.address, this, route));
    };
  }

  /** Automatic mode: hands a connection to accept() once its handshake completes. */
  #offer(conn: QuicConnection): void {
    conn.ready.then(() => {
      this.#counts.accepted++;
      this.#established.push(conn);
    }, () => {});
  }

  #admitting = false;

  #manual = false;
  #established = new AsyncQueue<QuicConnection>();

  #admittedNow: QuicConnection[] = [];

  /**
   * @internal Feeds a held peer to the engine; returns the first connection it opened. Held
   * datagrams can open more than one (a reused port still carrying an old client's
   * retransmissions): the others are offered like connections from admitted peers.
   * @ignore
   */
  _admit(route: Route): QuicConnection | undefined {
    this.#admittedNow = [];
    this.#admitting = true;
    try {
      this.#driver.admit(route);
    } finally {
      this.#admitting = false;
    }
    const [first, ...rest] = this.#admittedNow;
    for (const conn of rest) {
      if (this.#manual) this.#incoming.push(new QuicIncoming(route.address, this, route, conn));
      else this.#offer(conn);
    }
    return first;
  }

  /** The bound address. */
  get addr(): SocketAddress {
    const a = this.#driver.localAddress;
    return { hostname: a.hostname, port: a.port };
  }

  /**
   * The next connection attempt, before anything was answered. The first call switches the
   * listener to manual admission: from then on every new peer waits for accept(), refuse()
   * or ignore() on its QuicIncoming.
   */
  incoming(options: { signal?: AbortSignal } = {}): Promise<QuicIncoming> {
    this.#gate();
    return this.#incoming.next(options.signal);
  }

  /** The next established connection (connections whose handshake fails are skipped). */
  async accept(options: { signal?: AbortSignal } = {}): Promise<QuicConnection> {
    if (!this.#manual) return await this.#established.next(options.signal);
    for (;;) {
      const inc = await this.#incoming.next(options.signal);
      try {
        return await inc.accept(options);
      } catch (e) {
        if (e instanceof QuicError && (e.kind === "timeout" || e.kind === "aborted")) throw e;
      }
    }
  }

  /** Iterates established connections until the listener closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<QuicConnection> {
    for (;;) {
      try {
        yield await this.accept();
      } catch {
        return;
      }
    }
  }

  /**
   * @internal
   * @ignore
   */
  _counted(what: "accepted" | "refused"): void {
    this.#counts[what]++;
  }

  /**
   * @internal
   * @ignore
   */
  _ignore(route: Route): void {
    this.#driver.ignore(route);
  }

  /** A snapshot of the listener. */
  observe(): ListenerSnapshot {
    return {
      localAddress: this.addr,
      connections: this.#connections.size,
      accepted: this.#counts.accepted,
      refused: this.#counts.refused,
      closed: this.#driver.closed,
      datagramsReceived: this.#driver.counters.datagramsReceived,
      datagramsSent: this.#driver.counters.datagramsSent,
      halfOpen: this.#driver.closed ? undefined : this.#driver.endpoint.halfOpen(),
      io: this.#driver.io(),
    };
  }

  /**
   * Stops accepting, closes every connection (code 0 unless given) and waits until they
   * have ended (bounded by `timeoutMs`, default 3 s), then releases the socket.
   */
  async close(options: { code?: number; reason?: string; timeoutMs?: number } = {}): Promise<void> {
    if (this.#driver.closed) return;
    this.#closing = true;
    this.#incoming.fail(new QuicError("closed", "listener closed"));
    this.#established.fail(new QuicError("closed", "listener closed"));
    await closeAll(this.#connections, options, "server shutting down");
    this.#driver.close();
  }
}

/**
 * Listens for QUIC connections on a UDP socket (default 127.0.0.1, port 0: a free port, see
 * `listener.addr`).
 *
 * @example
 * ```ts
 * const listener = await listen({ port: 0, alpn: "demo" });
 * console.log(listener.addr.port, listener.certificateFingerprint);
 * ```
 */
export async function listen(options: ListenOptions): Promise<QuicListener> {
  checkName("hostname", options.hostname);
  checkPort("port", options.port);
  checkInteger("maxConnections", options.maxConnections, 0, 2 ** 32 - 1);
  checkInteger("maxHalfOpenBytes", options.maxHalfOpenBytes, 1, Number.MAX_SAFE_INTEGER);
  checkBoolean("retry", options.retry);
  checkBoolean("earlyData", options.earlyData);
  const lib = options.library ?? defaultLibrary(); // loaded once: a load probes every symbol
  const hostname = options.hostname ?? "127.0.0.1";
  const config = transportConfig(lib, Role.SERVER, options.alpn, options, isIpv6(hostname));
  config.verifyPeer = false;
  config.retryEnabled = options.retry ?? false;
  config.zeroRtt.allow = options.earlyData ?? false;
  config.maxServerConnections = options.maxConnections ?? 0;
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new QuicError("invalid_argument", "cert and key go together");
  }
  let certPem = options.cert, keyPem = options.key, fingerprint: string | undefined;
  if (!certPem) {
    const dev = await generateDevCertificate();
    certPem = dev.certPem;
    keyPem = dev.keyPem;
    fingerprint = dev.fingerprintSha256;
  }
  config.identity = { certificatePem: certPem, privateKeyPem: keyPem! };
  options.configure?.(config);
  const endpoint = engineCall(() => Endpoint.create(lib, config));
  endpoint.setManualCredit(true);
  endpoint.setStreamEffects({ closed: true, acked: true });
  endpoint.setLossAccounting(options.lossAccounting ?? true);
  applyQlogDir(endpoint, options.qlogDir);
  if (options.maxHalfOpenBytes !== undefined && !endpoint.setHalfOpenLimit(options.maxHalfOpenBytes)) {
    endpoint.close();
    throw new QuicError("unsupported", `maxHalfOpenBytes: ${lib.path} has no half-open extension`);
  }
  let driver;
  try {
    driver = await createDriver(endpoint, { hostname, port: options.port ?? 0, io: options.io }); // closes the endpoint on failure
  } catch (e) {
    throw bindError(e, hostname, options.port ?? 0);
  }
  return new QuicListener(driver, certPem, fingerprint, options.maxConnectionSendBuffer);
}

/**
 * Options of {@link QuicClient.create}: what every connection of one client endpoint shares
 * (the ABI keeps ALPN, verification and transport settings per endpoint).
 *
 * @example
 * ```ts
 * declare const certPem: string;
 * const opts: ClientOptions = { alpn: "echo", ca: certPem };
 * ```
 */
export interface ClientOptions extends TransportOptions {
  /** The ALPN protocol to ask for. */
  alpn: string;
  /**
   * Extra trusted CA certificates (PEM) besides the system store. A libcoquic without the
   * `coquic_x_endpoint_add_trusted_ca` extension gets them through `SSL_CERT_FILE` while the
   * endpoint is created.
   */
  ca?: string | string[];
  /** Skip certificate verification. Only for tests against throwaway servers. */
  insecure?: boolean;
  /**
   * Local address to bind (default the unspecified address of each family). It fixes the
   * client to that address's family: addresses of the other family are not tried.
   */
  localHostname?: string;
  /**
   * The family whose endpoint and socket are made at once (default "IPv4"); the other
   * family's is made when a server address of that family is first tried.
   */
  family?: "IPv4" | "IPv6";
  /**
   * Resolves host names (default: the runtime's DNS through `node:dns` `lookup`, which reads
   * `/etc/hosts`). IP literals are never looked up.
   */
  lookup?: Lookup;
  /** A session ticket from an earlier connection (`conn.session`) to resume. */
  session?: Uint8Array;
  /**
   * Keep the session tickets servers send and resume with one on the next connection to the
   * same server (same host name or address, port, server name; default true). Tickets are
   * single-use: each resumption takes one; a few are kept per server, for 256 servers at most
   * (least recently used dropped). A ticket the server no longer takes means a full handshake,
   * not an error. A `session` given to connect() is used instead. {@link QuicClient} only:
   * {@link connect} makes an endpoint per connection and keeps none. 0-RTT stays opt-in
   * (`earlyData`).
   */
  sessionCache?: boolean;
  /**
   * With `session` (or a cached ticket): send early (0-RTT) data. connect() then returns before the handshake
   * completes, so what is written at once travels in the first flight; `conn.earlyData`
   * tells whether the server took it (if not, the bytes are sent again after the handshake).
   */
  earlyData?: boolean;
  /**
   * An address-validation token from an earlier connection to this server (`conn.newToken`),
   * so a Retry-enabled server needs no Retry. connect() and QuicClient present theirs
   * automatically; each token is used once.
   */
  token?: Uint8Array;
}

/** The `cancel` signal of a connect() attempt that races no other: it never fires. */
const NO_RACE = new AbortController().signal;

/** connect()'s NEW_TOKENs by server address: its endpoints live for one connection each. */
const newTokens = new Map<string, Uint8Array>();

/**
 * Options of {@link connect}.
 *
 * @example
 * ```ts
 * declare const certPem: string;
 * const opts: ConnectOptions = { alpn: "echo", ca: certPem, signal: AbortSignal.timeout(5000) };
 * ```
 */
export interface ConnectOptions extends Omit<ClientOptions, "family"> {
  /** TLS server name (SNI and verification); default: the hostname, or "localhost" for IP literals. */
  serverName?: string;
  /** Abort the handshake (AbortSignal.timeout gives QuicError "timeout"). */
  signal?: AbortSignal;
}

type Family = "IPv4" | "IPv6";

/** Socket errors that mean an ICMP unreachable answered our datagrams. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN"]);

/** A handshake in flight on one driver, so an ICMP error on its socket can end it. */
interface PendingHandshake {
  key: string;
  fail: (e: QuicError) => void;
}

/** Checks the port and host name of a server address before anything is sent. */
function checkServerAddress(address: SocketAddress): void {
  if (!address || typeof address !== "object") {
    throw new QuicError("invalid_argument", "the server address must be { hostname, port }");
  }
  const { hostname, port } = address;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new QuicError("invalid_argument", `port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  if (typeof hostname !== "string" || hostname.trim() === "") {
    throw new QuicError("invalid_argument", "hostname must be a non-empty host name or IP address");
  }
}

/** The addresses of `hostname`: itself for an IP literal, else what `lookup` gives (a typed error when none). */
async function resolveHost(hostname: string, lookup: Lookup): Promise<ResolvedAddress[]> {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  // Canonical text: replies are matched to their connection by the address text the runtime reports.
  const literal = canonicalIp(bare);
  if (literal !== undefined) return [{ address: literal, family: parseIpv4(literal) ? 4 : 6 }];
  let found: ResolvedAddress[];
  try {
    found = await lookup(bare);
  } catch (e) {
    const code = (e as { code?: string })?.code;
    throw new QuicError("name_not_resolved", `${bare}: ${code ?? (e as Error)?.message ?? e}`, undefined, {
      cause: e,
    });
  }
  const usable: ResolvedAddress[] = [];
  for (const a of Array.isArray(found) ? found : []) {
    const address = typeof a?.address === "string" ? canonicalIp(a.address) : undefined;
    if (address === undefined) continue;
    const family = parseIpv4(address) ? 4 : 6;
    if (a.family === family) usable.push({ address, family });
  }
  if (usable.length === 0) throw new QuicError("name_not_resolved", `${bare}: no IPv4 or IPv6 address`);
  return usable;
}

/**
 * A client endpoint: one engine endpoint and one UDP socket per address family that open many
 * connections, to one server or several (like Deno's `QuicEndpoint`). Cheaper than
 * {@link connect} per connection when a program opens many: no endpoint, TLS context or socket
 * is made for each. Host names are resolved and their addresses raced (Happy Eyeballs).
 *
 * @example
 * ```ts
 * declare const listener: QuicListener;
 * const client = await QuicClient.create({ alpn: "echo", ca: listener.certificatePem });
 * const a = await client.connect(listener.addr);
 * const b = await client.connect({ hostname: "localhost", port: listener.addr.port });
 * await client.close(); // closes a and b
 * ```
 */
export class QuicClient {
  #options: ClientOptions;
  #primary: QuicDriver;
  #drivers = new Map<Family, Promise<QuicDriver>>();
  #pending = new Map<QuicDriver, Set<PendingHandshake>>();
  #fixedFamily: Family | undefined;
  #closed = false;
  /** Every driver made so far. */
  #made = new Set<QuicDriver>();
  /** Made by {@link connect} for one connection. */
  #singleUse = false;
  /** Session tickets by server (undefined with `sessionCache: false`). */
  #sessions: SessionCache | undefined;

  private constructor(options: ClientOptions, primary: QuicDriver, family: Family, fixed: boolean) {
    this.#options = options;
    this.#primary = primary;
    this.#fixedFamily = fixed ? family : undefined;
    if (options.sessionCache !== false) this.#sessions = new SessionCache();
    this.#drivers.set(family, Promise.resolve(primary));
    this.#watchSocket(primary);
  }

  /** Creates the endpoint of `family` (default IPv4) and binds its socket. */
  static async create(options: ClientOptions): Promise<QuicClient> {
    checkChoice("family", options.family, ["IPv4", "IPv6"]);
    checkBoolean("sessionCache", options.sessionCache);
    const cas = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
    for (const ca of cas) checkName("ca", ca);
    checkName("localHostname", options.localHostname);
    const local = options.localHostname;
    const family: Family = local !== undefined ? (isIpv6(local) ? "IPv6" : "IPv4") : options.family ?? "IPv4";
    const driver = await QuicClient.#makeDriver(options, family);
    return new QuicClient(options, driver, family, local !== undefined);
  }

  /** One engine endpoint and socket for `family`. */
  static async #makeDriver(options: ClientOptions, family: Family): Promise<QuicDriver> {
    const lib = options.library ?? defaultLibrary(); // loaded once: a load probes every symbol
    const config = transportConfig(lib, Role.CLIENT, options.alpn, options, family === "IPv6");
    config.verifyPeer = options.insecure !== true;
    options.configure?.(config);
    const cas = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
    // Without coquic_x_endpoint_add_trusted_ca, `ca` reaches the engine through SSL_CERT_FILE.
    const endpoint = engineCall(() =>
      cas.length > 0 && !lib.extensions.trustedCa
        ? withTrustFile(cas, () => Endpoint.create(lib, config))
        : Endpoint.create(lib, config)
    );
    endpoint.setManualCredit(true);
    endpoint.setStreamEffects({ closed: true, acked: true });
    endpoint.setPathEffects(true); // conn.migrate() resolves on the path's validation
    endpoint.setLossAccounting(options.lossAccounting ?? true);
    applyQlogDir(endpoint, options.qlogDir);
    for (const ca of cas) endpoint.addTrustedCa(ca);
    const local = options.localHostname ?? (family === "IPv6" ? "::" : "0.0.0.0");
    try {
      return await createDriver(endpoint, { hostname: local, port: 0, io: options.io }); // closes the endpoint on failure
    } catch (e) {
      throw bindError(e, local, 0);
    }
  }

  /** The driver of `family`, made on first use. */
  #driverFor(family: Family): Promise<QuicDriver> {
    let d = this.#drivers.get(family);
    if (!d) {
      d = QuicClient.#makeDriver(this.#options, family).then((driver) => {
        if (this.#closed) {
          driver.close();
          throw new QuicError("closed", "this client endpoint is closed");
        }
        this.#watchSocket(driver);
        return driver;
      });
      d.catch(() => this.#drivers.get(family) === d && this.#drivers.delete(family));
      this.#drivers.set(family, d);
    }
    return d;
  }

  /**
   * An ICMP unreachable reported on the socket ends the handshakes in flight to the address
   * that refused. The engine's socket names that address (IP_RECVERR); a runtime socket does
   * not, so there the handshakes end only when they all go to one server address.
   */
  #watchSocket(driver: QuicDriver): void {
    this.#made.add(driver);
    if (driver instanceof NativeDriver) {
      driver.onUnreachable = (route, code) => this.#refused(driver, route.key, code);
      return;
    }
    if (!(driver instanceof Driver)) return;
    driver.socket.onError?.((error) => {
      if (!error.code || !UNREACHABLE_CODES.has(error.code)) return;
      const keys = new Set([...this.#pending.get(driver) ?? []].map((p) => p.key));
      if (keys.size === 1) this.#refused(driver, [...keys][0], error.code);
    });
  }

  #refused(driver: QuicDriver, key: string, code: string): void {
    for (const p of [...this.#pending.get(driver) ?? []]) {
      if (p.key === key) p.fail(new QuicError("unreachable", `${key}: ${code} (nothing listens there)`));
    }
  }

  /** The bound local address of the first endpoint. */
  get localAddress(): SocketAddress {
    const a = this.#primary.localAddress;
    return { hostname: a.hostname, port: a.port };
  }

  /** Connections open on this client's endpoints. */
  get connectionCount(): number {
    let n = 0;
    for (const d of this.#made) n += d.closed ? 0 : d.connections.size;
    return n;
  }

  /** Session tickets this client holds for resuming (0 with `sessionCache: false`). */
  get cachedSessions(): number {
    return this.#sessions?.count() ?? 0;
  }

  /** Whether close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Opens a connection and waits for its handshake. A host name is resolved (`lookup`) and
   * its addresses raced (Happy Eyeballs: the next one 250 ms after the last started, or at
   * once when it failed; the first handshake wins, the others are closed); the name is the
   * TLS server name unless `serverName` is given. The server is verified against the system
   * trust store plus the client's `ca` unless it was made `insecure`.
   *
   * Errors: `invalid_argument` for a bad port or an empty host name, `name_not_resolved` when
   * the name has no address, `unreachable` when an ICMP error refused the handshake (reported
   * by Bun's sockets only), `handshake_failed`, `timeout`/`aborted` from `signal`.
   */
  async connect(
    address: SocketAddress,
    options: {
      serverName?: string;
      signal?: AbortSignal;
      session?: Uint8Array;
      earlyData?: boolean;
      token?: Uint8Array;
    } = {},
  ): Promise<QuicConnection> {
    if (this.#closed) throw new QuicError("closed", "this client endpoint is closed");
    checkServerAddress(address);
    checkBytes("session", options.session);
    checkBytes("token", options.token);
    checkName("serverName", options.serverName);
    checkBoolean("earlyData", options.earlyData);
    this.#throwIfAborted(options.signal);
    const lookup = this.#options.lookup ?? systemLookup;
    let addresses = await withSignal(resolveHost(address.hostname, lookup), options.signal);
    if (this.#fixedFamily) {
      const want = this.#fixedFamily === "IPv6" ? 6 : 4;
      const fitting = addresses.filter((a) => a.family === want);
      if (fitting.length === 0) {
        throw new QuicError(
          "invalid_argument",
          `this client endpoint is bound to an ${this.#fixedFamily} address; ${address.hostname} has none`,
        );
      }
      addresses = fitting;
    }
    const bare = address.hostname.replace(/^\[|\]$/g, "");
    const literal = parseIpv4(bare) !== undefined || parseIpv6(bare) !== undefined;
    const serverName = options.serverName ?? (literal ? "localhost" : address.hostname);
    const cache = this.#sessions;
    const key = cache && SessionCache.key(bare, address.port, serverName, this.#options.alpn);
    // a cached ticket goes to the first attempt only: tickets are single-use
    let cached = options.session || !key ? undefined : cache!.take(key);
    if (addresses.length === 1) { // nothing to race (an IP literal): no controller, timer or listeners
      const a = addresses[0];
      const attemptOptions = { ...options, session: options.session ?? cached, cacheKey: key };
      return await this.#attempt({ hostname: a.address, port: address.port }, serverName, attemptOptions, NO_RACE);
    }
    return await race(
      interleave(addresses),
      (a, cancel) => {
        const session = options.session ?? cached;
        cached = undefined;
        return this.#attempt({ hostname: a.address, port: address.port }, serverName, {
          ...options,
          session,
          cacheKey: key,
        }, cancel);
      },
      {
        delayMs: ATTEMPT_DELAY_MS,
        signal: options.signal,
        discard: (late) => void late.close({ code: 0, reason: "another address answered first" }),
      },
    );
  }

  #throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw abortError(signal);
  }

  /**
   * One handshake to one IP address, with connect()'s `options` (signal, resumption, 0-RTT,
   * token); `cancel` fires when another attempt won.
   */
  async #attempt(
    address: SocketAddress,
    serverName: string,
    options: {
      signal?: AbortSignal;
      session?: Uint8Array;
      earlyData?: boolean;
      token?: Uint8Array;
      cacheKey?: string;
    },
    cancel: AbortSignal,
  ): Promise<QuicConnection> {
    const signal = options.signal;
    this.#throwIfAborted(signal);
    const driver = await this.#driverFor(isIpv6(address.hostname) ? "IPv6" : "IPv4");
    if (this.#closed || driver.closed) throw new QuicError("closed", "this client endpoint is closed");
    this.#throwIfAborted(signal);
    if (cancel.aborted) throw new QuicError("aborted", "another address answered first");
    const route = driver.routeFor(address);
    if (this.#singleUse) driver.defaultRoute ??= route.address; // its only server
    const lib = driver.endpoint.library;
    const cfg = ClientConfig.new(
      crypto.getRandomValues(new Uint8Array(8)),
      crypto.getRandomValues(new Uint8Array(16)),
      lib,
    );
    cfg.core.serverName = serverName;
    // The engine starts in the first of the endpoint's versions and negotiates from there.
    cfg.core.initialVersion = cfg.core.originalVersion = (this.#options.versions ?? [QUIC_V1])[0];
    cfg.initialRouteHandle = route.handle;
    cfg.addressValidationIdentity = route.identity;
    if (options.session) cfg.core.resumptionState = options.session;
    if (options.earlyData) cfg.core.zeroRtt.attempt = true;
    if (options.token) cfg.core.retryToken = options.token; // the engine tells a NEW_TOKEN by its format
    let conn: QuicConnection | undefined;
    driver.run((now) => {
      const { connection, result } = driver.endpoint.connect(cfg, now);
      conn = new QuicConnection(driver, connection.handle, false, address, this.#options.maxConnectionSendBuffer);
      conn._route = route.handle;
      const key = options.cacheKey;
      if (key !== undefined) conn._onSession = (ticket) => this.#sessions?.put(key, ticket);
      driver.connections.set(connection.handle, conn);
      return result;
    });
    const c = conn!;
    if (c.earlyData === "attempted") { // 0-RTT: the caller writes before the handshake ends
      if (signal) {
        withSignal(c.ready, signal).catch(() => !driver.closed && void c.close({ code: 0, reason: "aborted" }));
      }
      return c;
    }
    let pendings = this.#pending.get(driver);
    if (!pendings) this.#pending.set(driver, pendings = new Set());
    let fail!: (e: QuicError) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});
    const pending: PendingHandshake = { key: route.key, fail };
    pendings.add(pending);
    const onCancel = () => fail(new QuicError("aborted", "another address answered first"));
    if (cancel !== NO_RACE) cancel.addEventListener("abort", onCancel, { once: true });
    try {
      await withSignal(Promise.race([c.ready, failed]), signal);
    } catch (e) {
      if (!driver.closed) void c.close({ code: 0, reason: "aborted" });
      throw e;
    } finally {
      pendings.delete(pending);
      if (cancel !== NO_RACE) cancel.removeEventListener("abort", onCancel);
    }
    return c;
  }

  /**
   * Closes every connection (with `code`, default 0), waits for them to end (at most
   * `timeoutMs`, default 3000), then closes the endpoints and their sockets.
   */
  async close(options: { code?: number; reason?: string; timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const drivers = (await Promise.allSettled(this.#drivers.values()))
      .flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
    const connections = drivers.flatMap((d) => [...d.connections.values()] as QuicConnection[]);
    await closeAll(connections, options, "client closed");
    for (const d of drivers) d.close();
  }

  /** @internal {@link connect}: a client for one connection, closed with it (see `_closeWith`). */
  static async _singleUse(options: ClientOptions): Promise<QuicClient> {
    const client = await QuicClient.create(options);
    client.#singleUse = true;
    return client;
  }

  /**
   * @internal {@link connect}: closes the endpoints once `conn` has ended.
   * @ignore
   */
  _closeWith(conn: QuicConnection): void {
    void conn.closed.then(() => setTimeout(() => void this.close({ timeoutMs: 0 }), 0));
  }
}

/**
 * Opens a QUIC connection and waits for its handshake. `hostname` may be a name (resolved
 * through `lookup`, default the runtime's DNS and `/etc/hosts`; its addresses raced, IPv6 and
 * IPv4 alike) or an IP literal. The server is verified against the system trust store plus
 * `ca` unless `insecure` is set, by `serverName` (default: the host name). Each call makes its
 * own endpoint and socket, closed with the connection; {@link QuicClient} shares one among
 * many connections.
 *
 * @example
 * ```ts
 * declare const listener: QuicListener;
 * const conn = await connect({ hostname: "localhost", port: 4433 }, { alpn: "demo", ca: listener.certificatePem });
 * ```
 */
export async function connect(address: SocketAddress, options: ConnectOptions): Promise<QuicConnection> {
  checkServerAddress(address);
  const bare = typeof address.hostname === "string" ? address.hostname.replace(/^\[|\]$/g, "") : "";
  const family: Family = isIpv6(bare) ? "IPv6" : "IPv4";
  const client = await QuicClient._singleUse({ ...options, family });
  const key = `${address.hostname}|${address.port}`;
  const token = options.token ?? newTokens.get(key);
  newTokens.delete(key);
  try {
    const conn = await client.connect(address, { ...options, token });
    client._closeWith(conn);
    conn._onNewToken = (t) => {
      newTokens.delete(key); // re-insert: the map stays in arrival order, oldest first
      newTokens.set(key, t);
      if (newTokens.size > 256) newTokens.delete(newTokens.keys().next().value!);
    };
    if (conn.newToken) conn._onNewToken(conn.newToken); // it came with the handshake's last packets
    return conn;
  } catch (e) {
    void client.close({ timeoutMs: 0 });
    throw e;
  }
}
