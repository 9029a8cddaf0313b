/**
 * Detects the JavaScript runtime and supplies its FFI adapter. The adapter module is chosen
 * once, at import time (top-level await), so everything above can load libraries
 * synchronously.
 *
 * @module
 */
import type { FfiRuntime } from "./ffi_types.ts";

/**
 * The runtimes coquic-ts runs on.
 *
 * @example
 * ```ts
 * const name: RuntimeName = "bun";
 * ```
 */
export type RuntimeName = "deno" | "bun" | "node" | "other";

/**
 * Which runtime this is.
 *
 * @example
 * ```ts
 * import { runtimeName } from "./detect.ts";
 * console.log(runtimeName()); // "deno" under Deno
 * ```
 */
export function runtimeName(): RuntimeName {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  if (typeof g.process?.versions?.node === "string") return "node";
  return "other";
}

const adapter: FfiRuntime | undefined = runtimeName() === "bun"
  ? (await import("./bun_ffi.ts")).bunFfiRuntime
  : runtimeName() === "deno"
  ? (await import("./deno_ffi.ts")).denoFfi
  : runtimeName() === "node"
  ? (await import("./node_ffi.ts")).nodeFfi
  : undefined;

/**
 * The FFI adapter of the current runtime.
 *
 * @example
 * ```ts
 * const ffi = ffiRuntime();
 * console.log(ffi.name); // "deno", "bun" or "node"
 * ```
 */
export function ffiRuntime(): FfiRuntime {
  if (!adapter) throw new Error("coquic-ts: no FFI adapter for this runtime (supported: Deno, Bun, Node.js)");
  return adapter;
}
