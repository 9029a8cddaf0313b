/**
 * The runtime-neutral FFI surface every runtime adapter provides. Everything above
 * `runtimes/` talks to native code through this interface only.
 *
 * Calling convention of bound functions (from the neutral types in `ffi/abi.ts`, identical
 * on every runtime): `u8`/`u32`/`i32` are numbers; `u64` and `pointer` results are bigints
 * (arguments accept bigints); `usize` results are numbers (arguments accept numbers or
 * bigints); `buffer` arguments are typed arrays alive for the call; `bytes_by_value`
 * arguments are 16-byte Uint8Arrays holding `{address, length}`; `optional_u64_by_value`
 * results are `bigint | undefined`.
 *
 * @module
 */
import type { SymbolSpec } from "../ffi/abi.ts";

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
 * import { CORE_SYMBOLS, EXTENSION_SYMBOLS } from "../ffi/abi.ts";
 * declare const ffi: FfiRuntime, path: string;
 * const native = ffi.open(path, CORE_SYMBOLS, EXTENSION_SYMBOLS);
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
