/**
 * The core ABI's only way to trust an extra CA: `SSL_CERT_FILE`, read by the engine when an
 * endpoint is created. {@link withTrustFile} writes the PEMs (after those of an `SSL_CERT_FILE`
 * already set) to a private temporary file, points `SSL_CERT_FILE` at it for one synchronous
 * call, then restores the variable and removes the file. JavaScript runs that call to the end
 * before anything else, so no other endpoint sees the temporary value.
 *
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
/** Bun only: `process.env` does not reach native code, so the engine's variable is set in libc too. */
const setNativeEnv: ((name: string, value: string | undefined) => void) | undefined = g.Bun
  ? (await import("./bun_ffi.ts")).setNativeEnv
  : undefined;

function getEnv(name: string): string | undefined {
  return g.Deno?.env ? g.Deno.env.get(name) : g.process?.env?.[name];
}

function setEnv(name: string, value: string | undefined): void {
  if (g.Deno?.env) {
    if (value === undefined) g.Deno.env.delete(name);
    else g.Deno.env.set(name, value);
    return;
  }
  if (value === undefined) delete g.process.env[name];
  else g.process.env[name] = value;
  setNativeEnv?.(name, value);
}

/**
 * Runs `create` with `SSL_CERT_FILE` naming a file that holds `pems` (and the bundle the
 * variable named before, if any); returns what `create` returns.
 *
 * @example
 * ```ts
 * declare const caPem: string;
 * const made = withTrustFile([caPem], () => "an endpoint made here trusts caPem");
 * ```
 */
export function withTrustFile<T>(pems: readonly string[], create: () => T): T {
  const before = getEnv("SSL_CERT_FILE");
  const inherited = before && existsSync(before) ? readFileSync(before, "utf8") + "\n" : "";
  const dir = mkdtempSync(join(tmpdir(), "coquic-ca-"));
  const file = join(dir, "ca.pem");
  writeFileSync(file, inherited + pems.join("\n") + "\n", { mode: 0o600 });
  setEnv("SSL_CERT_FILE", file);
  try {
    return create();
  } finally {
    setEnv("SSL_CERT_FILE", before);
    rmSync(dir, { recursive: true, force: true });
  }
}
