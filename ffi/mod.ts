/**
 * The CoQUIC C ABI description and the library loader.
 *
 * @example
 * ```ts
 * import { loadCoquic } from "./mod.ts";
 * const lib = await loadCoquic();
 * console.log(lib.path, lib.engine);
 * ```
 *
 * @module
 */
export * from "./abi.ts";
export { Layout as layout } from "./abi.ts";
export * from "./loader.ts";
export type { AbiType, FfiRuntime, NativeFunction, NativeLibrary, SymbolSpec } from "../runtimes/ffi_types.ts";
