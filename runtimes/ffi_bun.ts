/**
 * FFI on Bun (`bun:ffi`). Bun cannot pass or return structs by value, so:
 * - a 16-byte `{ptr,len}` argument is passed as two u64 arguments (the same registers on
 *   SysV x86-64 and AAPCS64);
 * - a function returning a 16-byte optional is called through a tiny C adapter compiled
 *   at load time with Bun's built-in `cc` (TinyCC), which calls the library's function
 *   pointer and writes the result to an out-pointer. This keeps an unmodified upstream
 *   libcoquic working under Bun.
 *
 * @module
 */
import type { NeutralType, SymbolSpec } from "../ffi/abi.ts";
import type { FfiRuntime, NativeFunction, NativeLibrary } from "./ffi_types.ts";

// deno-lint-ignore no-explicit-any
const bunFfi: any = await import("bun:ffi" as string);

// deno-lint-ignore no-explicit-any
function bunTypes(t: NeutralType): any[] {
  switch (t) {
    case "ptr":
    case "u64":
      return ["u64"];
    case "buf":
      return ["ptr"];
    case "bytes16":
      return ["u64", "u64"];
    case "opt16":
      return ["void"]; // replaced by the adapter
    case "i32":
      return ["i32"];
    default:
      return [t];
  }
}

const ADAPTER_SOURCE = `
typedef unsigned char u8;
typedef unsigned long long u64;
typedef struct { u8 has_value; u64 value; } opt16;
typedef opt16 (*opt16_fn)(const void *);
u8 coquic_ts_call_opt16(void *fn, const void *arg, u64 *out) {
    opt16 r = ((opt16_fn)fn)(arg);
    *out = r.value;
    return r.has_value;
}
`;

// deno-lint-ignore no-explicit-any
let adapter: any = null;
let adapterError: unknown = null;

/** Compiles the by-value adapter once per process. */
// deno-lint-ignore no-explicit-any
function opt16Adapter(): any {
  if (adapter || adapterError) {
    if (adapterError) throw adapterError;
    return adapter;
  }
  try {
    const fs = require("node:fs");
    const os = require("node:os");
    const pathMod = require("node:path");
    const dir = fs.mkdtempSync(pathMod.join(os.tmpdir(), "coquic-ts-cc-"));
    const file = pathMod.join(dir, "opt16_adapter.c");
    fs.writeFileSync(file, ADAPTER_SOURCE);
    adapter = bunFfi.cc({
      source: file,
      symbols: { coquic_ts_call_opt16: { args: ["ptr", "ptr", "ptr"], returns: "u8" } },
    });
    return adapter;
  } catch (e) {
    adapterError = new Error(`bun: compiling the by-value adapter with bun:ffi cc failed: ${(e as Error).message}`);
    throw adapterError;
  }
}

// deno-lint-ignore no-explicit-any
declare const require: any;

/** Forces the cc adapter for by-value returns (tests use it even when extensions exist). */
export function bunAdapterAvailable(): boolean {
  try {
    opt16Adapter();
    return true;
  } catch {
    return false;
  }
}

// deno-lint-ignore no-explicit-any
function adapt(lib: any, name: string, spec: SymbolSpec): NativeFunction {
  const fn = lib.symbols[name];
  const hasBytes16 = spec.parameters.includes("bytes16");
  if (spec.result === "opt16") {
    const out = new BigUint64Array(1);
    const fnPtr = fn.ptr ?? bunFfi.dlopen; // bound functions expose their address as .ptr
    return (arg: bigint) => {
      const has = opt16Adapter().symbols.coquic_ts_call_opt16(fnPtr, Number(arg), out) !== 0;
      return { has, value: out[0] };
    };
  }
  if (hasBytes16) {
    // deno-lint-ignore no-explicit-any
    return (...args: any[]) => {
      const flat: unknown[] = [];
      spec.parameters.forEach((t, i) => {
        if (t === "bytes16") {
          const v = new DataView(args[i].buffer, args[i].byteOffset, 16);
          flat.push(v.getBigUint64(0, true), v.getBigUint64(8, true));
        } else flat.push(args[i]);
      });
      return fn(...flat);
    };
  }
  if (spec.result === "u64" || spec.result === "ptr") {
    // deno-lint-ignore no-explicit-any
    return (...args: any[]) => BigInt(fn(...args));
  }
  return fn;
}

/** The Bun FFI runtime. */
export const bunFfiRuntime: FfiRuntime = {
  name: "bun",
  open(path, required, optional): NativeLibrary {
    // deno-lint-ignore no-explicit-any
    const defs: Record<string, any> = {};
    const specs: Record<string, SymbolSpec> = {};
    const def = (spec: SymbolSpec) => ({
      args: spec.parameters.flatMap(bunTypes),
      returns: spec.result === "opt16" ? "void" : bunTypes(spec.result)[0],
    });
    for (const [name, spec] of Object.entries(required)) {
      defs[name] = def(spec);
      specs[name] = spec;
    }
    for (const [name, spec] of Object.entries(optional)) {
      try {
        bunFfi.dlopen(path, { [name]: def(spec) }).close();
        defs[name] = def(spec);
        specs[name] = spec;
      } catch {
        // optional symbol absent
      }
    }
    const lib = bunFfi.dlopen(path, defs);
    const symbols: Record<string, NativeFunction> = {};
    for (const name of Object.keys(defs)) symbols[name] = adapt(lib, name, specs[name]);
    return { path, symbols, close: () => lib.close() };
  },
  addressOf(buffer) {
    if (buffer.byteLength === 0) return 0n;
    return BigInt(bunFfi.ptr(buffer));
  },
  copyInto(address, target) {
    if (target.length === 0) return;
    target.set(new Uint8Array(bunFfi.toArrayBuffer(Number(address), 0, target.length)));
  },
  readCString(address) {
    return new bunFfi.CString(Number(address)).toString();
  },
};
