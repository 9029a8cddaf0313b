/**
 * Translates the neutral ABI description (`ffi/abi.ts`) into `bun:ffi` `dlopen` definitions.
 * Pure data: no Bun API is touched here (`runtimes/bun_ffi.ts` does the loading).
 *
 * `bun:ffi` has no struct types, so:
 * - `bytes_by_value` parameters become two `u64` parameters (pointer, length): on SysV x86-64
 *   and AAPCS64 a 16-byte INTEGER-class struct argument travels in two integer registers,
 *   exactly like two separate 64-bit arguments (reference §1.4);
 * - a function returning `optional_u64_by_value` cannot be called directly; it is declared
 *   with a `void` result only to obtain its address, and `runtimes/bun_ffi.ts` calls it
 *   through a small C adapter compiled with Bun's `cc`.
 *
 * @module
 */
import type { AbiType, SymbolSpec } from "./ffi_types.ts";

/**
 * A `bun:ffi` definition of one symbol.
 *
 * @example
 * ```ts
 * const def: BunDefinition = { args: ["u64"], returns: "usize" };
 * ```
 */
export interface BunDefinition {
  args: string[];
  returns: string;
}

/**
 * The Bun argument types for one neutral parameter type (two for `bytes_by_value`).
 *
 * @example
 * ```ts
 * bunArgTypes("bytes_by_value"); // ["u64", "u64"]
 * ```
 */
export function bunArgTypes(t: AbiType): string[] {
  switch (t) {
    case "pointer":
      return ["u64"];
    case "buffer":
      return ["ptr"];
    case "bytes_by_value":
      return ["u64", "u64"];
    case "optional_u64_by_value":
      throw new TypeError("a by-value optional is never a parameter in ABI v12");
    default:
      return [t];
  }
}

/**
 * Whether a symbol returns a struct by value (so Bun must call it through the adapter).
 *
 * @example
 * ```ts
 * returnsStructByValue({ parameters: ["pointer"], result: "optional_u64_by_value" }); // true
 * ```
 */
export function returnsStructByValue(spec: SymbolSpec): boolean {
  return spec.result === "optional_u64_by_value";
}

/**
 * The `bun:ffi` definition of a symbol.
 *
 * @example
 * ```ts
 * bunDefinition({ parameters: ["pointer", "bytes_by_value"], result: "u8" }).args.length; // 3: the bytes split in two
 * ```
 */
export function bunDefinition(spec: SymbolSpec): BunDefinition {
  const returns = spec.result === "pointer" ? "u64" : returnsStructByValue(spec)
    ? "void" // address only; called through the cc adapter
    : spec.result;
  return { args: spec.parameters.flatMap(bunArgTypes), returns };
}
