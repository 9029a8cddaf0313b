/**
 * `fetch(input, init)` over HTTP/3: a standard `Response` with a streaming body,
 * connections reused per origin, `AbortSignal`, and certificate verification on by default
 * (`ca` and `insecure` as in the QUIC API).
 *
 * @module
 */
import { connect, type IoMode, type Lookup, QuicError, type QuicStream } from "../quic/mod.ts";
import { H3Connection, type H3Options, MessageReader, writeBody } from "./connection.ts";
import { H3ErrorCode } from "./errors.ts";
import { headerFields, messageError, setResponseTrailers, splitFields, trailerHeaders } from "./message.ts";

/** fetch's init plus TLS options. */
export interface H3RequestInit extends RequestInit {
  /** Extra trusted CA certificates (PEM). */
  ca?: string | string[];
  /** Skip certificate verification (tests against throwaway servers only). */
  insecure?: boolean;
  /** Resolves the URL's host name (default: the runtime's DNS and `/etc/hosts`, as in `connect()`). */
  lookup?: Lookup;
  /** QUIC versions, most preferred first (default `[QUIC_V1]`; see `TransportOptions.versions`). */
  versions?: number[];
  /** Which socket moves the datagrams: see `io` of `connect()` (default: COQUIC_IO, else automatic). */
  io?: IoMode;
}

/** A pool-key id per injected resolver: connections made through different resolvers are not shared. */
const lookupIds = new WeakMap<Lookup, number>();
let lastLookupId = 0;
function lookupId(lookup: Lookup | undefined): number {
  if (!lookup) return 0;
  let id = lookupIds.get(lookup);
  if (id === undefined) lookupIds.set(lookup, id = ++lastLookupId);
  return id;
}

const pool = new Map<string, Promise<H3Connection>>();
/**
 * The last session ticket per origin (and trust settings), for the next connection to
 * resume. Each is used once: a reused ticket would link connections, and a server's
 * anti-replay check refuses its early data anyway.
 */
const tickets = new Map<string, Uint8Array>();

/** GET and HEAD may go out as 0-RTT early data (RFC 8470 §2.1: safe to replay). */
function idempotent(method: string): boolean {
  return method === "GET" || method === "HEAD";
}

async function connection(
  url: URL,
  init: H3RequestInit,
  signal: AbortSignal | undefined,
  early: boolean,
): Promise<H3Connection> {
  const port = Number(url.port || 443);
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const key = `${hostname}|${port}|${init.insecure === true}|${
    JSON.stringify([init.ca ?? null, init.versions ?? null])
  }|${lookupId(init.lookup)}|${init.io ?? ""}`;
  const existing = pool.get(key);
  if (existing) {
    const h3 = await existing.catch(() => undefined);
    if (h3 && !h3.quic.observe().closed && h3.goawayId === undefined) return h3;
    pool.delete(key);
  }
  const created = (async () => {
    const session = tickets.get(key);
    tickets.delete(key);
    const quic = await connect({ hostname, port }, {
      alpn: "h3",
      ca: init.ca,
      insecure: init.insecure,
      lookup: init.lookup,
      versions: init.versions,
      serverName: hostname,
      io: init.io,
      signal,
      session,
      earlyData: session !== undefined && early,
    });
    void quic.sessionAvailable.then((s) => s && tickets.set(key, s));
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

/** The signal's reason, as fetch implementations reject with it (an `AbortError` DOMException by default). */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

/**
 * Fetches over HTTP/3. Aborting `signal` cancels the request at any point (connecting,
 * waiting for the response, reading its body): the fetch or the body read rejects at once
 * with the signal's reason (an `AbortError` DOMException, or a `TimeoutError` for
 * `AbortSignal.timeout()`), and the stream is reset with H3_REQUEST_CANCELLED. Once the
 * response has been read to its end, the signal is let go (a pending `AbortSignal.timeout()`
 * does not keep the process alive).
 *
 * @example
 * ```ts
 * declare const certPem: string;
 * const res = await fetch("https://localhost:4433/", { ca: certPem });
 * console.log(res.status, await res.text());
 * ```
 */
export async function fetch(input: string | URL | Request, init: H3RequestInit = {}): Promise<Response> {
  let request: Request, url: URL;
  try { // the runtime's TypeError for a bad URL, method or header, as a QuicError with it as cause
    request = input instanceof Request && Object.keys(init).length === 0 ? input : new Request(input, init);
    url = new URL(request.url);
  } catch (e) {
    throw new QuicError("invalid_argument", `fetch: ${(e as Error)?.message ?? e}`, undefined, { cause: e });
  }
  if (url.protocol !== "https:") {
    throw new QuicError("invalid_argument", `fetch needs an https URL, got ${url.protocol}`);
  }
  // a token (RFC 9110 §9.1): Deno's Request checks it, Bun's does not
  const method = init.method ?? request.method; // Bun's Request turns a bad method into GET
  if (typeof method !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) {
    throw new QuicError("invalid_argument", `fetch: method ${JSON.stringify(method)} is not a token`);
  }
  const signal = init.signal ?? request.signal ?? undefined;
  if (signal?.aborted) throw abortReason(signal);
  let h3: H3Connection, stream: QuicStream;
  try {
    const early = idempotent(request.method);
    h3 = await connection(url, init, signal, early);
    // A connection still in its 0-RTT phase carries only requests that are safe to replay.
    if (!early && h3.quic.earlyData === "attempted") await h3.quic.ready;
    // Beyond the server's concurrent-request limit the request waits for stream credit here.
    stream = await h3.quic.createStream({ signal });
  } catch (e) {
    if (signal?.aborted) throw abortReason(signal);
    throw e;
  }
  const reader = new MessageReader(h3, stream);
  // One abort listener for the whole exchange, removed when it ends either way.
  let rejectAborted!: (reason: unknown) => void;
  const aborted = new Promise<never>((_, reject) => (rejectAborted = reject));
  aborted.catch(() => {});
  const cancel = () => {
    stream.reset(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
    stream.stopSending(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
  };
  const onAbort = () => {
    const reason = abortReason(signal!);
    cancel();
    reader.abort(reason);
    rejectAborted(reason);
  };
  const release = () => signal?.removeEventListener("abort", onAbort);
  signal?.addEventListener("abort", onAbort, { once: true });
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
  try {
    for (;;) {
      const block = await Promise.race([reader.headers(), sendFailed, aborted]);
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
      void reader.finished.then(release, release);
      return response;
    }
  } catch (e) {
    release();
    if (signal?.aborted) throw abortReason(signal);
    cancel();
    throw e;
  }
}
