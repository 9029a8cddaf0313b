/**
 * The server side: a WebTransport session is an extended CONNECT (RFC 9220) with
 * `:protocol = webtransport`. `serve()` hands it to the handler as a `Request` (method
 * "CONNECT"); the handler calls {@link upgradeWebTransport} and answers 2xx to accept (the
 * session is ready once that response is sent) or anything else to refuse.
 *
 * @module
 */
import type { QuicConnection, QuicStream } from "../../quic/mod.ts";
import type { H3Connection, MessageReader } from "../connection.ts";
import { H3ErrorCode } from "../errors.ts";
import { headerFields } from "../message.ts";
import { WebTransportLink } from "./link.ts";
import { missingWebTransportSupport, WebTransportError } from "./protocol.ts";
import { LONE_CLOSE_DELAY_MS, WebTransportSession } from "./session.ts";

/** The `webTransport` option of `serve()`. */
export interface WebTransportServeOptions {
  /** Sessions one connection may hold at once (default 16); more are refused with 429. */
  maxSessions?: number;
  /** Streams naming a session not yet known that one connection may hold (default 32); more are refused. */
  maxBufferedStreams?: number;
}

interface Pending {
  session?: WebTransportSession;
}

const pendingOf = new WeakMap<Request, Pending>();

/**
 * Whether `request` opens a WebTransport session (an extended CONNECT with
 * `:protocol = webtransport`).
 *
 * @example
 * ```ts
 * import { isWebTransportRequest } from "./server.ts";
 * isWebTransportRequest(new Request("https://localhost/")); // false
 * ```
 */
export function isWebTransportRequest(request: Request): boolean {
  return pendingOf.has(request);
}

/**
 * Accepts the WebTransport session `request` opens, in a `serve()` handler (the server needs
 * the `webTransport` option). Return a 2xx response to establish it (`ready` resolves once it
 * is sent); any other status refuses it (`ready` rejects). Throws a TypeError for a request
 * that opens no session.
 *
 * @example
 * ```ts
 * import { serve } from "../server.ts";
 * import { upgradeWebTransport } from "./server.ts";
 * await serve({ port: 0, webTransport: {} }, (req) => {
 *   const wt = upgradeWebTransport(req);
 *   void wt.ready.then(() => wt.close({ closeCode: 0, reason: "bye" }));
 *   return new Response(null, { status: 200 });
 * });
 * ```
 */
export function upgradeWebTransport(request: Request): WebTransportSession {
  const pending = pendingOf.get(request);
  if (!pending) throw new TypeError("not a WebTransport request (an extended CONNECT with :protocol webtransport)");
  return pending.session ??= new WebTransportSession();
}

/** The `webTransport` option checked (a TypeError/RangeError for `serve()` to throw at once), with its defaults. */
export function webTransportOptions(option: boolean | WebTransportServeOptions): Required<WebTransportServeOptions> {
  const o = option === true ? {} : option;
  if (typeof o !== "object" || o === null) throw new TypeError("webTransport must be true or an options object");
  const count = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1 || value > 1 << 20) {
      throw new RangeError(`webTransport.${name} must be an integer in 1..${1 << 20}, got ${value}`);
    }
    return value;
  };
  return {
    maxSessions: count("maxSessions", o.maxSessions, 16),
    maxBufferedStreams: count("maxBufferedStreams", o.maxBufferedStreams, 32),
  };
}

/** Adds WebTransport to a server connection (before `h3.start()`). */
export function enableWebTransport(h3: H3Connection, options: Required<WebTransportServeOptions>): WebTransportLink {
  return new WebTransportLink(h3, options.maxSessions, options.maxBufferedStreams);
}

/** What `serve()` knows of a connection's other traffic. */
export interface ConnectionActivity {
  /** Requests being served (and peer streams not yet told apart from session streams). */
  inFlight(): number;
  /** A count that grows whenever the peer opens a request stream. */
  streamsOpened(): number;
}

