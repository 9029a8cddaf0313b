/**
 * The `coquic-perf/1` client: opens sessions, drives the chosen mode, measures.
 *
 * @module
 */
import { connect, QuicClient, type QuicConnection, type QuicStream } from "../../mod.ts";
import type { PerfConfig } from "./cli.ts";
import { buildSummary, type RunSummary, type ServerCounters } from "./metrics.ts";
import { ControlStreamReader, encodeSessionStart, PERF_ALPN } from "./protocol.ts";
import { writePayload } from "./server.ts";
import { perfTransport } from "./transport.ts";

/** Live counters, for progress displays. */
export interface PerfProgress {
  phase: "connecting" | "warmup" | "measure" | "drain" | "done";
  bytesSent: number;
  bytesReceived: number;
  requestsCompleted: number;
  elapsedMs: number;
}

const NO_PROGRESS_MS = 5000;

class Failure extends Error {}

/** One connection's session. */
interface Session {
  conn: QuicConnection;
  ready: Promise<void>;
  complete: Promise<ServerCounters>;
  closeRequested: boolean;
}

/**
 * Runs a client to completion and returns its summary (status "failed" with a reason on errors).
 *
 * @example
 * ```ts
 * import { parsePerfArgs } from "./cli.ts";
 * import { runPerfClient } from "./client.ts";
 * const summary = await runPerfClient(parsePerfArgs(["client", "--mode", "rr", "--requests", "100"]));
 * console.log(summary.requests_per_s);
 * ```
 */
