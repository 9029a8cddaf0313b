/**
 * Finds and loads a libcoquic, checks its ABI version, and detects our `coquic_x_`
 * extensions.
 *
 * Search order (the first library that loads wins):
 * 1. `COQUIC_LIB_PATH`: that exact file;
 * 2. `COQUIC_LIB_DIR` + `COQUIC_LIB_NAME` (the name defaults to `coquic-boringssl`, as in the
 *    Python binding; tried as `lib<name>.so` then `<name>.so`; a name starting with `lib` or
 *    `/`, or ending in `.so`, is used verbatim);
 * 3. the copy bundled in the npm package, `native/<os>-<arch>/libcoquic-ngtcp2.so` (e.g.
 *    `native/linux-x64/`, relative to the package root): our engine linked with RPATH
 *    `$ORIGIN` beside its own copies of ngtcp2's shared libraries (`make -C native dist`;
 *    GnuTLS stays a system dependency);
 * 4. repo-local `zig-out/lib/libcoquic-boringssl.so`, then `zig-out/lib/libcoquic-quictls.so`
 *    (relative to the package root, computed from `import.meta.url`);
 * 5. our own engine build, `native/build/libcoquic-ngtcp2.so`;
 * 6. the system loader: `libcoquic-boringssl.so`, `libcoquic-quictls.so`,
 *    `libcoquic-ngtcp2.so`, `libcoquic.so`.
 *
 * A library whose `coquic_ffi_abi_version()` is not 12 stops the search with a
 * `CoquicLoadError` saying so.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { COQUIC_FFI_ABI_VERSION, CORE_SYMBOLS, EXTENSION_SYMBOLS } from "./abi.ts";
import { ffiRuntime } from "../runtimes/detect.ts";
import type { FfiRuntime, NativeFunction } from "../runtimes/ffi_types.ts";

/**
 * One place the loader looked, and why it did not use it.
 *
 * @example
 * ```ts
 * const a: LoadAttempt = { path: "/x/libcoquic.so", reason: "no such file" };
 * ```
 */
export interface LoadAttempt {
  /** The library path (or bare name given to the system loader). */
  path: string;
  /** Why it was not used. */
  reason: string;
}

/**
 * No usable libcoquic was found, or the one found speaks another ABI version;
 * `attempts` lists every place tried and why it failed.
 *
 * @example
 * ```ts
 * try { loadCoquicSync(); } catch (e) {
 *   if (e instanceof CoquicLoadError) for (const a of e.attempts) console.log(a.path, a.reason);
 * }
 * ```
 */
export class CoquicLoadError extends Error {
  /** The error class name. */
  override name = "CoquicLoadError";
  /** Creates the error with `message` and every library location tried (`attempts`), in order. */
  constructor(message: string, readonly attempts: readonly LoadAttempt[]) {
    super(message);
  }
}

/**
 * Which optional `coquic_x_` extensions the loaded library offers (all false for an
 * upstream libcoquic, or when loaded with `extensions: false`).
 *
 * @example
 * ```ts
 * declare const lib: CoquicLibrary;
 * if (lib.extensions.closeInfos) console.log("peer close codes are reported");
 * ```
 */
export interface Extensions {
  /** All effects of a result in one call (`coquic_x_result_effects`). */
  batchEffects: boolean;
  /** next_wakeup through an out-pointer (`coquic_x_{endpoint,result}_next_wakeup`). */
  nextWakeupOut: boolean;
  /** Why connections failed, with the peer's close code and reason. */
  closeInfos: boolean;
  /** Transport statistics per connection. */
  stats: boolean;
  /** Trust an extra CA on a client endpoint. */
  trustedCa: boolean;
  /** The peer's leaf certificate DER (`coquic_x_connection_peer_certificate`): pinning by hash. */
  peerCertificate: boolean;
  /** Application-driven receive credit (backpressure). */
  manualCredit: boolean;
  /** Lost-packet counting in the stats (off by default in the engine: it costs CPU). */
  lossAccounting: boolean;
  /** Per-connection qlog files in a directory (`coquic_x_endpoint_set_qlog_dir`). */
  qlog: boolean;
  /** Unacknowledged bytes per stream (writer backpressure). */
  sendBuffered: boolean;
  /** The peer's stream limit as a stream id (`coquic_x_connection_stream_id_limit`): awaitable stream opens. */
  streamLimit: boolean;
  /** The largest DATAGRAM payload a connection can send (`coquic_x_connection_max_datagram_size`). */
  maxDatagramSize: boolean;
  /** A byte budget for half-open handshakes and their counts (`coquic_x_endpoint_set_half_open_limit`). */
  halfOpen: boolean;
  /** Stream-closed and stream-acknowledged effects (`coquic_x_endpoint_set_stream_effects`). */
  streamEffects: boolean;
  /** Batched datagram input and output. */
  batchIo: boolean;
  /** Batched input that carries each datagram's address-validation identity (Retry tokens bound to the address). */
  batchIdentities: boolean;
  /** Messages for non-OK statuses (`coquic_x_last_error_message`). */
  lastError: boolean;
  /** The engine owns the UDP socket (`coquic_x_io_*`: batched recv/send with GRO/GSO, waits off-thread). */
  nativeIo: boolean;
  /** Path validation outcomes as effects (`coquic_x_endpoint_set_path_effects`): when a migration is done. */
  pathEffects: boolean;
  /** A client's second native socket for migration (`coquic_x_io_bind_path`, `coquic_x_io_route_local_address`). */
  nativeMigration: boolean;
}

