/**
 * `QueryResult`: a native `coquic_result_t` copied into JS values, after which the native
 * result is destroyed. With our engine's extensions the read is batched (one summary call,
 * all datagram payloads in one copy, all effect records in one copy); without them it uses
 * the core accessors (`effect_count` / `effect_at`, by-value `next_wakeup`).
 *
 * @module
 */
import { Layout as L, NO_ROUTE } from "../ffi/abi.ts";
import type { CoquicLibrary } from "../ffi/loader.ts";
import {
  type CopiedDatagrams,
  decodeCloseInfos,
  decodeEffect,
  decodeLocalError,
  decodeResultSummary,
} from "./codec.ts";
import type { Effect, SendDatagramEffect } from "./effects.ts";
import type { LocalError } from "./errors.ts";
import type { CloseInfo } from "./stats.ts";

export type { CloseInfo } from "./stats.ts";

/**
 * Everything one native call produced.
 *
 * @example
 * ```ts
 * import type { Endpoint } from "./endpoint.ts";
 * declare const endpoint: Endpoint, now: bigint, send: (bytes: Uint8Array) => void;
 * const r = endpoint.timerExpired(now);
 * for (const e of r.effects) if (e.kind === "send_datagram") send(e.bytes);
 * if (r.sendContinuationPending) endpoint.timerExpired(now);
 * ```
 */
export interface QueryResult {
  /** Effects in order; send every `send_datagram` one, in order. */
  effects: Effect[];
  /** Absolute time (µs) for the next `timerExpired`, if any. */
  nextWakeup?: bigint;
  /** A protocol-level misuse, if the call made one. */
  localError?: LocalError;
  /** More datagrams are waiting: call `timerExpired(now)` again right away. */
  sendContinuationPending: boolean;
  /**
   * Why connections failed in this call (extension `coquic_x_result_close_infos`); always
   * empty with libraries lacking it (see `lib.extensions.closeInfos`).
   */
  closeInfos: CloseInfo[];
}

/** Per-library scratch for reading results (reused: results are read one at a time). */
class ResultReader {
  readonly effect = new Uint8Array(L.Effect.size);
  readonly effectView = new DataView(this.effect.buffer);
  readonly word = new Uint8Array(8);
  readonly wordView = new DataView(this.word.buffer);
  readonly localError = new Uint8Array(L.LocalError.size);
  readonly localErrorView = new DataView(this.localError.buffer);
  readonly summary = new Uint8Array(L.ResultSummary.size);
  readonly summaryView = new DataView(this.summary.buffer);
  records = new Uint8Array(L.Effect.size * 64);
  lengths = new Uint32Array(256);
  constructor(readonly lib: CoquicLibrary) {}

  /** A pointer + count pair returned through `word` by the batch accessors. */
  count(): number {
    return Number(this.wordView.getBigUint64(0, true));
  }

  /** Copies `bytes` bytes at `address` into the reusable record buffer. */
  copyRecords(address: bigint, bytes: number): DataView {
    if (this.records.length < bytes) this.records = new Uint8Array(bytes * 2);
    this.lib.ffi.copyInto(address, this.records.subarray(0, bytes));
    return new DataView(this.records.buffer, 0, bytes);
  }
}

const readers = new WeakMap<CoquicLibrary, ResultReader>();

function readerFor(lib: CoquicLibrary): ResultReader {
  let r = readers.get(lib);
  if (!r) readers.set(lib, r = new ResultReader(lib));
  return r;
}

/** The send_datagram effects of a result, payloads copied out in one call (batch extension). */
function copyDatagrams(rd: ResultReader, result: bigint, count: number, bytes: number): SendDatagramEffect[] {
  const out = new Uint8Array(bytes);
  const meta = new BigUint64Array(2 * count);
  const routes = meta.subarray(0, count), connections = meta.subarray(count);
  const ecns = new Uint8Array(count);
  if (rd.lengths.length < count) rd.lengths = new Uint32Array(count * 2);
  const lengths = rd.lengths.subarray(0, count);
  const n = rd.lib.symbols.coquic_x_result_copy_datagrams(
    result,
    0,
    out,
    bytes,
    lengths,
    routes,
    connections,
    ecns,
    count,
  );
  if (n !== count) throw new Error(`coquic_x_result_copy_datagrams copied ${n} of ${count} datagrams`);
  const effects: SendDatagramEffect[] = [];
  for (let i = 0, at = 0; i < count; at += lengths[i], i++) {
    effects.push({
      kind: "send_datagram",
      connection: connections[i],
      routeHandle: routes[i] === NO_ROUTE ? undefined : routes[i],
      bytes: out.subarray(at, at + lengths[i]),
      ecn: ecns[i],
      isPmtuProbe: false, // filled from the record when other effects are decoded too
    });
  }
  return effects;
}

