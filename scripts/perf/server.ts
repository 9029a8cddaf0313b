/**
 * The `coquic-perf/1` server: one session per connection, started by a `session_start`
 * on control stream 0, answering on data streams by the per-mode rules of the reference.
 *
 * @module
 */
import { listen, type QuicConnection, type QuicListener, type QuicStream } from "../../mod.ts";
import type { PerfConfig } from "./cli.ts";
import {
  ControlStreamReader,
  encodeSessionComplete,
  encodeSessionError,
  encodeSessionReady,
  PAYLOAD_BYTE,
  PERF_ALPN,
  PerfProtocolError,
  type SessionStart,
} from "./protocol.ts";
import { perfTransport } from "./transport.ts";

const CHUNK = new Uint8Array(64 << 10).fill(PAYLOAD_BYTE);

/** Writes `n` payload bytes (0x5a) to a stream; with `fin` the last chunk carries FIN. */
export async function writePayload(stream: QuicStream, n: number, fin: boolean): Promise<void> {
  let left = n;
  do {
    const size = Math.min(left, CHUNK.length);
    left -= size;
    await stream.write(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size), { fin: fin && left === 0 });
  } while (left > 0);
}

/** Per-connection session state. */
class Session {
  start?: SessionStart;
  bytesSent = 0n;
  bytesReceived = 0n;
  requestsCompleted = 0n;
  completeSent = false;
  control?: QuicStream;
  constructor(readonly conn: QuicConnection, readonly onComplete: () => void) {}

  async runControl(stream: QuicStream): Promise<void> {
    this.control = stream;
    const reader = new ControlStreamReader();
    let message;
    try {
      const bytes = await stream.bytes({ maxBytes: 1 << 16 });
      const messages = reader.push(bytes);
      reader.finish();
      if (messages.length !== 1) throw new PerfProtocolError("invalid control message");
      message = messages[0];
    } catch (e) {
      if (e instanceof PerfProtocolError || (e as Error).name === "QuicError") {
        return this.#error("invalid control message");
      }
      throw e;
    }
    if (message.type !== "session_start") return this.#error("expected session_start");
    const s = message.start;
    if (s.protocolVersion !== 3 && s.protocolVersion !== 1) return this.#error("unsupported protocol version");
    if (s.streams === 0n) return this.#error("streams must be greater than zero");
    if (s.connections === 0n) return this.#error("connections must be greater than zero");
    if (s.requestsInFlight === 0n) return this.#error("requests_in_flight must be greater than zero");
    if (s.mode === "persistent-rr" && (s.requestBytes === 0n || s.responseBytes === 0n)) {
      return this.#error("persistent-rr requires nonzero request and response bytes");
    }
    this.start = s;
    await stream.write(encodeSessionReady());
  }