/**
 * After we close `session`, closes `conn` too if it is then left with nothing: no other session
 * (or one being decided) and no request in flight or begun since. Deno 2.9's WebTransport
 * client resolves `closed` only when the QUIC connection closes, never on the close capsule, so
 * without this it would not see our close until the idle timeout. A connection carrying
 * anything else stays open.
 */
function closeWhenLeftAlone(
  link: WebTransportLink,
  conn: QuicConnection,
  session: WebTransportSession,
  activity: ConnectionActivity,
): void {
  const opened = activity.streamsOpened();
  setTimeout(() => {
    if (link.sessionCount > 0 || activity.inFlight() > 0 || activity.streamsOpened() !== opened) return;
    if (conn.observe().closed) return;
    session._closeConnectionWithSession(conn);
  }, LONE_CLOSE_DELAY_MS);
}

/**
 * Serves one WebTransport CONNECT: refuses it when the client's SETTINGS lack WebTransport or
 * too many sessions are open, else runs the handler and establishes or refuses the session by
 * its response. The CONNECT stream then belongs to the session.
 */
export async function serveWebTransportConnect(
  link: WebTransportLink,
  conn: QuicConnection,
  stream: QuicStream,
  reader: MessageReader,
  url: string,
  headers: Headers,
  handler: (request: Request) => Response | Promise<Response>,
  onError: (error: unknown, request: Request) => void,
  activity: ConnectionActivity,
): Promise<void> {
  const h3 = link.h3;
  const id = Number(stream.id);
  const respond = (status: number, extra: [string, string][] = []) =>
    h3.writeHeaders(stream, [[":status", String(status)], ...extra], true).catch(() => {});
  // The client's SETTINGS say whether it speaks WebTransport; it sends them first, so a short wait suffices.
  let expire!: () => void;
  const expired = new Promise<undefined>((r) => (expire = () => r(undefined)));
  const timer = setTimeout(expire, 2000);
  const settings = await Promise.race([h3.settings(), expired]);
  clearTimeout(timer);
  const lacks = settings ? missingWebTransportSupport(settings, false) : "SETTINGS";
  if (lacks) return await respond(400);
  if (link.sessionCount >= link.maxSessions) return await respond(429);
  link.expect(id);
  const request = new Request(url, { method: "GET", headers });
  Object.defineProperty(request, "method", { value: "CONNECT" }); // fetch's Request refuses to be made with CONNECT
  const pending: Pending = {};
  pendingOf.set(request, pending);
  let response: Response;
  try {
    response = await handler(request);
    if (!(response instanceof Response)) throw new TypeError("the handler did not return a Response");
  } catch (e) {
    onError(e, request);
    response = new Response(null, { status: 500 });
  }
  const session = pending.session;
  const accepted = response.status >= 200 && response.status < 300 && session !== undefined;
  if (!accepted) {
    link.remove(id);
    session?._fail(new WebTransportError(`the session was refused (status ${response.status})`, { source: "session" }));
    await response.body?.cancel().catch(() => {});
    return await respond(accepted || response.status < 300 ? 404 : response.status, headerFields(response.headers));
  }
  await response.body?.cancel().catch(() => {});
  const fields: [string, string][] = [[":status", String(response.status)], ...headerFields(response.headers)];
  if (headers.get("sec-webtransport-http3-draft02") === "1" && !response.headers.has("sec-webtransport-http3-draft")) {
    fields.push(["sec-webtransport-http3-draft", "draft02"]); // Chromium checks draft-02's answer
  }
  try {
    await h3.writeHeaders(stream, fields);
  } catch (e) {
    link.remove(id);
    session._fail(
      new WebTransportError(`the session's response failed: ${(e as Error)?.message}`, { source: "session" }),
    );
    stream.reset(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
    return;
  }
  void conn.closed.then((close) => session._connectionClosed(close));
  session._ended = (by) => by === "local" && closeWhenLeftAlone(link, conn, session, activity);
  session._attach(link, stream, reader);
}
