/**
 * Detects the JavaScript runtime and returns its FFI adapter.
 *
 * @module
 */
import type { FfiRuntime } from "./ffi_types.ts";

/** The runtimes coquic-ts runs on. */
export type RuntimeName = "deno" | "bun" | "node";

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
  return "node";
}

let cached: FfiRuntime | undefined;

/**
 * The FFI adapter of the current runtime (loaded on first use).
 *
 * @example
 * ```ts
 * const ffi = await ffiRuntime();
 * console.log(ffi.name);
 * ```
 */
export async function ffiRuntime(): Promise<FfiRuntime> {
  if (cached) return cached;
  switch (runtimeName()) {
    case "bun":
      cached = (await import("./ffi_bun.ts")).bunFfiRuntime;
      break;
    case "deno":
      cached = (await import("./ffi_deno.ts")).denoFfi;
      break;
    default:
      throw new Error("coquic-ts: no FFI adapter for this runtime (supported: Deno, Bun)");
  }
  return cached;
}
