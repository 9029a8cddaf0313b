/**
 * Finds and loads a libcoquic, checks its ABI version, and detects our extensions.
 *
 * Search order (the first library that loads wins):
 * 1. `COQUIC_LIB_PATH`: that exact file;
 * 2. `COQUIC_LIB_DIR` + `COQUIC_LIB_NAME` (name defaults to `coquic-boringssl`; tried as
 *    `lib<name>.so` then `<name>.so`; a name starting with `lib` or `/`, or ending in `.so`,
 *    is used verbatim);
 * 3. repo-local `zig-out/lib/libcoquic-boringssl.so`, then `zig-out/lib/libcoquic-quictls.so`;
 * 4. our own engine build, `native/build/libcoquic-ngtcp2.so`;
 * 5. the system loader: `libcoquic-boringssl.so`, `libcoquic-quictls.so`,
 *    `libcoquic-ngtcp2.so`, `libcoquic.so`.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { COQUIC_FFI_ABI_VERSION, CORE_SYMBOLS, EXTENSION_SYMBOLS } from "./abi.ts";
import { ffiRuntime } from "../runtimes/detect.ts";
import type { FfiRuntime, NativeFunction } from "../runtimes/ffi_types.ts";

/** One place the loader looked, and why it did not use it. */
export interface LoadAttempt {
  path: string;
  reason: string;
}

/** No usable libcoquic was found; `attempts` lists every place tried and why it failed. */
export class CoquicLoadError extends Error {
  override name = "CoquicLoadError";
  constructor(message: string, readonly attempts: readonly LoadAttempt[]) {
    super(message);
  }
}

/** Which optional `coquic_x_` extensions the loaded library offers. */
export interface Extensions {
  /** All effects of a result in one call. */
  batchEffects: boolean;
  /** next_wakeup through an out-pointer. */
  nextWakeupOut: boolean;
  /** Why connections failed, with the peer's close code and reason. */
  closeInfos: boolean;
  /** Transport statistics per connection. */
  stats: boolean;
  /** Trust an extra CA on a client endpoint. */
  trustedCa: boolean;
  /** Application-driven receive credit (backpressure). */
  manualCredit: boolean;
  /** Unacknowledged bytes per stream (writer backpressure). */
  sendBuffered: boolean;
  /** Batched datagram input and output. */
  batchIo: boolean;
  /** Messages for non-OK statuses. */
  lastError: boolean;
}

/** A loaded libcoquic. */
export interface CoquicLibrary {
  /** Where it was loaded from. */
  readonly path: string;
  /** `coquic_ffi_abi_version()`. */
  readonly abiVersion: number;
  /** Engine name when the library says (our engine: "ngtcp2/… gnutls/…"). */
  readonly engine: string;
  /** Bound functions. */
  readonly symbols: Readonly<Record<string, NativeFunction>>;
  /** Optional extensions present. */
  readonly extensions: Readonly<Extensions>;
  /** The runtime's FFI helpers (addresses, memory copies). */
  readonly ffi: FfiRuntime;
}

/** Options for {@link loadCoquic}; environment and repo root are injectable for tests. */
export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  repoRoot?: string;
}

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

function processEnv(): Record<string, string | undefined> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno?.env) {
    try {
      return g.Deno.env.toObject();
    } catch {
      return {};
    }
  }
  return g.process?.env ?? {};
}

function namesFor(name: string): string[] {
  if (name.startsWith("lib") || name.startsWith("/") || name.endsWith(".so")) return [name];
  return [`lib${name}.so`, `${name}.so`];
}

/** The ordered candidate list; `file` candidates must exist, `system` ones go to the loader. */
export function candidates(opts: LoadOptions = {}): { path: string; kind: "file" | "system" }[] {
  const env = opts.env ?? processEnv();
  const root = opts.repoRoot ?? REPO_ROOT;
  const out: { path: string; kind: "file" | "system" }[] = [];
  if (env.COQUIC_LIB_PATH) out.push({ path: env.COQUIC_LIB_PATH, kind: "file" });
  if (env.COQUIC_LIB_DIR) {
    for (const n of namesFor(env.COQUIC_LIB_NAME || "coquic-boringssl")) {
      out.push({ path: isAbsolute(n) ? n : join(env.COQUIC_LIB_DIR, n), kind: "file" });
    }
  }
  out.push({ path: join(root, "zig-out/lib/libcoquic-boringssl.so"), kind: "file" });
  out.push({ path: join(root, "zig-out/lib/libcoquic-quictls.so"), kind: "file" });
  out.push({ path: join(root, "native/build/libcoquic-ngtcp2.so"), kind: "file" });
  for (const n of ["libcoquic-boringssl.so", "libcoquic-quictls.so", "libcoquic-ngtcp2.so", "libcoquic.so"]) {
    out.push({ path: n, kind: "system" });
  }
  return out;
}