/**
 * A loaded libcoquic.
 *
 * @example
 * ```ts
 * const lib = loadCoquicSync();
 * console.log(lib.path, lib.abiVersion, lib.engine, lib.extensions.batchIo);
 * ```
 */
export interface CoquicLibrary {
  /** Where it was loaded from (a file path, or a bare name resolved by the system loader). */
  readonly path: string;
  /** `coquic_ffi_abi_version()`. */
  readonly abiVersion: number;
  /** Engine name when the library says (our engine: "ngtcp2/… gnutls/…"), else "libcoquic". */
  readonly engine: string;
  /** Bound functions (core symbols always; extension symbols when present and enabled). */
  readonly symbols: Readonly<Record<string, NativeFunction>>;
  /** Optional extensions present. */
  readonly extensions: Readonly<Extensions>;
  /** The runtime's FFI helpers (addresses, memory copies). */
  readonly ffi: FfiRuntime;
}

/**
 * Options for {@link loadCoquicSync}; environment and repo root are injectable for tests.
 *
 * @example
 * ```ts
 * const upstreamLike = loadCoquicSync({ extensions: false }); // core ABI only
 * ```
 */
export interface LoadOptions {
  /** Environment to read `COQUIC_LIB_*` from (default: the process environment). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Package root for the repo-local candidates (default: computed from this module's URL). */
  repoRoot?: string;
  /**
   * Bind the `coquic_x_` extensions when present (default true, unless the environment sets
   * `COQUIC_CORE_ABI_ONLY=1`). `false` uses the core ABI
   * only, exactly as with an upstream libcoquic: per-effect reads, by-value `next_wakeup`
   * (on Bun through the `cc` adapter, compiled at load).
   */
  extensions?: boolean;
}

/**
 * A candidate location: `file` candidates must exist; `system` ones are bare names given to
 * the system loader.
 *
 * @example
 * ```ts
 * const c: Candidate = { path: "libcoquic.so", kind: "system" };
 * ```
 */
export interface Candidate {
  /** The library path (or bare name given to the system loader). */
  path: string;
  /** "file": must exist; "system": a bare name for the system loader. */
  kind: "file" | "system";
}

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const SYSTEM_NAMES = ["libcoquic-boringssl.so", "libcoquic-quictls.so", "libcoquic-ngtcp2.so", "libcoquic.so"];

function processEnv(): Record<string, string | undefined> {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno?.env) {
    try {
      return g.Deno.env.toObject();
    } catch {
      return {}; // no --allow-env: behave as if nothing is set
    }
  }
  return g.process?.env ?? {};
}

/**
 * Whether `COQUIC_CORE_ABI_ONLY` asks for the core ABI alone ("1", "true" or "yes"): the
 * `coquic_x_` extensions of the loaded library are then left unbound, as if it were an
 * upstream libcoquic. The suite runs this way in CI so that every degraded path is tested.
 */
function coreAbiOnly(env: Readonly<Record<string, string | undefined>>): boolean {
  return /^(1|true|yes)$/i.test(env.COQUIC_CORE_ABI_ONLY ?? "");
}

/**
 * The `<os>-<arch>` folder name of the bundled engine for this machine (Node's naming:
 * `linux-x64`, `linux-arm64`, `darwin-arm64`…).
 *
 * @example
 * ```ts
 * console.log(platformDir()); // "linux-x64" on x86-64 Linux
 * ```
 */
export function platformDir(): string {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno?.build && !g.Bun) {
    const arch = g.Deno.build.arch === "x86_64" ? "x64" : g.Deno.build.arch === "aarch64" ? "arm64" : g.Deno.build.arch;
    const os = g.Deno.build.os === "windows" ? "win32" : g.Deno.build.os;
    return `${os}-${arch}`;
  }
  return `${g.process?.platform ?? "linux"}-${g.process?.arch ?? "x64"}`;
}

