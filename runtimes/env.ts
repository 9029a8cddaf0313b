/**
 * Reading one environment variable on any runtime (undefined when unset or not permitted).
 *
 * @module
 */

/**
 * The value of `name` in the process environment.
 *
 * @example
 * ```ts
 * const mode = envVar("COQUIC_IO"); // "native", "runtime" or undefined
 * ```
 */
export function envVar(name: string): string | undefined {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  try {
    if (g.Deno?.env && !g.Bun) return g.Deno.env.get(name) ?? undefined;
  } catch {
    return undefined; // no --allow-env
  }
  return g.process?.env?.[name];
}
