/**
 * The runtime-neutral FFI surface every runtime adapter provides. Everything above
 * `runtimes/` talks to native code through this interface only.
 *
 * Calling convention of the bound functions (from the neutral types in `ffi/abi.ts`):
 * `ptr` and `u64` arguments are bigints, `buf` arguments are Uint8Arrays, `bytes16`
 * arguments are 16-byte Uint8Arrays holding `{address, length}`; `u8`/`u32` results are
 * numbers, `u64`/`ptr` results bigints, `opt16` results `{ has: boolean, value: bigint }`.
 *
 * @module
 */
import type { SymbolSpec } from "../ffi/abi.ts";

/** A bound native function. */
// deno-lint-ignore no-explicit-any
export type NativeFunction = (...args: any[]) => any;

/** A loaded shared library with its bound symbols. */
export interface NativeLibrary {
  /** The path it was loaded from. */
  readonly path: string;
  /** Bound functions, by symbol name; optional symbols the library lacks are absent. */
  readonly symbols: Readonly<Record<string, NativeFunction>>;
  /** Unloads the library. */
  close(): void;
}

/** What a runtime supplies to the FFI layer. */
export interface FfiRuntime {
  /** "deno", "bun" or "node". */
  readonly name: string;
  /**
   * Opens `path` and binds `required` symbols (failing if one is missing) and whichever of
   * `optional` exist.
   */
  open(
    path: string,
    required: Readonly<Record<string, SymbolSpec>>,
    optional: Readonly<Record<string, SymbolSpec>>,
  ): NativeLibrary;
  /** The native address of a buffer's first byte (valid while the buffer is alive). */
  addressOf(buffer: Uint8Array): bigint;
  /** Copies `target.length` bytes of native memory at `address` into `target`. */
  copyInto(address: bigint, target: Uint8Array): void;
  /** Reads a NUL-terminated string at `address`. */
  readCString(address: bigint): string;
}

/** Reads the 16-byte `{has_value, value}` optional returned by value into a plain object. */
export interface OptionalU64 {
  has: boolean;
  value: bigint;
}
