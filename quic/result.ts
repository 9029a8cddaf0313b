/**
 * `QueryResult`: a native `coquic_result_t` copied into JS values, after which the native
 * result is destroyed. Uses the batch extension when the library has it (one call for all
 * effects) and falls back to one `coquic_result_effect_at` per effect.
 *
 * @module
 */
import * as L from "../ffi/layout.ts";
import { CloseSource, NO_ROUTE } from "../ffi/abi.ts";
import type { CoquicLibrary } from "../ffi/loader.ts";
import { copyView, decodeEffect, type Effect } from "./effects.ts";
import { LocalError } from "./errors.ts";

/** Why a connection failed (extension: present only when the library reports it). */
export interface CloseInfo {
  connection: bigint;
  source: "local" | "peer" | "idle_timeout" | "stateless_reset" | "protocol_error" | "handshake_timeout";
  /** Application error code when true, QUIC transport error code otherwise. */
  isApplicationError: boolean;
  errorCode: bigint;
  reason: string;
}

/** Everything one native call produced. */
export interface QueryResult {
  /** Effects in order; send every `send_datagram` one in order. */
  effects: Effect[];
  /** Absolute time (µs) for the next `timerExpired`, if any. */
  nextWakeup?: bigint;
  /** A protocol-level misuse, if the call made one. */
  localError?: LocalError;
  /** More datagrams are waiting: call `timerExpired(now)` again right away. */
  sendContinuationPending: boolean;
  /** Why connections failed in this call (empty with libraries lacking the extension). */
  closeInfos: CloseInfo[];
}

const SOURCE_NAMES = Object.fromEntries(Object.entries(CloseSource).map(([k, v]) => [v, k.toLowerCase()])) as Record<
  number,
  CloseInfo["source"]
>;

/** Per-library scratch for reading results (reused; results are read one at a time). */
class ResultReader {
  readonly effect = new Uint8Array(L.Effect.size);
  readonly effectView = new DataView(this.effect.buffer);
  readonly word = new Uint8Array(8);
  readonly wordView = new DataView(this.word.buffer);
  readonly localError = new Uint8Array(L.LocalError.size);
  readonly summary = new Uint8Array(L.ResultSummary.size);
  readonly summaryView = new DataView(this.summary.buffer);
  big = new Uint8Array(L.Effect.size * 64);
  lengths = new Uint32Array(256);
  constructor(readonly lib: CoquicLibrary) {}
}

/**
 * The datagrams of a result, copied out in one call: one buffer for all payloads and one
 * subarray per datagram, routes decoded from the copy.
 */
function copyDatagrams(
  rd: ResultReader,
  result: bigint,
  count: number,
  bytes: number,
): { bytes: Uint8Array; routes: BigUint64Array; connections: BigUint64Array; ecns: Uint8Array; lengths: Uint32Array } {
  const out = new Uint8Array(bytes);
  const meta = new BigUint64Array(2 * count);
  const routes = meta.subarray(0, count), connections = meta.subarray(count);
  const ecns = new Uint8Array(count);
  if (rd.lengths.length < count) rd.lengths = new Uint32Array(count * 2);
  const lengths = rd.lengths.subarray(0, count);
  const n = Number(
    rd.lib.symbols.coquic_x_result_copy_datagrams(result, 0n, out, BigInt(bytes), lengths, routes, connections, ecns, BigInt(count)),
  );
  if (n !== count) throw new Error(`coquic_x_result_copy_datagrams copied ${n} of ${count} datagrams`);
  return { bytes: out, routes, connections, ecns, lengths };
}

const readers = new WeakMap<CoquicLibrary, ResultReader>();

function readerFor(lib: CoquicLibrary): ResultReader {
  let r = readers.get(lib);
  if (!r) readers.set(lib, r = new ResultReader(lib));
  return r;
}

/** Reads the effects of a native result. */
function readEffects(rd: ResultReader, result: bigint, datagramCount: number, datagramBytes: number, otherCount: number): Effect[] {
  const { lib } = rd;
  const s = lib.symbols;
  if (lib.extensions.batchIo && datagramCount > 0) {
    // Datagram payloads in one copy; other effects (rare on the data path) decoded in order.
    const d = copyDatagrams(rd, result, datagramCount, datagramBytes);
    const datagramEffects: Effect[] = [];
    let at = 0;
    for (let i = 0; i < datagramCount; i++) {
      const len = d.lengths[i];
      const route = d.routes[i];
      datagramEffects.push({
        kind: "send_datagram",
        connection: d.connections[i],
        routeHandle: route === NO_ROUTE ? undefined : route,
        bytes: d.bytes.subarray(at, at + len),
        ecn: d.ecns[i],
        isPmtuProbe: false, // the engine never marks probes (README feature table)
      });
      at += len;
    }
    if (otherCount === 0) return datagramEffects;
    // Interleave with the other effects in their original order.
    const all = decodeAll(rd, result);
    let k = 0;
    return all.map((e) => {
      if (e.kind !== "send_datagram") return e;
      const fast = datagramEffects[k++] as typeof e;
      fast.isPmtuProbe = e.isPmtuProbe;
      return fast;
    });
  }
  return decodeAll(rd, result);
}

