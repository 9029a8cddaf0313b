// The library search order, missing libraries and ABI mismatches.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { candidates, CoquicLoadError, loadCoquic } from "../ffi/loader.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUR_LIB = join(ROOT, "native/build/libcoquic-ngtcp2.so");
// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** Runs a snippet in a fresh process of the current runtime with `env`, returning stdout. */
function inChild(code: string, env: Record<string, string>): { status: number; out: string; err: string } {
  const dir = mkdtempSync(join(tmpdir(), "coquic-loader-"));
  const file = join(dir, "child.ts");
  writeFileSync(file, code);
  const exe = g.Bun ? process.execPath : g.Deno.execPath();
  const args = g.Bun ? [file] : ["run", "-A", file];
  const r = spawnSync(exe, args, { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const loaderUrl = new URL("../ffi/loader.ts", import.meta.url).href;
const PRINT_PATH = `import { loadCoquic } from "${loaderUrl}";
try { const lib = await loadCoquic(); console.log("LOADED " + lib.path); }
catch (e) { console.log("ERROR " + e.name + ": " + e.message); }`;

/** A temp dir with a copy of our engine under `name`. */
function libDirWith(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), "coquic-libdir-"));
  copyFileSync(OUR_LIB, join(dir, name));
  return dir;
}

test("loader: the candidate order follows the documented search order", () => {
  const c = candidates({ env: { COQUIC_LIB_PATH: "/x/exact.so", COQUIC_LIB_DIR: "/d" }, repoRoot: "/r" }).map((x) => x.path);
  assert.deepEqual(c, [
    "/x/exact.so",
    "/d/libcoquic-boringssl.so",
    "/d/coquic-boringssl.so",
    "/r/zig-out/lib/libcoquic-boringssl.so",
    "/r/zig-out/lib/libcoquic-quictls.so",
    "/r/native/build/libcoquic-ngtcp2.so",
    "libcoquic-boringssl.so",
    "libcoquic-quictls.so",
    "libcoquic-ngtcp2.so",
    "libcoquic.so",
  ]);
  const named = candidates({ env: { COQUIC_LIB_DIR: "/d", COQUIC_LIB_NAME: "coquic-quictls" }, repoRoot: "/r" });
  assert.deepEqual(named.slice(0, 2).map((x) => x.path), ["/d/libcoquic-quictls.so", "/d/coquic-quictls.so"]);
  const verbatim = candidates({ env: { COQUIC_LIB_DIR: "/d", COQUIC_LIB_NAME: "libcustom.so.1" }, repoRoot: "/r" });
  assert.equal(verbatim[0].path, "/d/libcustom.so.1");
  assert.equal(candidates({ env: {}, repoRoot: "/r" })[0].path, "/r/zig-out/lib/libcoquic-boringssl.so");
});

test("loader: COQUIC_LIB_PATH wins", () => {
  const dir = libDirWith("anything.so");
  const r = inChild(PRINT_PATH, { COQUIC_LIB_PATH: join(dir, "anything.so") });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.out.trim(), `LOADED ${join(dir, "anything.so")}`, r.err);
});

test("loader: COQUIC_LIB_DIR with the default and a given COQUIC_LIB_NAME", () => {
  const dir = libDirWith("libcoquic-boringssl.so");
  let r = inChild(PRINT_PATH, { COQUIC_LIB_DIR: dir });
  assert.equal(r.out.trim(), `LOADED ${join(dir, "libcoquic-boringssl.so")}`, r.err);
  copyFileSync(OUR_LIB, join(dir, "libmine.so"));
  r = inChild(PRINT_PATH, { COQUIC_LIB_DIR: dir, COQUIC_LIB_NAME: "mine" });
  assert.equal(r.out.trim(), `LOADED ${join(dir, "libmine.so")}`, r.err);
  rmSync(dir, { recursive: true, force: true });
});

test("loader: a missing COQUIC_LIB_PATH falls through to the repo-local engine build", () => {
  const r = inChild(PRINT_PATH, { COQUIC_LIB_PATH: "/nonexistent/libcoquic.so" });
  assert.equal(r.out.trim(), `LOADED ${OUR_LIB}`, r.err);
});

test("loader: zig-out builds come before our engine", () => {
  const root = mkdtempSync(join(tmpdir(), "coquic-root-"));
  mkdirSync(join(root, "zig-out/lib"), { recursive: true });
  copyFileSync(OUR_LIB, join(root, "zig-out/lib/libcoquic-quictls.so"));
  const code = `import { loadCoquic } from "${loaderUrl}";
const lib = await loadCoquic({ repoRoot: ${JSON.stringify(root)} }); console.log("LOADED " + lib.path);`;
  const r = inChild(code, {});
  rmSync(root, { recursive: true, force: true });
  assert.equal(r.out.trim(), `LOADED ${join(root, "zig-out/lib/libcoquic-quictls.so")}`, r.err);
});

test("loader: nothing found gives one clear error listing every path and the fix", async () => {
  const root = mkdtempSync(join(tmpdir(), "coquic-empty-"));
  try {
    await loadCoquic({ env: { COQUIC_LIB_PATH: "/nope/lib.so" }, repoRoot: root });
    assert.fail("loaded something");
  } catch (e) {
    assert.ok(e instanceof CoquicLoadError);
    assert.match(e.message, /deno task native/);
    assert.match(e.message, /\/nope\/lib\.so: no such file/);
    assert.match(e.message, /zig-out\/lib\/libcoquic-boringssl\.so: no such file/);
    assert.match(e.message, /libcoquic\.so: /);
    assert.equal(e.attempts.length, 8); // LIB_PATH, two zig-out files, our build, four system names
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("loader: a library of another ABI version is refused with a clear message", async () => {
  const dir = mkdtempSync(join(tmpdir(), "coquic-fake-"));
  writeFileSync(join(dir, "fake.c"), "unsigned coquic_ffi_abi_version(void) { return 11; }\n");
  execFileSync("cc", ["-shared", "-fPIC", "-o", join(dir, "libfake.so"), join(dir, "fake.c")]);
  try {
    await loadCoquic({ env: { COQUIC_LIB_PATH: join(dir, "libfake.so") } });
    assert.fail("loaded a mismatched ABI");
  } catch (e) {
    assert.ok(e instanceof CoquicLoadError);
    assert.match(e.message, /ABI version 11/);
    assert.match(e.message, /needs version 12/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loader: detects our extensions", async () => {
  const lib = await loadCoquic();
  assert.equal(lib.abiVersion, 12);
  assert.match(lib.engine, /^ngtcp2\/1\.11/);
  assert.ok(lib.extensions.batchEffects && lib.extensions.closeInfos && lib.extensions.batchIo);
});
