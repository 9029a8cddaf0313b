/**
 * The core ABI's only way to trust an extra CA: `SSL_CERT_FILE`, read by the engine when an
 * endpoint is created. {@link withTrustFile} writes the PEMs (after those of an `SSL_CERT_FILE`
 * already set) to a private temporary file, points `SSL_CERT_FILE` at it for one synchronous
 * call, then restores the variable. JavaScript runs that call to the end before anything else,
 * so no other endpoint sees the temporary value. The file is kept and reused for the same PEMs
 * (a few are kept, removed at exit): an engine may keep its parse of an unchanged file, and
 * parsing an inherited bundle (often the system's ~140 CAs, ~15 ms) for every endpoint made a
 * burst of 1,000 `connect()` calls take 15 s instead of 2.5.
 *
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

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

/** Trust files kept for reuse, by what they hold (most recently used last). */
const kept = new Map<string, string>();
/** How many trust files are kept at once (each a different set of PEMs). */
const KEPT_FILES = 8;
let cleanupRegistered = false;

function removeFile(file: string): void {
  rmSync(dirname(file), { recursive: true, force: true });
}

function removeAll(): void {
  for (const file of kept.values()) removeFile(file);
  kept.clear();
}

/** Removes the kept files when the process exits. */
function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  if (g.Deno) g.addEventListener("unload", removeAll);
  else g.process?.on?.("exit", removeAll);
}

/** What the inherited bundle is, as a key: its path, size and modification time. */
function inheritedKey(path: string | undefined): string {
  if (!path) return "";
  try {
    const st = statSync(path);
    return `${path}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return ""; // unreadable: nothing is inherited (as below)
  }
}

/** A file holding the inherited bundle and `pems`: a kept one when it still exists, else new. */
function trustFile(before: string | undefined, pems: readonly string[]): string {
  const key = `${inheritedKey(before)}\0${pems.join("\n")}`;
  const found = kept.get(key);
  kept.delete(key);
  if (found && existsSync(found)) {
    kept.set(key, found);
    return found;
  }
  const inherited = before && existsSync(before) ? readFileSync(before, "utf8") + "\n" : "";
  const file = join(mkdtempSync(join(tmpdir(), "coquic-ca-")), "ca.pem");
  writeFileSync(file, inherited + pems.join("\n") + "\n", { mode: 0o600 });
  registerCleanup();
  kept.set(key, file);
  if (kept.size > KEPT_FILES) {
    const [oldestKey, oldest] = kept.entries().next().value!;
    kept.delete(oldestKey);
    removeFile(oldest);
  }
  return file;
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
  setEnv("SSL_CERT_FILE", trustFile(before, pems));
  try {
    return create();
  } finally {
    setEnv("SSL_CERT_FILE", before);
  }
}