function fileNamesFor(name: string): string[] {
  if (name.startsWith("lib") || name.startsWith("/") || name.endsWith(".so")) return [name];
  return [`lib${name}.so`, `${name}.so`];
}

/**
 * The ordered candidate list of the search order (see the module documentation).
 *
 * @example
 * ```ts
 * candidates({ env: { COQUIC_LIB_DIR: "/opt/coquic" }, repoRoot: "/r" })[0].path;
 * // "/opt/coquic/libcoquic-boringssl.so"
 * ```
 */
export function candidates(opts: LoadOptions = {}): Candidate[] {
  const env = opts.env ?? processEnv();
  const root = opts.repoRoot ?? REPO_ROOT;
  const out: Candidate[] = [];
  if (env.COQUIC_LIB_PATH) out.push({ path: env.COQUIC_LIB_PATH, kind: "file" });
  if (env.COQUIC_LIB_DIR) {
    for (const n of fileNamesFor(env.COQUIC_LIB_NAME || "coquic-boringssl")) {
      out.push({ path: isAbsolute(n) ? n : join(env.COQUIC_LIB_DIR, n), kind: "file" });
    }
  }
  out.push({ path: join(root, "native", platformDir(), "libcoquic-ngtcp2.so"), kind: "file" });
  out.push({ path: join(root, "zig-out/lib/libcoquic-boringssl.so"), kind: "file" });
  out.push({ path: join(root, "zig-out/lib/libcoquic-quictls.so"), kind: "file" });
  out.push({ path: join(root, "native/build/libcoquic-ngtcp2.so"), kind: "file" });
  for (const n of SYSTEM_NAMES) out.push({ path: n, kind: "system" });
  return out;
}

const NO_EXTENSIONS: Extensions = {
  batchEffects: false,
  nextWakeupOut: false,
  closeInfos: false,
  stats: false,
  trustedCa: false,
  peerCertificate: false,
  manualCredit: false,
  lossAccounting: false,
  qlog: false,
  sendBuffered: false,
  streamLimit: false,
  maxDatagramSize: false,
  halfOpen: false,
  streamEffects: false,
  batchIo: false,
  batchIdentities: false,
  lastError: false,
  nativeIo: false,
  pathEffects: false,
  nativeMigration: false,
};

/** Native-socket functions beyond the base set: an engine without them still has native I/O. */
const IO_MIGRATION = ["coquic_x_io_bind_path", "coquic_x_io_route_local_address"];
/** Optional within native I/O (runtimes/io_waiter.ts looks for it): without it Deno waits through a `nonblocking` call. */
const IO_HUB_RETIRE = "coquic_x_io_hub_retire";

function detectExtensions(s: Readonly<Record<string, NativeFunction>>): Extensions {
  const has = (...names: string[]) => names.every((n) => typeof s[n] === "function");
  return {
    batchEffects: has("coquic_x_result_effects"),
    nextWakeupOut: has("coquic_x_endpoint_next_wakeup", "coquic_x_result_next_wakeup"),
    closeInfos: has("coquic_x_result_close_infos"),
    stats: has("coquic_x_connection_stats"),
    trustedCa: has("coquic_x_endpoint_add_trusted_ca"),
    peerCertificate: has("coquic_x_connection_peer_certificate"),
    manualCredit: has("coquic_x_endpoint_set_manual_credit", "coquic_x_connection_consume"),
    lossAccounting: has("coquic_x_endpoint_set_loss_accounting"),
    qlog: has("coquic_x_endpoint_set_qlog_dir"),
    sendBuffered: has("coquic_x_stream_send_buffered"),
    streamLimit: has("coquic_x_connection_stream_id_limit"),
    maxDatagramSize: has("coquic_x_connection_max_datagram_size"),
    halfOpen: has("coquic_x_endpoint_set_half_open_limit", "coquic_x_endpoint_half_open"),
    streamEffects: has("coquic_x_endpoint_set_stream_effects"),
    batchIo: has("coquic_x_endpoint_input_datagrams", "coquic_x_result_summary", "coquic_x_result_copy_datagrams"),
    batchIdentities: has("coquic_x_endpoint_input_datagrams_identified"),
    lastError: has("coquic_x_last_error_message"),
    nativeIo: has(
      ...Object.keys(EXTENSION_SYMBOLS).filter((n) =>
        n.startsWith("coquic_x_io_") && !IO_MIGRATION.includes(n) && n !== IO_HUB_RETIRE
      ),
    ),
    pathEffects: has("coquic_x_endpoint_set_path_effects"),
    nativeMigration: has(...IO_MIGRATION),
  };
}

const loaded = new Map<string, CoquicLibrary>();

