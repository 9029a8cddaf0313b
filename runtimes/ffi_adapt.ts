/**
 * What the runtime adapters share: the neutral result convention of `ffi_types.ts` applied
 * to a raw bound function, opening a library whose FFI binds every symbol in one `dlopen`
 * (Deno, Bun), where an optional symbol the library lacks must be probed alone, and
 * `copyOut` made of the runtime's `copyInto`.
 *
 * @module
 */
import type { AbiType, FfiRuntime, NativeFunction, NativeLibrary, SymbolSpec } from "./ffi_types.ts";

/**
 * Wraps a raw function so its plain result follows the neutral convention: `usize` becomes a
 * number, `u64` and `pointer` bigints; other results pass through (the by-value optional is
 * each runtime's own business).
 *
 * @example
 * ```ts
 * const len = neutralResult(() => 3n, "usize");
 * console.log(len()); // 3
 * ```
 */
export function neutralResult(fn: NativeFunction, result: AbiType): NativeFunction {
  switch (result) {
    case "usize":
      // deno-lint-ignore no-explicit-any
      return (...args: any[]) => Number(fn(...args));
    case "u64":
    case "pointer":
      // deno-lint-ignore no-explicit-any
      return (...args: any[]) => BigInt(fn(...args));
    default:
      return fn;
  }
}

/** One runtime's `dlopen`: binds all `definitions` at once, throwing if one is missing. */
export type Dlopen<D> = (
  path: string,
  definitions: Record<string, D>,
) => { symbols: Record<string, NativeFunction>; close(): void };

/**
 * Opens `path` through a whole-library `dlopen`: each optional symbol is first probed with a
 * `dlopen` of its own (so a missing one fails alone), then everything present is bound once
 * and each raw function goes through `adapt`.
 *
 * @example
 * ```ts
 * import type { Dlopen } from "./ffi_adapt.ts";
 * declare const dlopen: Dlopen<string>;
 * const native = openAll("/path/libcoquic-ngtcp2.so", {
 *   coquic_ffi_abi_version: { parameters: [], result: "u32" },
 * }, {}, dlopen, (spec) => spec.result, (fn) => fn);
 * console.log(native.symbols.coquic_ffi_abi_version()); // 12
 * ```
 */
export function openAll<D>(
  path: string,
  required: Readonly<Record<string, SymbolSpec>>,
  optional: Readonly<Record<string, SymbolSpec>>,
  dlopen: Dlopen<D>,
  define: (spec: SymbolSpec) => D,
  adapt: (fn: NativeFunction, spec: SymbolSpec) => NativeFunction,
): NativeLibrary {
  const specs: Record<string, SymbolSpec> = { ...required };
  for (const [name, spec] of Object.entries(optional)) {
    try {
      dlopen(path, { [name]: define(spec) }).close();
      specs[name] = spec;
    } catch {
      // absent: the binding degrades without it
    }
  }
  const lib = dlopen(path, Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, define(spec)])));
  const symbols: Record<string, NativeFunction> = {};
  for (const [name, spec] of Object.entries(specs)) symbols[name] = adapt(lib.symbols[name], spec);
  return { path, symbols, close: () => lib.close() };
}

/**
 * A runtime from its own parts: `copyOut` is the same everywhere, `copyInto` a fresh array
 * (`copyInto` must not rely on `this`).
 *
 * @example
 * ```ts
 * import type { FfiRuntime } from "./ffi_types.ts";
 * declare const parts: Omit<FfiRuntime, "copyOut">;
 * const ffi = withCopyOut(parts);
 * ```
 */
export function withCopyOut(parts: Omit<FfiRuntime, "copyOut">): FfiRuntime {
  const copyInto = parts.copyInto;
  return {
    ...parts,
    copyOut(address, length) {
      const out = new Uint8Array(length);
      copyInto(address, out);
      return out;
    },
  };
}
