/**
 * Helpers of the WebTransport tests: a serve() with WebTransport whose sessions go to a
 * per-test function, and small stream utilities.
 *
 * @module
 */
import { serve } from "../http3/mod.ts";
import type { H3Server } from "../http3/mod.ts";
import { isWebTransportRequest, upgradeWebTransport, type WebTransportSession } from "../http3/webtransport/mod.ts";
import { testCert } from "./_cert.ts";
import { connect, type IoMode } from "../mod.ts";
import { H3Connection, MessageReader } from "../http3/connection.ts";
import { WebTransportLink } from "../http3/webtransport/link.ts";

/** A server that hands every session to `onSession` (accepting it unless `status` says otherwise). */
export async function wtServer(
  onSession: (
    wt: WebTransportSession,
    req: Request,
    info: { remoteAddr: { hostname: string; port: number } },
  ) => void | Promise<void>,
  options: {
    maxSessions?: number;
    status?: (req: Request) => number;
    page?: string;
    /** Answers the ordinary requests (default: `page`). */
    http?: (req: Request) => Response | Promise<Response>;
    cert?: { certPem: string; keyPem: string };
    /** The server's socket (default: COQUIC_IO, else automatic). */
    io?: IoMode;
  } = {},
): Promise<H3Server & { url: string; certPem: string }> {
  const { certPem, keyPem } = options.cert ?? await testCert();
  const server = await serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: certPem,
    key: keyPem,
    webTransport: { maxSessions: options.maxSessions ?? 16 },
    maxConcurrentRequests: 300,
    io: options.io,
  }, (req, info) => {
    if (!isWebTransportRequest(req)) {
      if (options.http) return options.http(req);
      return new Response(options.page ?? "not a session", { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    const wt = upgradeWebTransport(req);
    void wt.ready.then(() => onSession(wt, req, info)).catch(() => {});
    return new Response(null, { status: options.status?.(req) ?? 200 });
  });
  return Object.assign(server, { url: `https://127.0.0.1:${server.addr.port}`, certPem });
}

/** Reads a stream to its end. */
export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const c of readable) {
    parts.push(c);
    total += c.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes `bytes` (in chunks of at most `chunk`) and closes the writable. */
export async function writeAll(
  writable: WritableStream<Uint8Array>,
  bytes: Uint8Array,
  chunk = 64 << 10,
): Promise<void> {
  const w = writable.getWriter();
  for (let at = 0; at < bytes.length; at += chunk) await w.write(bytes.subarray(at, at + chunk));
  await w.close();
}

/** Echoes every bidirectional stream and datagram of a session. */
export function echo(wt: WebTransportSession): void {
  void (async () => {
    for await (const bs of wt.incomingBidirectionalStreams) void bs.readable.pipeTo(bs.writable).catch(() => {});
  })().catch(() => {});
  void wt.datagrams.readable.pipeTo(wt.datagrams.writable).catch(() => {});
}

/** A hand-driven HTTP/3 client that can break the rules our WebTransport client keeps. */
export async function rawClient(
  server: { addr: { port: number }; certPem: string },
  webTransport = true,
  io?: IoMode,
) {
  const quic = await connect({ hostname: "127.0.0.1", port: server.addr.port }, {
    alpn: "h3",
    ca: server.certPem,
    io,
  });
  const h3 = new H3Connection(quic, false);
  const link = webTransport ? new WebTransportLink(h3, 16) : undefined;
  if (!link) h3.extraSettings = { h3Datagram: false };
  await h3.start();
  void (async () => {
    for await (const s of quic) if (!s.bidirectional) void h3.acceptUniStream(s).catch(() => {});
  })();
  await h3.settings();
  const open = async (path: string) => {
    const stream = quic.openStream();
    await h3.writeHeaders(stream, [
      [":method", "CONNECT"],
      [":protocol", "webtransport"],
      [":scheme", "https"],
      [":authority", `127.0.0.1:${server.addr.port}`],
      [":path", path],
    ]);
    const reader = new MessageReader(h3, stream);
    const fields = await reader.headers();
    const status = Number(fields?.find((f) => f.name === ":status")?.value);
    return { stream, status, reader };
  };
  return { quic, h3, link, open };
}
