/**
 * Translates the neutral ABI description (`ffi/abi.ts`) into `Deno.dlopen` symbol definitions.
 * Pure data: no Deno API is touched here (`runtimes/deno_ffi.ts` does the loading).
 *
 * Mapping: `pointer` travels as `u64` (addresses stay bigints, no pointer objects), `buffer`
 * as `buffer` (a typed array), the 16-byte by-value cases as Deno struct types.
 *
 * @module
 */
import type { AbiType, SymbolSpec } from "./ffi_types.ts";

/**
 * A Deno FFI type: a native type name or a struct.
 *
 * @example
 * ```ts
 * const t: DenoType = { struct: ["u8", "u64"] };
 * ```
 */
export type DenoType = string | { struct: DenoType[] };

/**
 * A `Deno.dlopen` definition of one symbol.
 *
 * @example
 * ```ts
 * const def: DenoDefinition = { parameters: ["u64"], result: "usize" };
 * ```
 */
export interface DenoDefinition {
  parameters: DenoType[];
  result: DenoType;
  /** Runs on a worker thread and returns a promise (blocking waits). */
  nonblocking?: boolean;
}

/**
 * The Deno type for one neutral type.
 *
 * @example
 * ```ts
 * denoType("bytes_by_value"); // { struct: ["u64", "u64"] }
 * ```
 */
export function denoType(t: AbiType): DenoType {
  switch (t) {
    case "pointer":
      return "u64";
    case "buffer":
      return "buffer";
    case "bytes_by_value":
      return { struct: ["u64", "u64"] };
    case "optional_u64_by_value":
      return { struct: ["u8", "u64"] };
    default:
      return t; // void, u8, u16, u32, u64, i64, usize, i32 share their names
  }
}

/**
 * The `Deno.dlopen` definition of a symbol.
 *
 * @example
 * ```ts
 * denoDefinition({ parameters: ["pointer"], result: "optional_u64_by_value" }); // coquic_endpoint_next_wakeup
 * // { parameters: ["u64"], result: { struct: ["u8", "u64"] } }
 * ```
 */
export function denoDefinition(spec: SymbolSpec): DenoDefinition {
  const def: DenoDefinition = { parameters: spec.parameters.map(denoType), result: denoType(spec.result) };
  if (spec.nonblocking) def.nonblocking = true;
  return def;
}