  async #error(reason: string): Promise<void> {
    if (!this.control) return;
    await this.control.write(encodeSessionError(reason)).catch(() => {});
    await this.control.writable!.getWriter().close().catch(() => {});
    await this.control.acknowledged().catch(() => {});
  }

  async #complete(): Promise<void> {
    if (this.completeSent || !this.control) return;
    this.completeSent = true;
    await this.control.write(
      encodeSessionComplete({
        bytesSent: this.bytesSent,
        bytesReceived: this.bytesReceived,
        requestsCompleted: this.requestsCompleted,
      }),
    );
    await this.control.writable!.getWriter().close();
    await this.control.acknowledged(); // the summary must arrive before the server may exit
    this.onComplete();
  }

  async runData(stream: QuicStream): Promise<void> {
    let pending = 0n;
    for (;;) {
      const value = await stream.read();
      const s = this.start;
      if (value === undefined) break;
      if (!s) continue; // data before a valid start is ignored
      this.bytesReceived += BigInt(value.length);
      if (s.mode !== "persistent-rr") continue;
      pending += BigInt(value.length);
      while (pending >= s.requestBytes && !this.completeSent) {
        pending -= s.requestBytes;
        this.bytesSent += s.responseBytes;
        this.requestsCompleted++;
        await writePayload(stream, Number(s.responseBytes), false);
        if (s.requests !== undefined && this.requestsCompleted >= s.requests) await this.#complete();
      }
    }
    const s = this.start;
    if (!s || s.mode === "persistent-rr") return; // the server does not FIN a persistent stream
    this.requestsCompleted++;
    const k = this.requestsCompleted;
    if (s.mode === "bulk" && s.direction === "download") {
      let reply = s.responseBytes;
      if (s.totalBytes !== undefined) {
        reply = s.totalBytes / s.streams + (k - 1n < s.totalBytes % s.streams ? 1n : 0n);
      }
      this.bytesSent += reply; // counted when the reply starts, like the reference
      await writePayload(stream, Number(reply), true);
      if (s.totalBytes !== undefined && k >= s.streams) await this.#complete();
    } else if (s.mode === "bulk") {
      if (s.totalBytes !== undefined && k >= s.streams) await this.#complete();
    } else {
      this.bytesSent += s.responseBytes;
      await writePayload(stream, Number(s.responseBytes), true);
      if (s.mode === "rr" && s.requests !== undefined && k >= s.requests) await this.#complete();
    }
  }
}

/** A running perf server. */
export interface PerfServer {
  listener: QuicListener;
  /** Resolves when the server stops on its own (exit-on-complete / exit-on-idle env). */
  done: Promise<void>;
  close(): Promise<void>;
}

function envFlag(name: string): boolean {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const v = g.Deno ? g.Deno.env.get(name) : g.process?.env[name];
  return v !== undefined && v !== "" && v !== "0";
}

/** Calls `finish` once this process's parent is gone (the process is then reparented). */
function exitWithParent(finish: () => void): void {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const ppid = (): number => (g.Deno ? g.Deno.ppid : g.process.ppid);
  const parent = ppid();
  const timer = setInterval(() => {
    if (ppid() === parent) return;
    clearInterval(timer);
    finish();
  }, 250);
  if (g.Deno) g.Deno.unrefTimer(timer);
  else timer.unref?.();
}

/**
 * Starts the perf server.
 *
 * @example
 * ```ts
 * import { parsePerfArgs } from "./cli.ts";
 * import { startPerfServer } from "./server.ts";
 * const server = await startPerfServer(parsePerfArgs(["server", "--port", "0"]));
 * console.log(server.listener.addr.port);
 * ```
 */
export async function startPerfServer(
  config: PerfConfig,
  cert?: { certPem: string; keyPem: string },
): Promise<PerfServer> {
  const listener = await listen({
    hostname: config.host,
    port: config.port,
    alpn: PERF_ALPN,
    cert: cert?.certPem,
    key: cert?.keyPem,
    ...perfTransport(config, true),
  });
  const exitOnComplete = envFlag("COQUIC_PERF_SERVER_EXIT_ON_SESSION_COMPLETE");
  const exitOnIdle = envFlag("COQUIC_PERF_SERVER_EXIT_ON_IDLE_EMPTY");
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  if (envFlag("COQUIC_PERF_SERVER_EXIT_WITH_PARENT")) exitWithParent(finish);
  let sessions = 0;
  let everAccepted = false;
  (async () => {
    for await (const conn of listener) {
      everAccepted = true;
      sessions++;
      const session = new Session(conn, () => {
        if (exitOnComplete) void conn.closed.then(() => finish());
      });
      void conn.closed.then(() => {
        sessions--;
        if (exitOnIdle && everAccepted && sessions === 0) finish();
      });
      (async () => {
        for await (const stream of conn) {
          const task = stream.id === 0n ? session.runControl(stream) : session.runData(stream);
          task.catch(() => {}); // a reset stream or a closed connection ends that stream's work
        }
      })();
    }
  })();
  return { listener, done, close: () => listener.close({ timeoutMs: 500 }) };
}
