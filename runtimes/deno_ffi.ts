/**
 * FFI on Deno (`Deno.dlopen`). Symbol definitions come from `deno_symbols.ts`; 16-byte
 * structs are passed and returned by value with Deno's struct types.
 *
 * @module
 */
import { denoDefinition } from "./deno_symbols.ts";
import { neutralResult, openAll, withCopyOut } from "./ffi_adapt.ts";
import type { FfiRuntime, NativeFunction, NativeLibrary, SymbolSpec } from "./ffi_types.ts";

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;

/** Wraps a raw Deno function so its result follows the neutral calling convention. */
// deno-lint-ignore no-explicit-any
function adapt(fn: (...a: any[]) => any, spec: SymbolSpec): NativeFunction {
  if (spec.nonblocking) return fn; // returns a promise of the result
  if (spec.result !== "optional_u64_by_value") return neutralResult(fn, spec.result);
  // deno-lint-ignore no-explicit-any
  return (...args: any[]) => {
    const out: Uint8Array = fn(...args);
    const view = new DataView(out.buffer, out.byteOffset, 16);
    return view.getUint8(0) !== 0 ? view.getBigUint64(8, true) : undefined;
  };
}

/**
 * The Deno FFI runtime.
 *
 * @example
 * ```ts
 * const native = denoFfi.open("/path/libcoquic-ngtcp2.so", {
 *   coquic_ffi_abi_version: { parameters: [], result: "u32" },
 * }, {});
 * console.log(native.symbols.coquic_ffi_abi_version()); // 12
 * ```
 */
export const denoFfi: FfiRuntime = withCopyOut({
  name: "deno",
  open(path, required, optional): NativeLibrary {
    return openAll(path, required, optional, (p, defs) => D.dlopen(p, defs), denoDefinition, adapt);
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
  readCString(address) {
    return D.UnsafePointerView.getCString(D.UnsafePointer.create(address));
  },
});
