/**
 * `fetch(input, init)` over HTTP/3: a standard `Response` with a streaming body,
 * connections reused per origin, `AbortSignal`, and certificate verification on by default
 * (`ca` and `insecure` as in the QUIC API).
 *
 * @module
 */
import { connect, type IoMode } from "../mod.ts";
import { H3Connection, type H3Options, MessageReader, writeBody } from "./connection.ts";
import { H3ErrorCode } from "./errors.ts";
import { headerFields, messageError, setResponseTrailers, splitFields, trailerHeaders } from "./message.ts";

/** fetch's init plus TLS options. */
export interface H3RequestInit extends RequestInit {
  /** Extra trusted CA certificates (PEM). */
  ca?: string | string[];
  /** Skip certificate verification (tests against throwaway servers only). */
  insecure?: boolean;
  /** Which socket moves the datagrams: see `io` of `connect()` (default: COQUIC_IO, else automatic). */
  io?: IoMode;
}

const pool = new Map<string, Promise<H3Connection>>();

async function connection(url: URL, init: H3RequestInit, signal?: AbortSignal): Promise<H3Connection> {
  const port = Number(url.port || 443);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const key = `${hostname}|${port}|${init.insecure === true}|${JSON.stringify(init.ca ?? null)}|${init.io ?? ""}`;
  const existing = pool.get(key);
  if (existing) {
    const h3 = await existing.catch(() => undefined);
    if (h3 && !h3.quic.observe().closed && h3.goawayId === undefined) return h3;
    pool.delete(key);
  }
  const created = (async () => {
    const quic = await connect({ hostname, port }, {
      alpn: "h3",
      ca: init.ca,
      insecure: init.insecure,
      serverName: hostname,
      io: init.io,
      signal,
    });
    const h3 = new H3Connection(quic, false, {} as H3Options);
    await h3.start();
    (async () => {
      for await (const s of quic) if (!s.bidirectional) void h3.acceptUniStream(s).catch(() => {});
    })();
    void quic.closed.then(() => pool.get(key) === created && pool.delete(key));
    return h3;
  })();
  pool.set(key, created);
  created.catch(() => pool.get(key) === created && pool.delete(key));
  return await created;
}

/** Closes every pooled HTTP/3 connection (tests and shutdown). */
export async function closeAll(): Promise<void> {
  const all = [...pool.values()];
  pool.clear();
  for (const p of all) {
    const h3 = await p.catch(() => undefined);
    await h3?.quic.close({ code: H3ErrorCode.H3_NO_ERROR, reason: "closed" });
  }
}

/**
 * Fetches over HTTP/3.
 *
 * @example
 * ```ts
 * declare const certPem: string;
 * const res = await fetch("https://localhost:4433/", { ca: certPem });
 * console.log(res.status, await res.text());
 * ```
 */
export async function fetch(input: string | URL | Request, init: H3RequestInit = {}): Promise<Response> {
  const request = input instanceof Request && Object.keys(init).length === 0 ? input : new Request(input, init);
  const url = new URL(request.url);
  if (url.protocol !== "https:") throw new TypeError(`http3.fetch needs an https URL, got ${url.protocol}`);
  const signal = init.signal ?? request.signal;
  signal?.throwIfAborted();
  const h3 = await connection(url, init, signal ?? undefined);
  const stream = h3.quic.openStream();
  const abort = () => {
    stream.reset(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
    stream.stopSending(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
  };
  signal?.addEventListener("abort", abort, { once: true });
  const fields: [string, string][] = [
    [":method", request.method],
    [":scheme", "https"],
    [":authority", url.host],
    [":path", `${url.pathname}${url.search}`],
    ...headerFields(request.headers),
  ];
  const sending = (async () => {
    if (!request.body) return await h3.writeHeaders(stream, fields, true);
    await h3.writeHeaders(stream, fields);
    await writeBody(h3, stream, request.body);
  })();
  sending.catch(() => {});
  // A request that cannot be sent (e.g. headers over the peer's limit) fails the fetch.
  const sendFailed = sending.then(() => new Promise<never>(() => {}));
  sendFailed.catch(() => {});
  const reader = new MessageReader(h3, stream, "request");
  try {
    for (;;) {
      const block = await Promise.race([
        reader.headers(),
        sendFailed,
        new Promise<never>((_, reject) =>
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true })
        ),
      ]);
      if (!block) throw messageError("the response ended without headers");
      const { pseudo, headers } = splitFields(block, [":status"]);
      const status = Number(pseudo.get(":status"));
      if (!Number.isInteger(status) || status < 100 || status > 599) throw messageError("bad :status");
      if (status < 200) continue; // interim response
      const noBody = request.method === "HEAD" || status === 204 || status === 304;
      if (!noBody) reader.expectContentLength(headers);
      const body = noBody ? null : reader.body();
      if (noBody) reader.noBody();
      const response = new Response(body, { status, headers });
      const trailersPromise = reader.finished.then(() => trailerHeaders(reader.trailers));
      trailersPromise.catch(() => {}); // observed only by those who ask for trailers
      setResponseTrailers(response, trailersPromise);
      void reader.finished.then(() => signal?.removeEventListener("abort", abort), () => {});
      return response;
    }
  } catch (e) {
    signal?.removeEventListener("abort", abort);
    if (!signal?.aborted) abort();
    throw e;
  }
}
