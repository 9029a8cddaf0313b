/**
 * The batteries-included API: `listen()` and `connect()` over real UDP sockets.
 *
 * @module
 */
import { Role } from "../ffi/abi.ts";
import { type CoquicLibrary, defaultLibrary } from "../ffi/loader.ts";
import { bindUdp } from "../runtimes/udp_factory.ts";
import { parseIpv4, parseIpv6, type Route } from "../runtimes/address.ts";
import type { SocketAddress } from "../runtimes/udp.ts";
import { defaultEndpointConfig, type EndpointConfig } from "./config.ts";
import { ClientConfig, Endpoint } from "./endpoint.ts";
import { Driver } from "./driver.ts";
import { QuicConnection } from "./connection.ts";
import { generateDevCertificate } from "./devcert.ts";
import { AsyncQueue, QuicError, withSignal } from "./quic_error.ts";

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
  /** Count lost packets for observe() (default true; costs some CPU, so the perf runner turns it off). */
  lossAccounting?: boolean;
  /**
   * Write a qlog file (JSON-SEQ, qvis reads it) per connection into this directory, made if
   * missing (default: the `QLOGDIR` environment variable, else none). Needs our engine's
   * qlog extension: with another libcoquic this option is an `unsupported` error.
   */
  qlogDir?: string;
  /** Use this libcoquic instead of the default search. */
  library?: CoquicLibrary;
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
  /** Refuse connections beyond this many (0 = unlimited). */
  maxConnections?: number;
  /** Validate client addresses with Retry before accepting. */
  retry?: boolean;
}

