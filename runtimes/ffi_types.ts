/**
 * The FFI vocabulary: the neutral types the ABI description (`ffi/abi.ts`) writes its
 * signatures in, and the runtime-neutral surface every runtime adapter provides. Everything
 * above `runtimes/` talks to native code through this interface only.
 *
 * Calling convention of bound functions (identical on every runtime): `u8`/`u32`/`i32` are
 * numbers; `u64` and `pointer` results are bigints (arguments accept bigints); `usize` results
 * are numbers (arguments accept numbers or bigints); `buffer` arguments are typed arrays alive
 * for the call; `bytes_by_value` arguments are 16-byte Uint8Arrays holding `{address, length}`;
 * `optional_u64_by_value` results are `bigint | undefined`.
 *
 * @module
 */
/**
 * The neutral type vocabulary, and how JavaScript values cross it (the same in every runtime):
 * - `void`, `u8`, `u16`, `u32`, `i32`: numbers;
 * - `i64`: a bigint (signed: timeouts where -1 means none);
 * - `u64`: a bigint (handles, stream ids, times, codes);
 * - `usize` (`size_t`): a number (counts and lengths, far below 2^53); bigints are accepted as arguments;
 * - `pointer`: a native address held as a bigint (`coquic_endpoint_t*`, `coquic_result_t*`, views);
 * - `buffer`: a pointer into JavaScript memory, passed as a typed array that only needs to
 *   live for the call (struct scratch buffers, input bytes, out-parameters);
 * - `bytes_by_value`: a 16-byte `coquic_bytes_t {ptr, len}` passed BY VALUE, given as a
 *   16-byte Uint8Array holding the two words (on SysV x86-64 and AAPCS64 it travels in two
 *   integer registers, so it is ABI-identical to two `u64` arguments: reference §1.4);
 * - `optional_u64_by_value`: a 16-byte `{u8 has_value; u64 value}` RETURNED by value,
 *   surfaced as `bigint | undefined`.
 *
 * @example
 * ```ts
 * const t: AbiType = "usize";
 * ```
 */
export type AbiType =
  | "void"
  | "u8"
  | "u16"
  | "u32"
  | "i64"
  | "u64"
  | "usize"
  | "i32"
  | "pointer"
  | "buffer"
  | "bytes_by_value"
  | "optional_u64_by_value";

/**
 * One exported function: parameter and result types.
 *
 * @example
 * ```ts
 * const spec: SymbolSpec = { parameters: ["pointer"], result: "usize" };
 * ```
 */
export interface SymbolSpec {
  /** Parameter types. */
  readonly parameters: readonly AbiType[];
  /** Result type. */
  readonly result: AbiType;
  /**
   * The call blocks (it waits for I/O): runtimes that can run it on a worker thread do
   * (Deno's `nonblocking`, returning a promise); others bind it as a plain call.
   */
  readonly nonblocking?: boolean;
}

/**
 * A bound native function.
 *
 * @example
 * ```ts
 * declare const lib: NativeLibrary;
 * const version: NativeFunction = lib.symbols.coquic_ffi_abi_version;
 * console.log(version()); // 12
 * ```
 */
// deno-lint-ignore no-explicit-any
export type NativeFunction = (...args: any[]) => any;

/**
 * A loaded shared library with its bound symbols.
 *
 * @example
 * ```ts
 * declare const ffi: FfiRuntime, path: string;
 * const native = ffi.open(path, { coquic_ffi_abi_version: { parameters: [], result: "u32" } }, {
 *   coquic_x_engine_name: { parameters: [], result: "pointer" }, // bound only when exported
 * });
 * console.log(native.symbols.coquic_ffi_abi_version());
 * native.close();
 * ```
 */
export interface NativeLibrary {
  /** The path it was loaded from. */
  readonly path: string;
  /** Bound functions, by symbol name; optional symbols the library lacks are absent. */
  readonly symbols: Readonly<Record<string, NativeFunction>>;
  /** Unloads the library. */
  close(): void;
}

/**
 * What a runtime supplies to the FFI layer: loading, and the few pointer helpers the binding
 * needs (address of a buffer, copy of native memory, C strings).
 *
 * @example
 * ```ts
 * import { ffiRuntime } from "./detect.ts";
 * declare const address: bigint;
 * const ffi = ffiRuntime();
 * const copy = ffi.copyOut(address, 16); // a fresh Uint8Array
 * ```
 */
export interface FfiRuntime {
  /** "deno", "bun" or "node". */
  readonly name: "deno" | "bun" | "node";
  /**
   * Opens `path` and binds every `required` symbol (throwing if one is missing) and each
   * `optional` symbol the library exports (probed one by one; missing ones are absent).
   */
  open(
    path: string,
    required: Readonly<Record<string, SymbolSpec>>,
    optional: Readonly<Record<string, SymbolSpec>>,
  ): NativeLibrary;
  /**
   * Makes functions returning structs by value callable now (Bun compiles its C adapter;
   * Deno and Node need nothing). Throws with the reason when impossible.
   */
  prepareByValueReturns(): void;
  /** The native address of a buffer's first byte (valid while the buffer is alive and not moved). */
  addressOf(buffer: ArrayBufferView): bigint;
  /** Copies `target.length` bytes of native memory at `address` into `target`. */
  copyInto(address: bigint, target: Uint8Array): void;
  /** Copies `length` bytes of native memory at `address` into a new Uint8Array. */
  copyOut(address: bigint, length: number): Uint8Array;
  /** Reads a NUL-terminated string at `address`. */
  readCString(address: bigint): string;
}