/** Decodes every effect record once (send_datagram ones taken from `copied` when given). */
function decodeAll(rd: ResultReader, result: bigint, copied?: CopiedDatagrams): Effect[] {
  const { lib } = rd;
  const effects: Effect[] = [];
  if (lib.extensions.batchEffects) {
    const base = lib.symbols.coquic_x_result_effects(result, rd.word) as bigint;
    const count = rd.count();
    if (count === 0) return effects;
    const view = rd.copyRecords(base, count * L.Effect.size);
    for (let i = 0; i < count; i++) effects.push(decodeEffect(lib.ffi, view, i * L.Effect.size, copied));
    return effects;
  }
  const count = lib.symbols.coquic_result_effect_count(result) as number;
  for (let i = 0; i < count; i++) {
    lib.symbols.coquic_result_effect_at(result, i, rd.effect);
    effects.push(decodeEffect(lib.ffi, rd.effectView, 0, copied));
  }
  return effects;
}

/** Reads the effects, batching datagram payloads when the library can. */
function readEffects(
  rd: ResultReader,
  result: bigint,
  datagramCount: number,
  datagramBytes: number,
  otherCount: number,
): Effect[] {
  if (!rd.lib.extensions.batchIo || datagramCount === 0) return decodeAll(rd, result);
  const datagrams = copyDatagrams(rd, result, datagramCount, datagramBytes);
  if (otherCount === 0) return datagrams;
  // The other effects, in their original order among the datagrams.
  return decodeAll(rd, result, { list: datagrams, next: 0 });
}

function readCloseInfos(rd: ResultReader, result: bigint): CloseInfo[] {
  const { lib } = rd;
  const base = lib.symbols.coquic_x_result_close_infos(result, rd.word) as bigint;
  const count = rd.count();
  if (count === 0) return [];
  // Copied out of the reusable buffer: decodeCloseInfos copies the reasons itself.
  return decodeCloseInfos(lib.ffi, rd.copyRecords(base, count * L.CloseInfo.size), count);
}

/**
 * Reads a result's `next_wakeup`: through the out-pointer extension when present, else
 * the by-value accessor (on Bun through the `cc` adapter).
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, resultAddress: bigint;
 * const wake = readNextWakeup(lib, resultAddress); // bigint | undefined
 * ```
 */
export function readNextWakeup(lib: CoquicLibrary, result: bigint): bigint | undefined {
  if (lib.extensions.nextWakeupOut) {
    const rd = readerFor(lib);
    return lib.symbols.coquic_x_result_next_wakeup(result, rd.word) ? rd.wordView.getBigUint64(0, true) : undefined;
  }
  return lib.symbols.coquic_result_next_wakeup(result) as bigint | undefined;
}

/**
 * Copies a native result into a `QueryResult` and destroys the native result (always,
 * even when reading fails).
 *
 * @example
 * ```ts
 * import type { CoquicLibrary } from "../ffi/loader.ts";
 * declare const lib: CoquicLibrary, resultAddress: bigint;
 * const r = takeResult(lib, resultAddress);
 * for (const e of r.effects) console.log(e.kind);
 * ```
 */
export function takeResult(lib: CoquicLibrary, result: bigint): QueryResult {
  const rd = readerFor(lib);
  const s = lib.symbols;
  try {
    let datagramCount = 0, datagramBytes = 0, otherCount = 0, closeCount = -1;
    let hasLocalError: boolean, sendContinuationPending: boolean, nextWakeup: bigint | undefined;
    if (lib.extensions.batchIo) {
      s.coquic_x_result_summary(result, rd.summary);
      const sum = decodeResultSummary(rd.summaryView);
      ({ datagramCount, datagramBytes, nextWakeup, hasLocalError, sendContinuationPending } = sum);
      otherCount = sum.otherEffectCount;
      closeCount = sum.closeInfoCount;
    } else {
      hasLocalError = s.coquic_result_has_local_error(result) !== 0;
      sendContinuationPending = s.coquic_result_send_continuation_pending(result) !== 0;
      nextWakeup = readNextWakeup(lib, result);
    }
    const effects = readEffects(rd, result, datagramCount, datagramBytes, otherCount);
    let localError: LocalError | undefined;
    if (hasLocalError && s.coquic_result_local_error(result, rd.localError) === 0) {
      localError = decodeLocalError(rd.localErrorView);
    }
    const closeInfos = !lib.extensions.closeInfos || closeCount === 0 ? [] : readCloseInfos(rd, result);
    return { effects, nextWakeup, localError, sendContinuationPending, closeInfos };
  } finally {
    s.coquic_result_destroy(result);
  }
}
