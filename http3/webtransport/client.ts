/**
 * The client: `new WebTransport(url, options)` with the W3C interface, over our HTTP/3 on
 * Deno, Bun and Node. Each session has its own QUIC connection unless `allowPooling` lets
 * sessions to one origin (with the same TLS options) share one.
 *
 * @module
 */
import { connect, type IoMode, QuicError, type QuicStream } from "../../quic/mod.ts";
import { H3Connection, MessageReader } from "../connection.ts";
import { H3ErrorCode } from "../errors.ts";
import { splitFields } from "../message.ts";
import { checkHashList, verifyPinnedConnection, type WebTransportHash } from "./cert_hashes.ts";
import { refuse, WebTransportLink } from "./link.ts";
import { missingWebTransportSupport, peerMaxSessions, WebTransportError } from "./protocol.ts";
import { LONE_CLOSE_DELAY_MS, WebTransportSession } from "./session.ts";

/** Options of {@link WebTransport}: the W3C ones we support, plus our TLS options. */
export interface WebTransportOptions {
  /** Share a QUIC connection with other pooling sessions to the same origin (default false). */
  allowPooling?: boolean;
  /**
   * Trust the server by certificate hash instead of a CA (W3C): the SHA-256 of its leaf
   * certificate must equal one of these ("sha-256" hashes; others are ignored), and the
   * certificate must be X.509 v3, valid now, valid at most 14 days in all and have an ECDSA or
   * EdDSA key. When non-empty, verification is by hash alone (`ca` is not consulted and
   * `insecure` does not skip it); it fails `ready` with a WebTransportError whose cause is a
   * QuicError `handshake_failed`, or `unsupported` with a libcoquic that does not expose the
   * peer's certificate (`coquic_x_connection_peer_certificate`). Not with `allowPooling`
   * (NotSupportedError, as in the W3C constructor).
   */
  serverCertificateHashes?: WebTransportHash[];
  /** Extra trusted CA certificates (PEM). */
  ca?: string | string[];
  /** Skip certificate verification (tests against throwaway servers only). */
  insecure?: boolean;
  /** Which socket moves the datagrams: see `io` of `connect()` (default: COQUIC_IO, else automatic). */
  io?: IoMode;
  /** QUIC versions, most preferred first (see `TransportOptions.versions`). */
  versions?: number[];
  /** Time to connect and get the server's answer, in ms (default 10 000). */
  timeoutMs?: number;
}

export type { WebTransportHash } from "./cert_hashes.ts";

const pool = new Map<string, Promise<WebTransportLink>>();

/** Sessions a client connection accepts from its server's side at once (we initiate them; this is for the setting). */
const CLIENT_MAX_SESSIONS = 100;

async function openLink(url: URL, options: WebTransportOptions, signal: AbortSignal): Promise<WebTransportLink> {
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const pinned = checkHashList(options.serverCertificateHashes);
  // Pinned by hash: no CA verification in the handshake (the certificate is self-signed);
  // the hash check below runs before anything is sent on the connection.
  const quic = await connect({ hostname, port: Number(url.port || 443) }, {
    alpn: "h3",
    ca: pinned ? undefined : options.ca,
    insecure: pinned ? true : options.insecure,
    versions: options.versions,
    serverName: hostname,
    io: options.io,
    signal,
  });
  if (pinned) {
    try {
      await verifyPinnedConnection(quic, pinned);
    } catch (e) {
      await quic.close({ code: H3ErrorCode.H3_NO_ERROR, reason: "server certificate refused" }).catch(() => {});
      throw new WebTransportError(`the server's certificate was refused: ${(e as Error)?.message ?? e}`, {
        source: "session",
        cause: e,
      });
    }
  }
  const h3 = new H3Connection(quic, false);
  const link = new WebTransportLink(h3, CLIENT_MAX_SESSIONS);
  await h3.start();
  void (async () => {
    for await (const s of quic) {
      if (!s.bidirectional) void h3.acceptUniStream(s).catch(() => {});
      else {
        // a server opens bidirectional streams only for WebTransport sessions
        void link.claimBidi(s, 10_000).then((first) =>
          first !== null && refuse(s, H3ErrorCode.H3_STREAM_CREATION_ERROR)
        );
      }
    }
  })();
  return link;
}

function linkFor(url: URL, options: WebTransportOptions, signal: AbortSignal): Promise<WebTransportLink> {
  if (!options.allowPooling) return openLink(url, options, signal);
  const key = JSON.stringify([
    url.host,
    options.ca ?? null,
    options.insecure === true,
    options.versions ?? null,
    options.io ?? null,
  ]);
  const existing = pool.get(key);
  if (existing) return existing;
  const created = openLink(url, options, signal);
  pool.set(key, created);
  created.then((l) => l.h3.quic.closed.then(() => pool.get(key) === created && pool.delete(key)), () => {
    if (pool.get(key) === created) pool.delete(key);
  });
  return created;
}

/** Closes the pooled WebTransport connections (their sessions end). */
export async function closeWebTransportPool(): Promise<void> {
  const all = [...pool.values()];
  pool.clear();
  for (const p of all) {
    const link = await p.catch(() => undefined);
    await link?.h3.quic.close({ code: H3ErrorCode.H3_NO_ERROR, reason: "closed" });
  }
}

