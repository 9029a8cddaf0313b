/**
 * FFI on Bun (`bun:ffi`). Symbol definitions come from `bun_symbols.ts`. Bun cannot pass
 * or return structs by value, so:
 * - a 16-byte `{ptr, len}` argument is passed as two u64 arguments (the same registers);
 * - a function returning a 16-byte optional is called through a tiny C adapter compiled
 *   with Bun's built-in `cc` (TinyCC): it calls the library's function through its address
 *   and writes the struct to an out-pointer. An unmodified upstream libcoquic thus works
 *   under Bun; with our engine the binding prefers `coquic_x_*_next_wakeup` and never
 *   compiles the adapter unless asked to (see `ffi/loader.ts`).
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunDefinition, returnsStructByValue } from "./bun_symbols.ts";
import { neutralResult, openAll } from "./ffi_adapt.ts";
import type { FfiRuntime, NativeFunction, NativeLibrary, SymbolSpec } from "./ffi_types.ts";

// deno-lint-ignore no-explicit-any
const bunFfi: any = await import("bun:ffi" as string);

const ADAPTER_SOURCE = `
typedef unsigned char u8;
typedef unsigned long long u64;
typedef struct { u8 has_value; u64 value; } coquic_optional_u64;
typedef coquic_optional_u64 (*by_value_fn)(u64 arg);
u8 coquic_ts_call_optional_u64(u64 fn, u64 arg, u64 *out) {
    coquic_optional_u64 r = ((by_value_fn)fn)(arg);
    *out = r.value;
    return r.has_value;
}
`;

// deno-lint-ignore no-explicit-any
let adapter: any;

/** Compiles the by-value adapter (once per process). */
// deno-lint-ignore no-explicit-any
function byValueAdapter(): any {
  if (adapter) return adapter;
  const dir = mkdtempSync(join(tmpdir(), "coquic-ts-cc-"));
  try {
    const file = join(dir, "by_value_adapter.c");
    writeFileSync(file, ADAPTER_SOURCE);
    adapter = bunFfi.cc({
      source: file,
      symbols: { coquic_ts_call_optional_u64: { args: ["u64", "u64", "ptr"], returns: "u8" } },
    });
    return adapter;
  } catch (e) {
    throw new Error(`bun: compiling the by-value adapter with bun:ffi cc failed: ${(e as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wraps a raw Bun function so its arguments and result follow the neutral calling convention. */
// deno-lint-ignore no-explicit-any
function adapt(fn: any, spec: SymbolSpec): NativeFunction {
  if (returnsStructByValue(spec)) {
    const address = BigInt(fn.ptr);
    const out = new BigUint64Array(1);
    return (arg: bigint) => {
      const has = byValueAdapter().symbols.coquic_ts_call_optional_u64(address, arg, out) !== 0;
      return has ? out[0] : undefined;
    };
  }
  const split = spec.parameters.indexOf("bytes_by_value");
  if (split < 0) return neutralResult(fn, spec.result);
  // deno-lint-ignore no-explicit-any
  return neutralResult((...args: any[]) => {
    const b: Uint8Array = args[split];
    const v = new DataView(b.buffer, b.byteOffset, 16);
    args.splice(split, 1, v.getBigUint64(0, true), v.getBigUint64(8, true));
    return fn(...args);
  }, spec.result);
}

/**
 * The Bun FFI runtime.
 *
 * @example
 * ```ts
 * const native = bunFfiRuntime.open("/path/libcoquic-ngtcp2.so", {
 *   coquic_ffi_abi_version: { parameters: [], result: "u32" },
 * }, {});
 * console.log(native.symbols.coquic_ffi_abi_version()); // 12
 * ```
 */
export const bunFfiRuntime: FfiRuntime = {
  name: "bun",
  open(path, required, optional): NativeLibrary {
    return openAll(path, required, optional, (p, defs) => bunFfi.dlopen(p, defs), bunDefinition, adapt);
  },
  prepareByValueReturns() {
    byValueAdapter();
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
  // One copy into memory that is not zeroed first: slicing a view of the native bytes.
  // `new Uint8Array(n)` and then `set` zero-filled every received stream chunk first (a
  // memset, 3 % of a Bun bulk receiver's samples); a 52 KB copy costs ~18 % less this way.
  copyOut(address, length) {
    if (length === 0) return new Uint8Array(0);
    return new Uint8Array(bunFfi.toArrayBuffer(Number(address), 0, length).slice(0));
  },
};

// deno-lint-ignore no-explicit-any
let libcEnv: any;

/**
 * Sets (or, with `undefined`, removes) a variable in the C library's environment. Bun's
 * `process.env` is a JavaScript-side copy that native code (`getenv`) never sees, so a
 * variable meant for the engine is set here too.
 *
 * @example
 * ```ts
 * setNativeEnv("SSL_CERT_FILE", "/tmp/ca.pem");
 * ```
 */
export function setNativeEnv(name: string, value: string | undefined): void {
  libcEnv ??= bunFfi.dlopen(process.platform === "darwin" ? "libc.dylib" : "libc.so.6", {
    setenv: { args: ["cstring", "cstring", "i32"], returns: "i32" },
    unsetenv: { args: ["cstring"], returns: "i32" },
  }).symbols;
  const c = (s: string) => Buffer.from(s + "\0");
  if (value === undefined) libcEnv.unsetenv(c(name));
  else libcEnv.setenv(c(name), c(value), 1);
}