const CC = { newreno: 0, cubic: 1, bbr: 2 } as const;

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
  const c = defaultEndpointConfig(lib);
  c.role = role;
  c.applicationProtocol = alpn;
  c.maxOutboundDatagramSize = o.maxDatagramSize ?? (ipv6 ? 1452 : 1472);
  const t = c.transport;
  t.maxIdleTimeout = o.idleTimeoutMs ?? 30_000;
  t.initialMaxStreamsBidi = o.maxStreams ?? 1000;
  t.initialMaxStreamsUni = o.maxUniStreams ?? 100;
  t.initialMaxStreamDataBidiLocal = t.initialMaxStreamDataBidiRemote = t.initialMaxStreamDataUni = o.streamWindow ??
    16 << 20;
  t.initialMaxData = o.connectionWindow ?? 32 << 20;
  const cc = o.congestionControl ?? "cubic";
  if (!(cc in CC)) {
    throw new QuicError("invalid_argument", `congestionControl must be newreno, cubic or bbr, got ${cc}`);
  }
  t.congestionControl = CC[cc];
  t.pmtudEnabled = false; // runtime sockets report no PMTU signals; we size packets ourselves
  return c;
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
  /** Refuses: the client gets CONNECTION_CLOSE (application code 0x2, "refused"). */
  refuse(): void {
    const conn = this.#admit();
    this.listener._counted("refused");
    void conn.close({ code: 0x2, reason: "refused" });
  }
  /** Ignores: nothing is ever answered to this peer address. */
  ignore(): void {
    if (this.#decided) throw new QuicError("invalid_argument", "this incoming connection was already decided");
    this.#decided = true;
    this.listener._counted("refused");
    this.listener._ignore(this.route);
    if (this.admitted) void this.admitted.close({ code: 0x2, reason: "ignored" }); // it was answered already
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
  #driver: Driver;
  #incoming = new AsyncQueue<QuicIncoming>();
  #connections = new Set<QuicConnection>();
  #counts = { accepted: 0, refused: 0 };
  #closing = false;

  /** @internal */
  constructor(driver: Driver, certPem: string, fingerprint: string | undefined) {
    this.#driver = driver;
    this.certificatePem = certPem;
    this.certificateFingerprint = fingerprint;
    driver.onAccepted = (handle, routeHandle) => {
      const route = routeHandle === undefined ? undefined : driver.routes.byHandle(routeHandle);
      const conn = new QuicConnection(driver, handle, true, route?.address ?? { hostname: "", port: 0 });
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
    driver.onNewPeer = (route) => {
      if (this.#closing) return driver.ignore(route);
      if (this.#manual) {
        this.#incoming.push(new QuicIncoming(route.address, this, route));
        return;
      }
      // Automatic mode: admit at once; a connection is handed to accept() when its handshake
      // completes, so one slow or silent client never holds up the others.
      const conn = this._admit(route);
      if (conn) this.#offer(conn);
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
    const a = this.#driver.socket.localAddress;
    return { hostname: a.hostname, port: a.port };
  }

  /**
   * The next connection attempt, before anything was answered. The first call switches the
   * listener to manual admission: from then on every new peer waits for accept(), refuse()
   * or ignore() on its QuicIncoming.
   */
  incoming(options: { signal?: AbortSignal } = {}): Promise<QuicIncoming> {
    this.#manual = true;
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

  /** @internal */
  _counted(what: "accepted" | "refused"): void {
    this.#counts[what]++;
  }

  /** @internal */
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
  const lib = options.library ?? defaultLibrary(); // loaded once: a load probes every symbol
  const hostname = options.hostname ?? "127.0.0.1";
  const config = transportConfig(lib, Role.SERVER, options.alpn, options, isIpv6(hostname));
  config.verifyPeer = false;
  config.retryEnabled = options.retry ?? false;
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
  const endpoint = Endpoint.create(lib, config);
  endpoint.setManualCredit(true);
  endpoint.setStreamEffects({ closed: true, acked: true });
  endpoint.setLossAccounting(options.lossAccounting ?? true);
  applyQlogDir(endpoint, options.qlogDir);
  let socket;
  try {
    socket = await bindUdp({ hostname, port: options.port ?? 4433 });
  } catch (e) {
    endpoint.close();
    throw e;
  }
  return new QuicListener(new Driver(endpoint, socket), certPem, fingerprint);
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
  /** Extra trusted CA certificates (PEM) besides the system store. */
  ca?: string | string[];
  /** Skip certificate verification. Only for tests against throwaway servers. */
  insecure?: boolean;
  /** Local address to bind (default the unspecified address of `family`). */
  localHostname?: string;
  /** The address family of the servers it will reach (default "IPv4"). */
  family?: "IPv4" | "IPv6";
}

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

/**
 * A client endpoint: one engine endpoint and one UDP socket that open many connections, to one
 * server or several (like Deno's `QuicEndpoint`). Cheaper than {@link connect} per connection
 * when a program opens many: no endpoint, TLS context or socket is made for each.
 *
 * @example
 * ```ts
 * declare const listener: QuicListener;
 * const client = await QuicClient.create({ alpn: "echo", ca: listener.certificatePem });
 * const a = await client.connect(listener.addr);
 * const b = await client.connect(listener.addr);
 * await client.close(); // closes a and b
 * ```
 */
export class QuicClient {
  #driver: Driver;
  #family: "IPv4" | "IPv6";
  #singleUse: boolean;

  private constructor(driver: Driver, family: "IPv4" | "IPv6", singleUse: boolean) {
    this.#driver = driver;
    this.#family = family;
    this.#singleUse = singleUse;
  }

  /** Creates the endpoint and binds its socket. */
  static create(options: ClientOptions): Promise<QuicClient> {
    return QuicClient.#create(options, false);
  }

  static async #create(options: ClientOptions, singleUse: boolean): Promise<QuicClient> {
    const lib = options.library ?? defaultLibrary(); // loaded once: a load probes every symbol
    const family = options.family ?? "IPv4";
    const config = transportConfig(lib, Role.CLIENT, options.alpn, options, family === "IPv6");
    config.verifyPeer = options.insecure !== true;
    options.configure?.(config);
    const cas = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
    if (cas.length > 0 && !lib.extensions.trustedCa) {
      throw new QuicError(
        "invalid_argument",
        "this libcoquic cannot take a CA (no coquic_x_endpoint_add_trusted_ca); set SSL_CERT_FILE",
      );
    }
    const endpoint = Endpoint.create(lib, config);
    endpoint.setManualCredit(true);
    endpoint.setStreamEffects({ closed: true, acked: true });
    endpoint.setLossAccounting(options.lossAccounting ?? true);
    applyQlogDir(endpoint, options.qlogDir);
    for (const ca of cas) endpoint.addTrustedCa(ca);
    let socket;
    try {
      socket = await bindUdp({ hostname: options.localHostname ?? (family === "IPv6" ? "::" : "0.0.0.0"), port: 0 });
    } catch (e) {
      endpoint.close();
      throw e;
    }
    return new QuicClient(new Driver(endpoint, socket), family, singleUse);
  }

  /** @internal {@link connect}: a client for one connection, closed with it. */
  static _singleUse(options: ClientOptions): Promise<QuicClient> {
    return QuicClient.#create(options, true);
  }

  /** The bound local address. */
  get localAddress(): SocketAddress {
    const a = this.#driver.socket.localAddress;
    return { hostname: a.hostname, port: a.port };
  }

  /** Connections open on this endpoint. */
  get connectionCount(): number {
    return this.#driver.connections.size;
  }

  /** Whether close() ran. */
  get closed(): boolean {
    return this.#driver.closed;
  }

  /**
   * Opens a connection and waits for its handshake. The server is verified against the
   * system trust store plus the client's `ca` unless it was made `insecure`.
   */
  async connect(
    address: SocketAddress,
    options: { serverName?: string; signal?: AbortSignal } = {},
  ): Promise<QuicConnection> {
    const driver = this.#driver;
    if (driver.closed) throw new QuicError("closed", "this client endpoint is closed");
    if ((isIpv6(address.hostname) ? "IPv6" : "IPv4") !== this.#family) {
      throw new QuicError(
        "invalid_argument",
        `this client endpoint reaches ${this.#family} servers, not ${address.hostname}`,
      );
    }
    const route = driver.routes.forPeer(address.hostname, address.port);
    if (this.#singleUse) driver.defaultRoute = route.address;
    const serverName = options.serverName ??
      (parseIpv4(address.hostname) || parseIpv6(address.hostname) ? "localhost" : address.hostname);
    const lib = driver.endpoint.library;
    const cfg = ClientConfig.new(
      lib,
      crypto.getRandomValues(new Uint8Array(8)),
      crypto.getRandomValues(new Uint8Array(16)),
    );
    cfg.core.serverName = serverName;
    cfg.initialRouteHandle = route.handle;
    cfg.addressValidationIdentity = route.identity;
    let conn: QuicConnection | undefined;
    driver.run((now) => {
      const { connection, result } = driver.endpoint.connect(cfg, now);
      conn = new QuicConnection(driver, connection.handle, false, address);
      driver.connections.set(connection.handle, conn);
      return result;
    });
    const c = conn!;
    if (this.#singleUse) void c.closed.then(() => setTimeout(() => driver.close(), 0));
    try {
      await withSignal(c.ready, options.signal);
    } catch (e) {
      if (!driver.closed) void c.close({ code: 0, reason: "aborted" });
      throw e;
    }
    return c;
  }

  /**
   * Closes every connection (with `code`, default 0), waits for them to end (at most
   * `timeoutMs`, default 3000), then closes the endpoint and its socket.
   */
  async close(options: { code?: number; reason?: string; timeoutMs?: number } = {}): Promise<void> {
    if (this.#driver.closed) return;
    await closeAll(this.#driver.connections.values() as Iterable<QuicConnection>, options, "client closed");
    this.#driver.close();
  }
}

/**
 * Opens a QUIC connection and waits for its handshake. The server is verified against the
 * system trust store plus `ca` unless `insecure` is set. Each call makes its own endpoint and
 * socket, closed with the connection; {@link QuicClient} shares one among many connections.
 *
 * @example
 * ```ts
 * declare const listener: QuicListener;
 * const conn = await connect({ hostname: "127.0.0.1", port: 4433 }, { alpn: "demo", ca: listener.certificatePem });
 * ```
 */
export async function connect(address: SocketAddress, options: ConnectOptions): Promise<QuicConnection> {
  const family = isIpv6(address.hostname) ? "IPv6" : "IPv4";
  const client = await QuicClient._singleUse({ ...options, family });
  return await client.connect(address, options);
}