/** Decodes every effect record (payloads of send_datagram effects skipped when batch-copied). */
function decodeAll(rd: ResultReader, result: bigint): Effect[] {
  const { lib } = rd;
  const s = lib.symbols;
  const effects: Effect[] = [];
  if (lib.extensions.batchEffects) {
    const base = s.coquic_x_result_effects(result, rd.word) as bigint;
    const count = Number(rd.wordView.getBigUint64(0, true));
    if (count === 0) return effects;
    const bytes = count * L.Effect.size;
    if (rd.big.length < bytes) rd.big = new Uint8Array(bytes * 2);
    lib.ffi.copyInto(base, rd.big.subarray(0, bytes));
    const view = new DataView(rd.big.buffer, 0, bytes);
    const skipDatagramBytes = lib.extensions.batchIo;
    for (let i = 0; i < count; i++) effects.push(decodeEffect(lib.ffi, view, i * L.Effect.size, skipDatagramBytes));
    return effects;
  }
  const count = Number(s.coquic_result_effect_count(result));
  for (let i = 0; i < count; i++) {
    s.coquic_result_effect_at(result, BigInt(i), rd.effect);
    effects.push(decodeEffect(lib.ffi, rd.effectView, 0));
  }
  return effects;
}

function readCloseInfos(rd: ResultReader, result: bigint): CloseInfo[] {
  const { lib } = rd;
  if (!lib.extensions.closeInfos) return [];
  const base = lib.symbols.coquic_x_result_close_infos(result, rd.word) as bigint;
  const count = Number(rd.wordView.getBigUint64(0, true));
  if (count === 0) return [];
  const raw = new Uint8Array(count * L.CloseInfo.size);
  lib.ffi.copyInto(base, raw);
  const view = new DataView(raw.buffer);
  const out: CloseInfo[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * L.CloseInfo.size;
    out.push({
      connection: view.getBigUint64(at + L.CloseInfo.connection, true),
      source: SOURCE_NAMES[view.getUint8(at + L.CloseInfo.source)] ?? "protocol_error",
      isApplicationError: view.getUint8(at + L.CloseInfo.is_application_error) !== 0,
      errorCode: view.getBigUint64(at + L.CloseInfo.error_code, true),
      reason: new TextDecoder().decode(copyView(lib.ffi, view, at + L.CloseInfo.reason)),
    });
  }
  return out;
}

/** Reads `next_wakeup`, through the out-pointer extension when present. */
export function readNextWakeup(lib: CoquicLibrary, result: bigint, forceByValue = false): bigint | undefined {
  if (lib.extensions.nextWakeupOut && !forceByValue) {
    const rd = readerFor(lib);
    return lib.symbols.coquic_x_result_next_wakeup(result, rd.word) ? rd.wordView.getBigUint64(0, true) : undefined;
  }
  const w = lib.symbols.coquic_result_next_wakeup(result) as { has: boolean; value: bigint };
  return w.has ? w.value : undefined;
}

/**
 * Copies a native result into a `QueryResult` and destroys the native result.
 *
 * @example
 * ```ts
 * const r = takeResult(lib, resultAddress);
 * for (const e of r.effects) console.log(e.kind);
 * ```
 */
export function takeResult(lib: CoquicLibrary, result: bigint, forceByValue = false): QueryResult {
  const rd = readerFor(lib);
  const s = lib.symbols;
  try {
    let datagramCount = 0, datagramBytes = 0, otherCount = 0, hasLocalError: boolean, continuation: boolean;
    let nextWakeup: bigint | undefined;
    let closeCount = -1;
    if (lib.extensions.batchIo && !forceByValue) {
      s.coquic_x_result_summary(result, rd.summary);
      const v = rd.summaryView;
      datagramCount = Number(v.getBigUint64(L.ResultSummary.datagram_count, true));
      datagramBytes = Number(v.getBigUint64(L.ResultSummary.datagram_bytes, true));
      otherCount = Number(v.getBigUint64(L.ResultSummary.other_effect_count, true));
      nextWakeup = v.getUint8(L.ResultSummary.has_next_wakeup) ? v.getBigUint64(L.ResultSummary.next_wakeup, true) : undefined;
      hasLocalError = v.getUint8(L.ResultSummary.has_local_error) !== 0;
      continuation = v.getUint8(L.ResultSummary.send_continuation_pending) !== 0;
      closeCount = v.getUint8(L.ResultSummary.close_info_count);
    } else {
      hasLocalError = s.coquic_result_has_local_error(result) !== 0;
      continuation = s.coquic_result_send_continuation_pending(result) !== 0;
      nextWakeup = readNextWakeup(lib, result, forceByValue);
    }
    const effects = readEffects(rd, result, datagramCount, datagramBytes, otherCount);
    let localError: LocalError | undefined;
    if (hasLocalError) {
      s.coquic_result_local_error(result, rd.localError);
      const v = new DataView(rd.localError.buffer);
      localError = new LocalError(
        v.getUint8(L.LocalError.code),
        v.getUint8(L.LocalError.connection) ? v.getBigUint64(L.LocalError.connection + 8, true) : undefined,
        v.getUint8(L.LocalError.stream_id) ? v.getBigUint64(L.LocalError.stream_id + 8, true) : undefined,
      );
    }
    return {
      effects,
      nextWakeup,
      localError,
      sendContinuationPending: continuation,
      closeInfos: closeCount === 0 ? [] : readCloseInfos(rd, result),
    };
  } finally {
    s.coquic_result_destroy(result);
  }
}
