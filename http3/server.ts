/**
 * `serve(options, handler)`: an HTTP/3 server with standard `Request`/`Response`, like
 * `Deno.serve` / `Bun.serve`. Request and response bodies stream both ways with QUIC
 * backpressure; many requests run concurrently per connection.
 *
 * @module
 */
import { type IoMode, listen, type QuicConnection, type QuicListener, type QuicStream } from "../quic/mod.ts";
import { H3Connection, type H3Options, MessageReader, writeBody } from "./connection.ts";
import { FieldSectionTooLargeError, H3Error, H3ErrorCode } from "./errors.ts";
import {
  headerFields,
  messageError,
  setRequestTrailers,
  splitFields,
  trailerHeaders,
  trailersOfResponse,
} from "./message.ts";
import { linkOf } from "./webtransport/link.ts";
import { checkBoolean, checkInteger } from "../quic/options.ts";
import { QuicError } from "../quic/quic_error.ts";
import {
  type ConnectionActivity,
  enableWebTransport,
  serveWebTransportConnect,
  webTransportOptions,
  type WebTransportServeOptions,
} from "./webtransport/server.ts";

/** serve()'s own arguments checked by their names (listen() checks the ones it is given). */
function checkServeArguments(options: ServeOptions, handler: Handler): void {
  if (typeof options !== "object" || options === null) {
    throw new QuicError("invalid_argument", "options must be an object");
  }
  if (typeof handler !== "function") throw new QuicError("invalid_argument", "handler must be a function");
  if (options.onError !== undefined && typeof options.onError !== "function") {
    throw new QuicError("invalid_argument", "onError must be a function");
  }
  checkInteger("headersTimeoutMs", options.headersTimeoutMs, 1, 2 ** 31 - 1); // a setTimeout delay
  checkInteger("maxConcurrentRequests", options.maxConcurrentRequests, 0, 2 ** 50);
  checkInteger("maxFieldSectionSize", options.maxFieldSectionSize, 0, Number.MAX_SAFE_INTEGER);
  checkInteger("qpackMaxTableCapacity", options.qpackMaxTableCapacity, 0, 2 ** 30);
  checkInteger("qpackBlockedStreams", options.qpackBlockedStreams, 0, 2 ** 16);
  checkInteger("maxBufferedHeaderBytes", options.maxBufferedHeaderBytes, 0, Number.MAX_SAFE_INTEGER);
  checkBoolean("earlyData", options.earlyData);
}

/** A request handler. */
export type Handler = (
  request: Request,
  info: { remoteAddr: { hostname: string; port: number } },
) => Response | Promise<Response>;

/** Options of {@link serve}. */
export interface ServeOptions extends H3Options {
  /** The address to bind (default 127.0.0.1 as in `listen`). */
  hostname?: string;
  /** The UDP port (default 0: a free port, read it from `H3Server.addr`). */
  port?: number;
  /** PEM certificate chain; a development certificate is generated when absent. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** Aborting shuts the server down gracefully (GOAWAY, then wait for in-flight requests). */
  signal?: AbortSignal;
  /** Called for handler errors (default: console.error); the client gets a 500. */
  onError?: (error: unknown, request: Request) => void;
  /** Validate client addresses with a Retry round trip before accepting (default false). */
  retry?: boolean;
  /**
   * Accept requests sent as 0-RTT early data by resuming clients (default false): they save a
   * round trip but can be replayed by an attacker, so turn this on only when every handler is
   * safe to run twice (clients send only GET and HEAD early).
   */
  earlyData?: boolean;
  /** Time a request stream has to deliver its complete headers (default 10 000 ms); then it is cancelled. */
  headersTimeoutMs?: number;
  /** Concurrent requests per connection: the peer's bidirectional stream limit (default 100). */
  maxConcurrentRequests?: number;
  /** Connections at once, handshakes included (default 1000). */
  maxConnections?: number;
  /** QUIC versions, most preferred first (default `[QUIC_V1]`; see `TransportOptions.versions`). */
  versions?: number[];
  /** Which socket moves the datagrams: see `io` of `listen()` (default: COQUIC_IO, else automatic). */
  io?: IoMode;
  /**
   * Accept WebTransport sessions (`true` or limits): the server offers extended CONNECT, HTTP
   * datagrams and WebTransport in its SETTINGS, and handlers accept sessions with
   * `upgradeWebTransport(request)` (default off).
   */
  webTransport?: boolean | WebTransportServeOptions;
}