/** Loads the library at one candidate, or returns why not (throws on an ABI mismatch). */
function tryLoad(
  ffi: FfiRuntime,
  path: string,
  withExtensions: boolean,
  attempts: LoadAttempt[],
): CoquicLibrary | undefined {
  const key = `${path}\0${withExtensions}`;
  const cached = loaded.get(key);
  if (cached) return cached;
  let abi: number;
  try {
    const probe = ffi.open(path, { coquic_ffi_abi_version: CORE_SYMBOLS.coquic_ffi_abi_version }, {});
    abi = probe.symbols.coquic_ffi_abi_version() as number;
    probe.close();
  } catch (e) {
    attempts.push({ path, reason: firstLine(e) });
    return undefined;
  }
  if (abi !== COQUIC_FFI_ABI_VERSION) {
    attempts.push({ path, reason: `ABI version ${abi}, this binding needs ${COQUIC_FFI_ABI_VERSION}` });
    throw new CoquicLoadError(
      `coquic: ${path} speaks CoQUIC ABI version ${abi}, but this binding needs version ` +
        `${COQUIC_FFI_ABI_VERSION} (ABI mismatch); rebuild it (\`deno task native\`) or point ` +
        `COQUIC_LIB_PATH at a matching library.\n` + describe(attempts),
      attempts,
    );
  }
  let native;
  try {
    native = ffi.open(path, CORE_SYMBOLS, withExtensions ? EXTENSION_SYMBOLS : {});
  } catch (e) {
    attempts.push({ path, reason: `incomplete ABI v${abi}: ${firstLine(e)}` });
    return undefined;
  }
  const extensions = withExtensions ? detectExtensions(native.symbols) : { ...NO_EXTENSIONS };
  if (!extensions.nextWakeupOut) {
    try {
      ffi.prepareByValueReturns(); // Bun: compile the cc adapter now, not on the first call
    } catch (e) {
      native.close();
      attempts.push({ path, reason: `cannot call next_wakeup by value: ${firstLine(e)}` });
      return undefined;
    }
  }
  const engine = native.symbols.coquic_x_engine_name
    ? ffi.readCString(native.symbols.coquic_x_engine_name() as bigint)
    : "libcoquic";
  const lib: CoquicLibrary = Object.freeze({
    path,
    abiVersion: abi,
    engine,
    symbols: native.symbols,
    extensions: Object.freeze(extensions),
    ffi,
  });
  loaded.set(key, lib);
  return lib;
}

/**
 * Loads libcoquic following the search order, verifying `coquic_ffi_abi_version() == 12`.
 * Loading the same library twice returns the same object.
 *
 * @example
 * ```ts
 * const lib = loadCoquicSync();
 * console.log(lib.path, lib.abiVersion, lib.extensions.batchIo);
 * ```
 */
export function loadCoquicSync(opts: LoadOptions = {}): CoquicLibrary {
  const ffi = ffiRuntime();
  const attempts: LoadAttempt[] = [];
  for (const c of candidates(opts)) {
    if (c.kind === "file" && !existsSync(c.path)) {
      attempts.push({ path: c.path, reason: "no such file" });
      continue;
    }
    const lib = tryLoad(ffi, c.path, opts.extensions ?? !coreAbiOnly(opts.env ?? processEnv()), attempts);
    if (lib) return lib;
  }
  if (attempts.some((a) => /--allow-ffi/.test(a.reason))) {
    throw new CoquicLoadError(
      "coquic: Deno refused to load libcoquic: run with --allow-ffi (or -A); it needs --allow-read " +
        "and --allow-env for the library search too.\n" + describe(attempts),
      attempts,
    );
  }
  throw new CoquicLoadError(
    "coquic: no usable libcoquic found. Build the bundled engine with `deno task native` " +
      "(or `make -C native`), or set COQUIC_LIB_PATH to a libcoquic shared library.\n" + describe(attempts),
    attempts,
  );
}

/**
 * {@link loadCoquicSync} for `await` call sites.
 *
 * @example
 * ```ts
 * const lib = await loadCoquic();
 * console.log(lib.engine);
 * ```
 */
export function loadCoquic(opts: LoadOptions = {}): Promise<CoquicLibrary> {
  try {
    return Promise.resolve(loadCoquicSync(opts));
  } catch (e) {
    return Promise.reject(e);
  }
}

let defaultLib: CoquicLibrary | undefined;

/**
 * The library used when none is given (loaded on first use with the default search).
 *
 * @example
 * ```ts
 * console.log(defaultLibrary().path);
 * ```
 */
export function defaultLibrary(): CoquicLibrary {
  return defaultLib ??= loadCoquicSync();
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

function describe(attempts: readonly LoadAttempt[]): string {
  return "tried:\n" + attempts.map((a) => `  ${a.path}: ${a.reason}`).join("\n");
}