function sessionError(e: unknown): unknown {
  if (e instanceof WebTransportError) return e;
  const message = e instanceof QuicError ? e.message : String((e as Error)?.message ?? e);
  return new WebTransportError(`opening the session failed: ${message}`, { source: "session", cause: e });
}

/**
 * A WebTransport session to a server, as the W3C `WebTransport`.
 *
 * @example
 * ```ts
 * declare const certPem: string;
 * const wt = new WebTransport("https://localhost:4433/chat", { ca: certPem });
 * await wt.ready;
 * const writer = wt.datagrams.writable.getWriter();
 * await writer.write(new TextEncoder().encode("hi"));
 * wt.close({ closeCode: 0, reason: "bye" });
 * ```
 */
export class WebTransport extends WebTransportSession {
  /**
   * Starts opening a session to `url` (an https URL); see `ready`. Throws a SyntaxError for a
   * bad URL, a TypeError for malformed `serverCertificateHashes`, and a NotSupportedError
   * DOMException for `serverCertificateHashes` with `allowPooling`.
   */
  constructor(url: string | URL, options: WebTransportOptions = {}) {
    super();
    if (checkHashList(options.serverCertificateHashes) && options.allowPooling) {
      throw new DOMException("serverCertificateHashes cannot be used with allowPooling", "NotSupportedError");
    }
    let target: URL;
    try {
      target = new URL(url);
      if (target.protocol !== "https:") {
        throw new SyntaxError(`WebTransport needs an https URL, got ${target.protocol}`);
      }
    } catch (e) {
      throw e instanceof SyntaxError ? e : new SyntaxError(`invalid WebTransport URL: ${url}`);
    }
    void this.#open(target, options).catch((e) => this._fail(sessionError(e)));
  }

  async #open(url: URL, options: WebTransportOptions): Promise<void> {
    // A timer cleared once the session is up, not AbortSignal.timeout(): on Deno a pending
    // timeout signal keeps the process alive until it fires, long after the session ended.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException("the WebTransport session did not open in time", "TimeoutError")),
      options.timeoutMs ?? 10_000,
    );
    try {
      await this.#openWithin(url, options, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  async #openWithin(url: URL, options: WebTransportOptions, signal: AbortSignal): Promise<void> {
    const link = await linkFor(url, options, signal);
    const quic = link.h3.quic;
    if (!options.allowPooling) {
      // A dedicated connection ends with its session, after a moment for the close capsule to
      // leave, with the session's close code (what a peer like Deno's, which reads the session's
      // end from the connection's, needs).
      this._ended = () => void setTimeout(() => this._closeConnectionWithSession(quic), LONE_CLOSE_DELAY_MS);
    }
    void quic.closed.then((close) => this._connectionClosed(close));
    const settings = await Promise.race([
      link.h3.settings(),
      new Promise<never>((_, reject) =>
        signal.addEventListener(
          "abort",
          () => reject(new WebTransportError("no SETTINGS from the server", { source: "session" })),
          { once: true },
        )
      ),
    ]);
    const lacks = missingWebTransportSupport(settings, true);
    if (lacks) {
      throw new WebTransportError(`the server does not support WebTransport (no ${lacks})`, { source: "session" });
    }
    if (link.sessionCount >= peerMaxSessions(settings)) {
      throw new WebTransportError("the server's session limit for this connection is reached", { source: "session" });
    }
    const stream = quic.openStream();
    const id = Number(stream.id);
    link.expect(id);
    try {
      await this.#handshake(link, stream, url, signal);
    } catch (e) {
      link.remove(id);
      refuseQuietly(stream);
      throw e;
    }
  }

  async #handshake(link: WebTransportLink, stream: QuicStream, url: URL, signal: AbortSignal): Promise<void> {
    await link.h3.writeHeaders(stream, [
      [":method", "CONNECT"],
      [":protocol", "webtransport"],
      [":scheme", "https"],
      [":authority", url.host],
      [":path", `${url.pathname}${url.search}`],
      ["sec-webtransport-http3-draft02", "1"],
    ]);
    const reader = new MessageReader(link.h3, stream);
    const timeout = new Promise<never>((_, reject) =>
      signal.addEventListener(
        "abort",
        () => reject(new WebTransportError("the server did not answer", { source: "session" })),
        { once: true },
      )
    );
    timeout.catch(() => {});
    for (;;) {
      const block = await Promise.race([reader.headers(), timeout]);
      if (!block) {
        throw new WebTransportError("the server ended the CONNECT stream without answering", { source: "session" });
      }
      const status = Number(splitFields(block, [":status"]).pseudo.get(":status"));
      if (status >= 100 && status < 200) continue;
      if (status < 200 || status >= 300) {
        throw new WebTransportError(`the server refused the session (status ${status})`, { source: "session" });
      }
      this._attach(link, stream, reader);
      return;
    }
  }
}

function refuseQuietly(stream: QuicStream): void {
  try {
    stream.reset(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
    stream.stopSending(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
  } catch {
    // the connection is gone
  }
}
