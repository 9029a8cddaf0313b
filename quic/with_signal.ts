/**
 * AbortSignal helpers of the high-level API: the `QuicError` of an aborted signal, and a
 * promise raced against a signal.
 *
 * @module
 */
import { QuicError } from "./quic_error.ts";

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
