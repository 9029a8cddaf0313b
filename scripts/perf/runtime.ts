/**
 * Runtimes the perf runner runs under, and how to start a script under one of them in a
 * process of its own.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Every runtime the runner knows. */
export type RuntimeName = "deno" | "bun" | "node";
/** The runtimes `--runtime` selects (Node runs only the compiled npm package). */
export const SELECTABLE_RUNTIMES = ["bun", "deno"] as const;

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The runtime of this process. */
export function currentRuntime(): RuntimeName {
  return g.Bun ? "bun" : g.Deno ? "deno" : "node";
}

/** This process's runtime and version, e.g. "deno 2.9.6". */
export function runtimeVersion(): string {
  return g.Bun ? `bun ${g.Bun.version}` : g.Deno ? `deno ${g.Deno.version.deno}` : `node ${g.process.version}`;
}

/**
 * The executable of `runtime`: this process's own when it is that runtime, else the
 * repository's npm dev dependency, else the name (found on PATH).
 */
export function runtimeExecutable(runtime: RuntimeName): string {
  if (runtime === currentRuntime()) return g.Deno ? g.Deno.execPath() : g.process.execPath;
  const local = `${ROOT}node_modules/.bin/${runtime}`;
  return existsSync(local) ? local : runtime;
}

/** The command that runs `script` (a path) with `args` under `runtime`. */
export function scriptCommand(runtime: RuntimeName, script: string, args: readonly string[]): [string, string[]] {
  const exe = runtimeExecutable(runtime);
  // --unstable-net: outside this repository no deno.json enables Deno's UDP API
  if (runtime === "deno") return [exe, ["run", "-A", "--unstable-net", script, ...args]];
  return [exe, [script, ...args]];
}