export async function runPerfClient(config: PerfConfig, onProgress?: (p: PerfProgress) => void): Promise<RunSummary> {
  const t0 = performance.now();
  const timed = config.mode === "bulk" ? config.totalBytes === undefined : config.requests === undefined;
  let phase: PerfProgress["phase"] = "connecting";
  let measureStart = 0, measureEnd = Infinity, drainEnd = Infinity;
  let bytesSent = 0, bytesReceived = 0, requests = 0;
  const latencies: number[] = [];
  const serverCounters: ServerCounters = { bytes_sent: 0, bytes_received: 0, requests_completed: 0 };
  let lastProgress = performance.now();
  const sessions: Session[] = [];
  let failure: string | undefined;
  const now = () => performance.now();
  const inWindow = () => !timed || (phase === "measure" && now() < measureEnd);
  const tick = () => (lastProgress = now());

  const startTiming = () => {
    if (phase !== "connecting") return;
    if (!timed) {
      phase = "measure";
      return;
    }
    phase = config.warmupUs > 0 ? "warmup" : "measure";
    const warmEnd = now() + config.warmupUs / 1000;
    measureStart = warmEnd;
    measureEnd = warmEnd + config.durationUs / 1000;
    drainEnd = measureEnd + Math.min(config.durationUs / 1000, 2000);
    if (phase === "warmup") {
      setTimeout(() => {
        phase = "measure";
        bytesSent = bytesReceived = requests = 0;
        latencies.length = 0;
      }, config.warmupUs / 1000);
    }
    setTimeout(() => (phase = "drain"), measureEnd - now());
  };

  const clientOptions = { alpn: PERF_ALPN, insecure: !config.verifyPeer, ...perfTransport(config, false) };
  const server = { hostname: config.host, port: config.port };

  /** Opens a session's connection: its own endpoint, or one of `client`'s (crr). */
  async function openSession(limit?: bigint, client?: QuicClient): Promise<Session> {
    const connectOptions = { serverName: config.serverName, signal: AbortSignal.timeout(10_000) };
    const conn = client
      ? await client.connect(server, connectOptions)
      : await connect(server, { ...clientOptions, ...connectOptions });
    const control = conn.openStream();
    await control.write(
      encodeSessionStart({
        mode: config.mode,
        direction: config.direction,
        requestBytes: BigInt(config.requestBytes),
        responseBytes: BigInt(config.responseBytes),
        totalBytes: config.totalBytes === undefined ? undefined : BigInt(config.totalBytes),
        requests: limit,
        warmupUs: BigInt(config.warmupUs),
        durationUs: BigInt(config.durationUs),
        streams: BigInt(config.streams),
        connections: BigInt(config.connections),
        requestsInFlight: BigInt(config.requestsInFlight),
      }),
      { fin: true },
    );
    let readyResolve!: () => void, readyReject!: (e: unknown) => void;
    const ready = new Promise<void>((a, b) => ((readyResolve = a), (readyReject = b)));
    ready.catch(() => {});
    const complete = (async () => {
      const reader = new ControlStreamReader();
      const r = control.readable!.getReader();
      for (;;) {
        const { value, done } = await r.read();
        if (done) break;
        for (const m of reader.push(value)) {
          if (m.type === "session_ready") {
            startTiming();
            readyResolve();
          } else if (m.type === "session_error") {
            readyReject(new Failure(m.reason));
            throw new Failure(m.reason);
          } else if (m.type === "session_complete") {
            return {
              bytes_sent: Number(m.counters.bytesSent),
              bytes_received: Number(m.counters.bytesReceived),
              requests_completed: Number(m.counters.requestsCompleted),
            };
          }
        }
      }
      reader.finish();
      throw new Failure("control stream ended without session_complete");
    })();
    complete.catch(() => {});
    const s: Session = { conn, ready, complete, closeRequested: false };
    sessions.push(s);
    return s;
  }

  /** Waits for the server's session_complete and adds its counters to the run's. */
  async function addServerCounters(s: Session): Promise<ServerCounters> {
    const c = await s.complete;
    serverCounters.bytes_sent += c.bytes_sent;
    serverCounters.bytes_received += c.bytes_received;
    serverCounters.requests_completed += c.requests_completed;
    return c;
  }

  const closeSession = (s: Session, reason: string) => {
    if (s.closeRequested) return;
    s.closeRequested = true;
    void s.conn.close({ code: 0, reason });
  };

  /** Reads a stream to its end, returning the byte count; counts bytes as they arrive. */
  async function drainStream(stream: QuicStream, count: () => boolean): Promise<number> {
    let n = 0;
    for (;;) {
      const value = await stream.read();
      if (value === undefined) return n;
      n += value.length;
      tick();
      if (count()) bytesReceived += value.length;
    }
  }

  const limits = (total: number, parts: number, i: number) => Math.floor(total / parts) + (i < total % parts ? 1 : 0);
  const stillRunning = () => phase !== "drain" && phase !== "done";

  async function bulk(s: Session): Promise<void> {
    await s.ready;
    const download = config.direction === "download";
    if (!timed) {
      await Promise.all(Array.from({ length: config.streams }, async (_, i) => {
        const stream = s.conn.openStream();
        if (download) {
          await stream.writable!.getWriter().close();
          await drainStream(stream, () => true);
        } else {
          const n = limits(config.totalBytes!, config.streams, i);
          await writePayload(stream, n, true);
          bytesSent += n;
          tick();
        }
      }));
      requests += (await addServerCounters(s)).requests_completed;
      return;
    }
    await Promise.all(Array.from({ length: config.streams }, async () => {
      while (stillRunning()) {
        const stream = s.conn.openStream();
        const live = phase === "measure";
        if (download) {
          await stream.writable!.getWriter().close();
          await drainStream(stream, () => live || phase === "measure" ? inWindow() : false);
        } else {
          const n = Math.max(config.requestBytes, config.responseBytes);
          await writePayload(stream, n, true);
          if (inWindow()) bytesSent += n;
          tick();
        }
        if (inWindow()) requests++;
      }
    }));
    closeSession(s, "timed bulk drain complete");
  }

  async function request(stream: QuicStream): Promise<void> {
    const issued = now();
    const counted = inWindow();
    const response = drainStream(stream, () => counted); // read while the request goes out
    await writePayload(stream, config.requestBytes, true);
    if (counted) bytesSent += config.requestBytes;
    await response;
    if (counted || !timed) {
      requests++;
      latencies.push(Math.round((now() - issued) * 1000));
    }
  }

  async function rr(s: Session, limit: number | undefined): Promise<void> {
    await s.ready;
    let issued = 0;
    await Promise.all(Array.from({ length: config.requestsInFlight }, async () => {
      while (stillRunning() && (limit === undefined || issued < limit)) {
        issued++;
        await request(s.conn.openStream());
      }
    }));
    if (timed) closeSession(s, "timed rr drain complete");
    else await addServerCounters(s);
  }

  async function persistent(s: Session, limit: number | undefined): Promise<void> {
    await s.ready;
    const stream = s.conn.openStream();
    const issuedAt: number[] = [];
    let issued = 0;
    let pendingBytes = 0;
    let wake: (() => void) | undefined;
    const reading = (async () => {
      const r = stream.readable!.getReader();
      for (;;) {
        const { value, done } = await r.read();
        if (done) return;
        tick();
        const counted = inWindow();
        if (counted) bytesReceived += value.length;
        pendingBytes += value.length;
        while (pendingBytes >= config.responseBytes && issuedAt.length > 0) {
          pendingBytes -= config.responseBytes;
          const at = issuedAt.shift()!;
          if (counted || !timed) {
            requests++;
            latencies.push(Math.round((now() - at) * 1000));
          }
          wake?.();
        }
        if (limit !== undefined && requests >= limit && issuedAt.length === 0) return;
      }
    })();
    while (stillRunning() && (limit === undefined || issued < limit)) {
      while (issuedAt.length >= config.requestsInFlight) await new Promise<void>((r) => (wake = r));
      issuedAt.push(now());
      issued++;
      await writePayload(stream, config.requestBytes, false);
      if (inWindow()) bytesSent += config.requestBytes;
    }
    await stream.writable!.getWriter().close();
    if (timed) {
      await Promise.race([reading, new Promise((r) => setTimeout(r, Math.max(0, drainEnd - now())))]);
      closeSession(s, "persistent rr drain complete");
    } else {
      await reading;
      await addServerCounters(s);
    }
  }

  async function crr(): Promise<void> {
    let opened = 0;
    const limit = config.requests;
    // they share one client endpoint and socket; after the first ones each resumes a session
    // from the client's ticket cache, as Deno's built-in client (rustls) does
    const client = await QuicClient.create({ ...clientOptions, family: config.host.includes(":") ? "IPv6" : "IPv4" });
    try {
      await Promise.all(Array.from({ length: config.connections }, async () => {
        while (stillRunning() && (limit === undefined || opened < limit)) {
          opened++;
          const s = await openSession(undefined, client);
          await s.ready;
          const stream = s.conn.openStream(); // stream 4
          await request(stream);
          closeSession(s, "done");
          await s.conn.closed;
        }
      }));
    } finally {
      await client.close();
    }
  }

  const watchdog = setInterval(() => {
    if (now() - lastProgress > NO_PROGRESS_MS && phase !== "done") {
      failure ??= "client timed out waiting for progress";
      for (const s of sessions) closeSession(s, "timeout");
    }
    onProgress?.({ phase, bytesSent, bytesReceived, requestsCompleted: requests, elapsedMs: now() - t0 });
  }, 250);

  try {
    if (config.mode === "crr") await crr();
    else {
      const c = config.connections;
      const useConns = config.requests !== undefined && config.mode !== "bulk" ? Math.min(c, config.requests) : c;
      const perConn = (i: number) =>
        config.requests === undefined
          ? undefined
          : Math.floor(config.requests / useConns) + (i < config.requests % useConns ? 1 : 0);
      const opened = await Promise.all(
        Array.from(
          { length: useConns },
          (_, i) => openSession(perConn(i) === undefined ? undefined : BigInt(perConn(i)!)),
        ),
      );
      await Promise.all(opened.map((s, i) => {
        const work = config.mode === "bulk"
          ? bulk(s)
          : config.mode === "rr"
          ? rr(s, perConn(i))
          : persistent(s, perConn(i));
        return work.catch(async (e) => {
          // a session_error arrives on the control stream: prefer its reason
          const reason = await s.complete.then(
            () => undefined,
            (ce) => (ce instanceof Failure ? ce.message : undefined),
          );
          throw reason ? new Failure(reason) : e;
        });
      }));
    }
    if (!timed) { for (const s of sessions) closeSession(s, "done"); }
    if (config.mode === "bulk" && config.totalBytes !== undefined) {
      const got = config.direction === "download" ? bytesReceived : bytesSent;
      if (got < config.totalBytes) failure ??= `transferred ${got} of ${config.totalBytes} bytes`;
    }
    if (
      timed && config.mode === "bulk" && config.direction === "download" && config.responseBytes > 0 &&
      bytesReceived === 0
    ) {
      failure ??= "timed bulk download measured zero bytes";
    }
  } catch (e) {
    failure ??= e instanceof Failure ? e.message : `client error: ${(e as Error).message ?? e}`;
    for (const s of sessions) closeSession(s, "failed");
  } finally {
    clearInterval(watchdog);
  }
  const elapsedUs = timed
    ? Math.round(Math.min(now(), measureEnd) - measureStart) * 1000
    : Math.round((now() - t0) * 1000);
  phase = "done";
  if (timed && config.mode !== "bulk") {
    serverCounters.bytes_sent = bytesReceived;
    serverCounters.bytes_received = bytesSent;
    serverCounters.requests_completed = requests;
  }
  onProgress?.({ phase, bytesSent, bytesReceived, requestsCompleted: requests, elapsedMs: now() - t0 });
  return buildSummary(config, {
    status: failure ? "failed" : "ok",
    elapsedUs: Math.max(elapsedUs, 0),
    bytesSent,
    bytesReceived,
    requestsCompleted: requests,
    serverCounters,
    latencySamplesUs: latencies,
    failureReason: failure,
  });
}