/** A running HTTP/3 server. */
export interface H3Server {
  /** The bound address (the port resolved when 0 was asked). */
  readonly addr: { hostname: string; port: number };
  /** The certificate the server presents (PEM), e.g. to trust it in a client. */
  readonly certificatePem: string;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void>;
  /** Sends GOAWAY, waits for in-flight requests (bounded by `timeoutMs`, default 5000), then closes. */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Closes at once: every connection gets CONNECTION_CLOSE with H3_NO_ERROR (requests in flight
   * are cut off), then the socket is released. Use {@link H3Server.shutdown} to drain first.
   */
  close(): Promise<void>;
  /** `await using server = await serve(…)`: a graceful {@link H3Server.shutdown} at scope exit. */
  [Symbol.asyncDispose](): Promise<void>;
}

const ALLOWED = [":method", ":scheme", ":authority", ":path", ":protocol"] as const;

/**
 * Serves HTTP/3 (default 127.0.0.1, port 0: a free port, see `server.addr`).
 *
 * @example
 * ```ts
 * const server = await serve({ port: 0 }, (req) => new Response(`hello ${new URL(req.url).pathname}`));
 * console.log(server.addr.port);
 * ```
 */
export async function serve(options: ServeOptions, handler: Handler): Promise<H3Server> {
  checkServeArguments(options, handler);
  const wtOptions = options.webTransport ? webTransportOptions(options.webTransport) : undefined;
  const listener: QuicListener = await listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    alpn: "h3",
    cert: options.cert,
    key: options.key,
    maxStreams: options.maxConcurrentRequests ?? 100,
    maxConnections: options.maxConnections ?? 1000,
    retry: options.retry ?? false,
    versions: options.versions,
    earlyData: options.earlyData ?? false,
    io: options.io,
  });
  const connections = new Set<
    { conn: QuicConnection; h3: H3Connection; inflight: Set<Promise<void>>; highest: number }
  >();
  let shuttingDown = false;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const onError = options.onError ??
    ((e, req) => console.error(`http3: handler error for ${req.method} ${req.url}:`, e));

  (async () => {
    for await (const conn of listener) {
      const h3 = new H3Connection(conn, true, options);
      const wt = wtOptions ? enableWebTransport(h3, wtOptions) : undefined;
      const entry = { conn, h3, inflight: new Set<Promise<void>>(), highest: -4 };
      connections.add(entry);
      const activity = { inFlight: () => entry.inflight.size, streamsOpened: () => entry.highest };
      // one reaction on the long-lived `closed` per connection, not one per request (each
      // would be kept until the connection ends: memory growing with every request served)
      const requestAborts = new Set<AbortController>();
      void conn.closed.then(() => {
        connections.delete(entry);
        for (const a of requestAborts) a.abort(new Error("connection closed"));
      });
      (async () => {
        try {
          await h3.start();
        } catch {
          return;
        }
        for await (const stream of conn) {
          if (!stream.bidirectional) { // the peer's unidirectional streams: control, QPACK
            void h3.acceptUniStream(stream).catch(() => {});
            continue;
          }
          if (shuttingDown) { // after GOAWAY: refuse new requests
            stream.reset(BigInt(H3ErrorCode.H3_REQUEST_REJECTED));
            stream.stopSending(BigInt(H3ErrorCode.H3_REQUEST_REJECTED));
            continue;
          }
          entry.highest = Math.max(entry.highest, Number(stream.id));
          const task = (async () => {
            // With WebTransport, a bidirectional stream may be a session's rather than a request.
            const first = wt ? await wt.claimBidi(stream, headersTimeoutMs) : undefined;
            if (first !== null) {
              await handleRequest(
                { h3, conn, handler, onError, headersTimeoutMs, activity },
                stream,
                requestAborts,
                first,
              );
            }
          })().catch(() => {});
          entry.inflight.add(task);
          void task.then(() => entry.inflight.delete(task));
        }
      })();
    }
  })();

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      shuttingDown = true;
      await listener.close({ code: H3ErrorCode.H3_NO_ERROR, reason: "server closed", timeoutMs: 1000 });
      resolveFinished();
    })();
  const shutdown = async (opts: { timeoutMs?: number } = {}) => {
    if (shuttingDown) return finished;
    shuttingDown = true;
    for (const c of connections) {
      await c.h3.goaway(c.highest + 4);
      linkOf(c.h3)?.drainAll(); // WebTransport sessions are told to wind down too
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...connections].map((c) => Promise.all(c.inflight))),
      new Promise((r) => (timer = setTimeout(r, opts.timeoutMs ?? 5000))),
    ]);
    clearTimeout(timer);
    await listener.close({ code: H3ErrorCode.H3_NO_ERROR, reason: "shutdown", timeoutMs: 1000 });
    resolveFinished();
  };
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  return {
    addr: listener.addr,
    certificatePem: listener.certificatePem,
    finished,
    shutdown,
    close,
    [Symbol.asyncDispose]: () => shutdown(),
  };
}

