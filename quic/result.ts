/**
 * `QueryResult`: a native `coquic_result_t` copied into JS values, after which the native
 * result is destroyed. Uses the batch extension when the library has it (one call for all
 * effects) and falls back to one `coquic_result_effect_at` per effect.
 *
 * @module
 */
import * as L from "../ffi/layout.ts";
import { CloseSource } from "../ffi/abi.ts";
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
  big = new Uint8Array(L.Effect.size * 64);
  constructor(readonly lib: CoquicLibrary) {}
}

const readers = new WeakMap<CoquicLibrary, ResultReader>();

function readerFor(lib: CoquicLibrary): ResultReader {
  let r = readers.get(lib);
  if (!r) readers.set(lib, r = new ResultReader(lib));
  return r;
}

/** Reads the effects of a native result. */
function readEffects(rd: ResultReader, result: bigint): Effect[] {
  const { lib } = rd;
  const s = lib.symbols;
  const effects: Effect[] = [];
  if (lib.extensions.batchEffects) {
    const base = s.coquic_x_result_effects(result, rd.word) as bigint;
    const count = Number(rd.wordView.getBigUint64(0, true));
    if (count === 0) return effects;
    const bytes = count * L.Effect.size;
    if (rd.big.length < bytes) rd.big = new Uint8Array(bytes * 2);
    const chunk = rd.big.subarray(0, bytes);
    lib.ffi.copyInto(base, chunk);
    const view = new DataView(rd.big.buffer, 0, bytes);
    for (let i = 0; i < count; i++) effects.push(decodeEffect(lib.ffi, view, i * L.Effect.size));
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
    const effects = readEffects(rd, result);
    let localError: LocalError | undefined;
    if (s.coquic_result_has_local_error(result)) {
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
      nextWakeup: readNextWakeup(lib, result, forceByValue),
      localError,
      sendContinuationPending: s.coquic_result_send_continuation_pending(result) !== 0,
      closeInfos: readCloseInfos(rd, result),
    };
  } finally {
    s.coquic_result_destroy(result);
  }
}
