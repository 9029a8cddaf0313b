/**
 * `QuicError`: every failure of the high-level API, with a `kind` to switch on.
 *
 * @module
 */

/**
 * What went wrong.
 *
 * @example
 * ```ts
 * const kind: QuicErrorKind = "timeout";
 * ```
 */
export type QuicErrorKind =
  | "timeout" // an AbortSignal.timeout() deadline passed
  | "aborted" // another AbortSignal fired
  | "closed" // the object was closed locally
  | "peer_closed" // the peer closed the connection (code/reason set)
  | "idle_timeout"
  | "stateless_reset"
  | "handshake_failed" // TLS or protocol failure during the handshake (reason says why)
  | "protocol_error"
  | "stream_reset" // the peer reset the stream it was sending (code set)
  | "stop_sending" // the peer asked us to stop sending (code set)
  | "refused" // the server refused the connection
  | "name_not_resolved" // a host name has no address (DNS or /etc/hosts), or its lookup failed
  | "unreachable" // the peer's host or port answered with ICMP unreachable (where the runtime reports it)
  | "local" // the engine rejected an operation (reason names the local error)
  | "unsupported" // not available here (e.g. a forced native socket without the engine extension)
  | "invalid_argument"
  | "address_in_use" // the local address to bind is taken
  | "migration_failed"; // the new path did not validate (the connection stays on its previous one)

/**
 * A QUIC failure.
 *
 * @example
 * ```ts
 * import { connect } from "./api.ts";
 * try { await connect({ hostname: "127.0.0.1", port: 4433 }, { alpn: "x" }); }
 * catch (e) { if (e instanceof QuicError && e.kind === "handshake_failed") console.error(e.reason); }
 * ```
 */
export class QuicError extends Error {
  /** The error class name. */
  override name = "QuicError";
  /** Creates an error of `kind` with an optional `reason`, QUIC error `code` and `cause`. */
  constructor(
    readonly kind: QuicErrorKind,
    readonly reason = "",
    readonly code?: bigint,
    options?: { cause?: unknown },
  ) {
    super(`${kind}${code !== undefined ? ` (code ${code})` : ""}${reason ? `: ${reason}` : ""}`, options);
  }
}

/**
 * The QuicError for an aborted signal ("timeout" for AbortSignal.timeout).
 *
 * @example
 * ```ts
 * const e = abortError(AbortSignal.abort());
 * console.log(e.kind); // "aborted"
 * ```
 */
export function abortError(signal: AbortSignal): QuicError {
  const r = signal.reason as { name?: string } | undefined;
  return r?.name === "TimeoutError"
    ? new QuicError("timeout", "deadline exceeded", undefined, { cause: r })
    : new QuicError("aborted", String((r as Error)?.message ?? r ?? "aborted"), undefined, { cause: r });
}

/**
 * Races a promise against an AbortSignal; the promise is left to settle on its own.
 *
 * @example
 * ```ts
 * import type { QuicConnection } from "./connection.ts";
 * declare const connecting: Promise<QuicConnection>;
 * const conn = await withSignal(connecting, AbortSignal.timeout(5000));
 * ```
 */
export function withSignal<T>(p: Promise<T>, signal: AbortSignal | undefined, onAbort?: () => void): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    onAbort?.();
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.();
      reject(abortError(signal));
    };
    signal.addEventListener("abort", abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", abort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", abort);
        reject(e);
      },
    );
  });
}

/**
 * A queue of values handed to waiters in order (accept queues, incoming streams).
 *
 * @example
 * ```ts
 * const q = new AsyncQueue<number>();
 * q.push(1);
 * ```
 */
export class AsyncQueue<T> {
  #items: T[] = [];
  #waiters: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  #error: unknown;

  /** Adds a value (given to the oldest waiter, if any). */
  push(v: T): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(v);
    else this.#items.push(v);
  }

  /** Fails every current and future waiter with `e` once the queue is empty. */
  fail(e: unknown): void {
    this.#error ??= e;
    for (const w of this.#waiters.splice(0)) w.reject(e);
  }

  /** The next value. */
  next(signal?: AbortSignal): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    let entry: { resolve: (v: T) => void; reject: (e: unknown) => void };
    const p = new Promise<T>((resolve, reject) => {
      entry = { resolve, reject };
      this.#waiters.push(entry);
    });
    return withSignal(p, signal, () => {
      const i = this.#waiters.indexOf(entry);
      if (i >= 0) this.#waiters.splice(i, 1);
    });
  }

  /** Values waiting. */
  get size(): number {
    return this.#items.length;
  }
}
