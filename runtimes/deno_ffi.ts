/**
 * FFI on Deno (`Deno.dlopen`). Symbol definitions come from `ffi/deno_symbols.ts`; 16-byte
 * structs are passed and returned by value with Deno's struct types.
 *
 * @module
 */
import type { SymbolSpec } from "../ffi/abi.ts";
import { denoDefinition } from "../ffi/deno_symbols.ts";
import type { FfiRuntime, NativeFunction, NativeLibrary } from "./ffi_types.ts";

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;

/** Wraps a raw Deno function so its result follows the neutral calling convention. */
// deno-lint-ignore no-explicit-any
function adapt(fn: (...a: any[]) => any, spec: SymbolSpec): NativeFunction {
  if (spec.nonblocking) return fn; // returns a promise of the result
  switch (spec.result) {
    case "optional_u64_by_value":
      // deno-lint-ignore no-explicit-any
      return (...args: any[]) => {
        const out: Uint8Array = fn(...args);
        const view = new DataView(out.buffer, out.byteOffset, 16);
        return view.getUint8(0) !== 0 ? view.getBigUint64(8, true) : undefined;
      };
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

/** Whether `path` exports `name` (a separate dlopen, so a missing symbol fails alone). */
function exports(path: string, name: string, spec: SymbolSpec): boolean {
  try {
    D.dlopen(path, { [name]: denoDefinition(spec) }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * The Deno FFI runtime.
 *
 * @example
 * ```ts
 * import { CORE_SYMBOLS } from "../ffi/abi.ts";
 * const native = denoFfi.open("/path/libcoquic-ngtcp2.so", CORE_SYMBOLS, {});
 * console.log(native.symbols.coquic_ffi_abi_version()); // 12
 * ```
 */
export const denoFfi: FfiRuntime = {
  name: "deno",
  open(path, required, optional): NativeLibrary {
    const specs: Record<string, SymbolSpec> = { ...required };
    for (const [name, spec] of Object.entries(optional)) if (exports(path, name, spec)) specs[name] = spec;
    const defs = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, denoDefinition(spec)]));
    const lib = D.dlopen(path, defs);
    const symbols: Record<string, NativeFunction> = {};
    for (const [name, spec] of Object.entries(specs)) symbols[name] = adapt(lib.symbols[name], spec);
    return { path, symbols, close: () => lib.close() };
  },
  prepareByValueReturns() {
    // Deno returns structs by value natively.
  },
  addressOf(buffer) {
    if (buffer.byteLength === 0) return 0n;
    return BigInt(D.UnsafePointer.value(D.UnsafePointer.of(buffer)));
  },
  copyInto(address, target) {
    if (target.length === 0) return;
    D.UnsafePointerView.copyInto(D.UnsafePointer.create(address), target);
  },
  copyOut(address, length) {
    const out = new Uint8Array(length);
    this.copyInto(address, out);
    return out;
  },
  readCString(address) {
    return D.UnsafePointerView.getCString(D.UnsafePointer.create(address));
  },
};