function detectExtensions(s: Readonly<Record<string, NativeFunction>>): Extensions {
  const has = (...names: string[]) => names.every((n) => typeof s[n] === "function");
  return {
    batchEffects: has("coquic_x_result_effects"),
    nextWakeupOut: has("coquic_x_endpoint_next_wakeup", "coquic_x_result_next_wakeup"),
    closeInfos: has("coquic_x_result_close_infos"),
    stats: has("coquic_x_connection_stats"),
    trustedCa: has("coquic_x_endpoint_add_trusted_ca"),
    manualCredit: has("coquic_x_endpoint_set_manual_credit", "coquic_x_connection_consume"),
    sendBuffered: has("coquic_x_stream_send_buffered"),
    batchIo: has("coquic_x_endpoint_input_datagrams", "coquic_x_result_summary", "coquic_x_result_copy_datagrams"),
    lastError: has("coquic_x_last_error_message"),
  };
}

const loaded = new Map<string, CoquicLibrary>();

/**
 * Loads libcoquic following the search order, verifying `coquic_ffi_abi_version() == 12`.
 *
 * @example
 * ```ts
 * const lib = await loadCoquic();
 * console.log(lib.path, lib.abiVersion, lib.extensions.batchIo);
 * ```
 */
export async function loadCoquic(opts: LoadOptions = {}): Promise<CoquicLibrary> {
  const ffi = await ffiRuntime();
  const attempts: LoadAttempt[] = [];
  for (const c of candidates(opts)) {
    if (c.kind === "file" && !existsSync(c.path)) {
      attempts.push({ path: c.path, reason: "no such file" });
      continue;
    }
    const cached = loaded.get(c.path);
    if (cached) return cached;
    let native;
    try {
      native = ffi.open(c.path, { coquic_ffi_abi_version: CORE_SYMBOLS.coquic_ffi_abi_version }, {});
    } catch (e) {
      attempts.push({ path: c.path, reason: firstLine(e) });
      continue;
    }
    const abi = native.symbols.coquic_ffi_abi_version() as number;
    native.close();
    if (abi !== COQUIC_FFI_ABI_VERSION) {
      attempts.push({ path: c.path, reason: `ABI version ${abi}, this binding needs ${COQUIC_FFI_ABI_VERSION}` });
      throw new CoquicLoadError(
        `coquic: ${c.path} speaks CoQUIC ABI version ${abi}, but this binding needs version ` +
          `${COQUIC_FFI_ABI_VERSION}; rebuild or point COQUIC_LIB_PATH at a matching library.\n` +
          describe(attempts),
        attempts,
      );
    }
    let full;
    try {
      full = ffi.open(c.path, CORE_SYMBOLS, EXTENSION_SYMBOLS);
    } catch (e) {
      attempts.push({ path: c.path, reason: `incomplete ABI: ${firstLine(e)}` });
      continue;
    }
    const extensions = detectExtensions(full.symbols);
    const engine = full.symbols.coquic_x_engine_name
      ? ffi.readCString(full.symbols.coquic_x_engine_name() as bigint)
      : "libcoquic";
    const lib: CoquicLibrary = { path: c.path, abiVersion: abi, engine, symbols: full.symbols, extensions, ffi };
    loaded.set(c.path, lib);
    return lib;
  }
  throw new CoquicLoadError(
    "coquic: no usable libcoquic found. Build the bundled engine with `deno task native` " +
      "(or `make -C native`), or set COQUIC_LIB_PATH to a libcoquic shared library.\n" + describe(attempts),
    attempts,
  );
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

function describe(attempts: readonly LoadAttempt[]): string {
  return "tried:\n" + attempts.map((a) => `  ${a.path}: ${a.reason}`).join("\n");
}
