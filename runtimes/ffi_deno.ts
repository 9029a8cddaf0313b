/**
 * FFI on Deno (`Deno.dlopen`). 16-byte structs are passed and returned by value with
 * Deno's struct types. Addresses travel as bigints (cheap for `u64` parameters).
 *
 * @module
 */
import type { NeutralType, SymbolSpec } from "../ffi/abi.ts";
import type { FfiRuntime, NativeFunction, NativeLibrary } from "./ffi_types.ts";

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;

// deno-lint-ignore no-explicit-any
function denoType(t: NeutralType): any {
  switch (t) {
    case "ptr":
    case "u64":
      return "u64";
    case "buf":
      return "buffer";
    case "bytes16":
      return { struct: ["u64", "u64"] };
    case "opt16":
      return { struct: ["u8", "u64"] };
    default:
      return t; // void, u8, u32, i32
  }
}

// deno-lint-ignore no-explicit-any
function definition(spec: SymbolSpec): any {
  return { parameters: spec.parameters.map(denoType), result: denoType(spec.result) };
}

// deno-lint-ignore no-explicit-any
function adapt(fn: (...a: any[]) => any, spec: SymbolSpec): NativeFunction {
  if (spec.result === "opt16") {
    // deno-lint-ignore no-explicit-any
    return (...args: any[]) => {
      const out: Uint8Array = fn(...args);
      const view = new DataView(out.buffer, out.byteOffset, 16);
      return { has: view.getUint8(0) !== 0, value: view.getBigUint64(8, true) };
    };
  }
  if (spec.result === "u64" || spec.result === "ptr") {
    // deno-lint-ignore no-explicit-any
    return (...args: any[]) => BigInt(fn(...args));
  }
  return fn;
}

function symbolExists(path: string, name: string, spec: SymbolSpec): boolean {
  try {
    D.dlopen(path, { [name]: definition(spec) }).close();
    return true;
  } catch {
    return false;
  }
}

/** The Deno FFI runtime. */
export const denoFfi: FfiRuntime = {
  name: "deno",
  open(path, required, optional): NativeLibrary {
    // deno-lint-ignore no-explicit-any
    const defs: Record<string, any> = {};
    for (const [name, spec] of Object.entries(required)) defs[name] = definition(spec);
    for (const [name, spec] of Object.entries(optional)) {
      if (symbolExists(path, name, spec)) defs[name] = definition(spec);
    }
    const lib = D.dlopen(path, defs);
    const symbols: Record<string, NativeFunction> = {};
    const all = { ...required, ...optional };
    for (const name of Object.keys(defs)) symbols[name] = adapt(lib.symbols[name], all[name]);
    return { path, symbols, close: () => lib.close() };
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
};
