/**
 * FFI on Node.js (20 and later) with [koffi](https://koffi.dev), loaded from `node_modules`
 * (a dependency of the npm package). Mapping of the neutral types of `ffi/abi.ts`:
 * - `pointer` travels as `uint64_t` (addresses stay bigints, as on Deno and Bun);
 * - `buffer` as `void *`: koffi passes a typed array's own memory, so the callee's writes
 *   (out-parameters, struct scratch) land in it;
 * - the 16-byte by-value cases as koffi structs passed or returned BY VALUE
 *   (`{u64 ptr; u64 len}` and `{u8 has_value; u64 value}`), exactly as the C ABI declares.
 *
 * koffi returns 64-bit integers as numbers when they fit in 2^53, so `u64`/`pointer` results
 * are converted to bigints and `usize` results to numbers, as the neutral convention says.
 *
 * @module
 */
import { neutralResult, withCopyOut } from "./ffi_adapt.ts";
import type { AbiType, FfiRuntime, NativeFunction, NativeLibrary, SymbolSpec } from "./ffi_types.ts";

// The specifier is hidden from static analysis: only Node loads this module, and Deno or JSR
// must not try to resolve "koffi".
// deno-lint-ignore no-explicit-any
const koffiModule: any = await import("koffi" as string);
// deno-lint-ignore no-explicit-any
const koffi: any = koffiModule.default ?? koffiModule;

const BYTES = koffi.struct("coquic_ts_bytes", { ptr: "uint64_t", len: "uint64_t" });
const OPTIONAL_U64 = koffi.struct("coquic_ts_optional_u64", { has_value: "uint8_t", value: "uint64_t" });

/**
 * The koffi type of one neutral type.
 *
 * @example
 * ```ts
 * koffiType("usize"); // "size_t"
 * ```
 */
// deno-lint-ignore no-explicit-any
export function koffiType(t: AbiType): any {
  switch (t) {
    case "void":
      return "void";
    case "u8":
      return "uint8_t";
    case "u16":
      return "uint16_t";
    case "u32":
      return "uint32_t";
    case "i64":
      return "int64_t";
    case "i32":
      return "int32_t";
    case "u64":
    case "pointer":
      return "uint64_t";
    case "usize":
      return "size_t";
    case "buffer":
      return "void *";
    case "bytes_by_value":
      return BYTES;
    case "optional_u64_by_value":
      return OPTIONAL_U64;
  }
}

/** Wraps a raw koffi function so its arguments and result follow the neutral calling convention. */
// deno-lint-ignore no-explicit-any
function adapt(fn: (...a: any[]) => any, spec: SymbolSpec): NativeFunction {
  const byValue = spec.parameters.indexOf("bytes_by_value");
  // deno-lint-ignore no-explicit-any
  let call: (...a: any[]) => any = fn;
  if (byValue >= 0) {
    // deno-lint-ignore no-explicit-any
    call = (...args: any[]) => {
      const b: Uint8Array = args[byValue];
      const v = new DataView(b.buffer, b.byteOffset, 16);
      args[byValue] = { ptr: v.getBigUint64(0, true), len: v.getBigUint64(8, true) };
      return fn(...args);
    };
  }
  if (spec.result !== "optional_u64_by_value") return neutralResult(call, spec.result);
  // deno-lint-ignore no-explicit-any
  return (...args: any[]) => {
    const r = call(...args);
    return r.has_value !== 0 ? BigInt(r.value) : undefined;
  };
}

/** Binds one symbol, or returns undefined when the library lacks it. */
// deno-lint-ignore no-explicit-any
function bind(lib: any, name: string, spec: SymbolSpec): NativeFunction | undefined {
  // deno-lint-ignore no-explicit-any
  let fn: any;
  try {
    fn = lib.func(name, koffiType(spec.result), spec.parameters.map(koffiType));
  } catch {
    return undefined;
  }
  return adapt(fn, spec);
}

/**
 * The Node.js FFI runtime (koffi).
 *
 * @example
 * ```ts
 * const native = nodeFfi.open("/path/libcoquic-ngtcp2.so", {
 *   coquic_ffi_abi_version: { parameters: [], result: "u32" },
 * }, {});
 * console.log(native.symbols.coquic_ffi_abi_version()); // 12
 * ```
 */
export const nodeFfi: FfiRuntime = withCopyOut({
  name: "node",
  open(path, required, optional): NativeLibrary {
    const lib = koffi.load(path);
    const symbols: Record<string, NativeFunction> = {};
    try {
      for (const [name, spec] of Object.entries(required)) {
        const fn = bind(lib, name, spec);
        if (!fn) throw new Error(`${path}: missing symbol ${name}`);
        symbols[name] = fn;
      }
    } catch (e) {
      lib.unload?.();
      throw e;
    }
    for (const [name, spec] of Object.entries(optional)) {
      const fn = bind(lib, name, spec);
      if (fn) symbols[name] = fn;
    }
    return { path, symbols, close: () => lib.unload?.() };
  },
  prepareByValueReturns() {
    // koffi returns structs by value natively.
  },
  addressOf(buffer) {
    if (buffer.byteLength === 0) return 0n;
    return BigInt(koffi.address(buffer));
  },
  copyInto(address, target) {
    if (target.length === 0) return;
    target.set(new Uint8Array(koffi.view(address, target.length)));
  },
  readCString(address) {
    return koffi.decode.string(address);
  },
});
