/**
 * Connection racing over several addresses (Happy Eyeballs v2, RFC 8305 §4–5): addresses are
 * interleaved by family, one attempt starts, the next one starts when it fails or after a
 * short delay without success, the first success wins and every other attempt is cancelled.
 *
 * @module
 */
import type { ResolvedAddress } from "../runtimes/resolve.ts";

/** RFC 8305's recommended Connection Attempt Delay is 250 ms; QUIC handshakes on a LAN take a few ms. */
export const ATTEMPT_DELAY_MS = 250;

/**
 * Orders addresses for racing: the first address's family first, then alternating families,
 * each family keeping its resolver order (RFC 8305 §4).
 *
 * @example
 * ```ts
 * interleave([{ address: "::1", family: 6 }, { address: "::2", family: 6 }, { address: "127.0.0.1", family: 4 }]);
 * // ::1, 127.0.0.1, ::2
 * ```
 */
export function interleave(addresses: readonly ResolvedAddress[]): ResolvedAddress[] {
  if (addresses.length === 0) return [];
  const first = addresses[0].family;
  const a = addresses.filter((x) => x.family === first);
  const b = addresses.filter((x) => x.family !== first);
  const out: ResolvedAddress[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return out;
}

/**
 * Races `attempt` over `addresses` (already ordered). Resolves with the first success; each
 * attempt gets an AbortSignal that fires when another one has won or the race was given up.
 * A success that arrives after another one won is handed to `discard`. When every attempt
 * fails, rejects with the first attempt's error (usually the most relevant one).
 *
 * @example
 * ```ts
 * const winner = await race(
 *   [{ address: "127.0.0.1", family: 4 }],
 *   (a) => Promise.resolve(a.address),
 *   { delayMs: 250, discard: () => {} },
 * );
 * ```
 */
export function race<T>(
  addresses: readonly ResolvedAddress[],
  attempt: (address: ResolvedAddress, signal: AbortSignal) => Promise<T>,
  options: { delayMs: number; discard: (loser: T) => void; signal?: AbortSignal },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = new AbortController();
    const errors: unknown[] = new Array(addresses.length);
    let started = 0;
    let failed = 0;
    let won = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      cancel.abort();
    };
    const onAbort = () => startNext(); // the caller's signal: every attempt sees it and fails
    const startNext = (): void => {
      clearTimeout(timer);
      if (won || started >= addresses.length) return;
      const i = started++;
      attempt(addresses[i], cancel.signal).then(
        (value) => {
          if (won) return options.discard(value);
          won = true;
          finish();
          resolve(value);
        },
        (e) => {
          errors[i] = e;
          if (won) return;
          if (++failed === addresses.length) {
            finish();
            reject(errors.find((x) => x !== undefined) ?? e);
          } else if (i === started - 1) startNext(); // the newest attempt failed: do not wait out the delay
        },
      );
      if (started < addresses.length) timer = setTimeout(startNext, options.delayMs);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    startNext();
  });
}