/** The request's headers, or undefined once the stream ended or `ms` passed without them (then it is cancelled). */
async function headersWithin(reader: MessageReader, stream: QuicStream, ms: number) {
  const EXPIRED = Symbol("expired");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof EXPIRED>((resolve) => (timer = setTimeout(() => resolve(EXPIRED), ms)));
  try {
    const fields = await Promise.race([reader.headers(), expired]);
    if (fields !== EXPIRED) return fields;
    reader.abandon();
    stream.reset(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
    stream.stopSending(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** What every request of one connection is served with. */
interface ConnectionContext {
  h3: H3Connection;
  conn: QuicConnection;
  handler: Handler;
  onError: (error: unknown, request: Request) => void;
  headersTimeoutMs: number;
  /** The connection's other traffic (a WebTransport session closed by us closes a connection left without any). */
  activity: ConnectionActivity;
}

/** Serves one request stream; its AbortController is in `requestAborts` while it runs. */
async function handleRequest(
  ctx: ConnectionContext,
  stream: QuicStream,
  requestAborts: Set<AbortController>,
  first?: Uint8Array,
): Promise<void> {
  const abort = new AbortController();
  requestAborts.add(abort);
  try {
    await serveRequest(ctx, stream, abort, first);
  } finally {
    requestAborts.delete(abort);
  }
}

async function serveRequest(
  ctx: ConnectionContext,
  stream: QuicStream,
  abort: AbortController,
  first?: Uint8Array,
): Promise<void> {
  const { h3, conn, handler, onError, headersTimeoutMs } = ctx;
  const reader = new MessageReader(h3, stream, first);
  let request: Request;
  try {
    const fields = await headersWithin(reader, stream, headersTimeoutMs);
    if (!fields) return;
    const { pseudo, headers } = splitFields(fields, ALLOWED);
    const method = pseudo.get(":method");
    const scheme = pseudo.get(":scheme");
    const path = pseudo.get(":path");
    const authority = pseudo.get(":authority") ?? headers.get("host") ?? undefined;
    if (!method) throw messageError("missing :method");
    const wt = linkOf(h3);
    if (method === "CONNECT" && wt && pseudo.get(":protocol") === "webtransport" && scheme && path && authority) {
      const info = { remoteAddr: conn.remoteAddress };
      const url = `${scheme}://${authority}${path}`;
      const serveSession = (r: Request) => handler(r, info);
      return await serveWebTransportConnect(
        wt,
        conn,
        stream,
        reader,
        url,
        headers,
        serveSession,
        onError,
        ctx.activity,
      );
    }
    if (method === "CONNECT") throw new H3Error(H3ErrorCode.H3_REQUEST_REJECTED, "CONNECT is not supported", false);
    if (!scheme || !path) throw messageError("missing :scheme or :path");
    if (!authority) throw messageError("missing :authority and host");
    if (scheme !== "https" && scheme !== "http") throw messageError(`unsupported :scheme ${scheme}`);
    const hasBody = method !== "GET" && method !== "HEAD";
    if (hasBody) reader.expectContentLength(headers);
    request = new Request(`${scheme}://${authority}${path}`, {
      method,
      headers,
      body: hasBody ? reader.body() : undefined,
      // @ts-ignore: duplex is required by fetch implementations for streaming bodies
      duplex: "half",
      signal: abort.signal,
    });
    if (!hasBody) reader.noBody();
    const trailersPromise = reader.finished.then(() => trailerHeaders(reader.trailers));
    trailersPromise.catch(() => {}); // observed only by handlers that ask for trailers
    setRequestTrailers(request, trailersPromise);
  } catch (e) {
    if (e instanceof FieldSectionTooLargeError) {
      reader.abandon();
      stream.stopSending(BigInt(H3ErrorCode.H3_NO_ERROR)); // the rest of the request is not read
      await h3.writeHeaders(stream, [[":status", "431"]], true).catch(() => {});
      return;
    }
    const code = e instanceof H3Error ? e.code : H3ErrorCode.H3_MESSAGE_ERROR;
    if (e instanceof H3Error && e.isConnectionError) h3.fail(e);
    stream.reset(BigInt(code));
    stream.stopSending(BigInt(code));
    return;
  }
  let response: Response;
  try {
    response = await handler(request, { remoteAddr: conn.remoteAddress });
    if (!(response instanceof Response)) throw new TypeError("the handler did not return a Response");
  } catch (e) {
    onError(e, request);
    response = new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain" } });
  }
  const fields: [string, string][] = [[":status", String(response.status)], ...headerFields(response.headers)];
  const noBody = request.method === "HEAD" || response.status === 204 || response.status === 304;
  const t = trailersOfResponse(response);
  try {
    if (noBody || (!response.body && !t)) await h3.writeHeaders(stream, fields, true);
    else {
      await h3.writeHeaders(stream, fields);
      await writeBody(h3, stream, response.body, t?.then((init) => new Headers(init).entries()));
    }
  } catch {
    stream.reset(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
  }
}
