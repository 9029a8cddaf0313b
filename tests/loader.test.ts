// The library search order, missing libraries and ABI mismatches.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { candidates, CoquicLoadError, loadCoquic, loadCoquicSync, platformDir } from "../ffi/loader.ts";
import { CORE_SYMBOLS } from "../ffi/abi.ts";

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
  const r = spawnSync(exe, args, {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    encoding: "utf8",
  });
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
  const c = candidates({ env: { COQUIC_LIB_PATH: "/x/exact.so", COQUIC_LIB_DIR: "/d" }, repoRoot: "/r" }).map((x) =>
    x.path
  );
  assert.deepEqual(c, [
    "/x/exact.so",
    "/d/libcoquic-boringssl.so",
    "/d/coquic-boringssl.so",
    `/r/native/${platformDir()}/libcoquic-ngtcp2.so`,
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
  assert.equal(candidates({ env: {}, repoRoot: "/r" })[0].path, `/r/native/${platformDir()}/libcoquic-ngtcp2.so`);
  assert.equal(platformDir(), `${process.platform}-${process.arch}`);
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
  // <name>.so is the second form tried
  copyFileSync(OUR_LIB, join(dir, "plain.so"));
  r = inChild(PRINT_PATH, { COQUIC_LIB_DIR: dir, COQUIC_LIB_NAME: "plain" });
  assert.equal(r.out.trim(), `LOADED ${join(dir, "plain.so")}`, r.err);
  // verbatim names: ending in .so, or absolute
  copyFileSync(OUR_LIB, join(dir, "custom-engine.so"));
  r = inChild(PRINT_PATH, { COQUIC_LIB_DIR: dir, COQUIC_LIB_NAME: "custom-engine.so" });
  assert.equal(r.out.trim(), `LOADED ${join(dir, "custom-engine.so")}`, r.err);
  r = inChild(PRINT_PATH, { COQUIC_LIB_DIR: "/nonexistent", COQUIC_LIB_NAME: join(dir, "plain.so") });
  assert.equal(r.out.trim(), `LOADED ${join(dir, "plain.so")}`, r.err);
  rmSync(dir, { recursive: true, force: true });
});

test("loader: the system loader is asked last, by bare name", () => {
  const dir = libDirWith("libcoquic.so");
  const empty = mkdtempSync(join(tmpdir(), "coquic-root-"));
  const code = `import { loadCoquic } from "${loaderUrl}";
const lib = await loadCoquic({ repoRoot: ${JSON.stringify(empty)} }); console.log("LOADED " + lib.path);`;
  const r = inChild(code, { LD_LIBRARY_PATH: dir });
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
  assert.equal(r.out.trim(), "LOADED libcoquic.so", r.err);
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

test("loader: nothing found gives one clear error listing every path and the fix", () => {
  // In a fresh process: an engine already loaded here would satisfy the bare system names.
  const root = mkdtempSync(join(tmpdir(), "coquic-empty-"));
  const code = `import { loadCoquic } from "${loaderUrl}";
try { await loadCoquic({ repoRoot: ${JSON.stringify(root)} }); console.log("LOADED"); }
catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, attempts: e.attempts.length })); }`;
  const r = inChild(code, { COQUIC_LIB_PATH: "/nope/lib.so" });
  rmSync(root, { recursive: true, force: true });
  const e = JSON.parse(r.out.trim() || "{}");
  assert.equal(e.name, "CoquicLoadError", r.out + r.err);
  assert.match(e.message, /deno task native/);
  assert.match(e.message, /COQUIC_LIB_PATH/);
  assert.match(e.message, /\/nope\/lib\.so: no such file/);
  assert.match(e.message, /zig-out\/lib\/libcoquic-boringssl\.so: no such file/);
  assert.match(e.message, /zig-out\/lib\/libcoquic-quictls\.so: no such file/);
  assert.match(e.message, /native\/build\/libcoquic-ngtcp2\.so: no such file/);
  for (const name of ["libcoquic-boringssl.so", "libcoquic-quictls.so", "libcoquic-ngtcp2.so", "libcoquic.so"]) {
    assert.match(e.message, new RegExp(`\\n  ${name.replace(/\./g, "\\.")}: \\S`));
  }
  assert.match(e.message, /native\/linux-x64\/libcoquic-ngtcp2\.so: no such file/);
  assert.equal(e.attempts, 9); // LIB_PATH, the bundled copy, two zig-out files, our build, four system names
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

test("loader: detects our extensions, and can bind the core ABI only", async () => {
  const lib = await loadCoquic({ extensions: true }); // whatever COQUIC_CORE_ABI_ONLY says
  assert.equal(lib.abiVersion, 12);
  assert.equal(lib.path, OUR_LIB);
  assert.match(lib.engine, /^ngtcp2\/1\.11/);
  assert.deepEqual(Object.entries(lib.extensions).filter(([, on]) => !on), []);
  assert.equal(await loadCoquic({ extensions: true }), lib, "loading twice returns the same library");
  const core = loadCoquicSync({ extensions: false });
  assert.equal(core.path, OUR_LIB);
  assert.equal(core.engine, "libcoquic");
  assert.deepEqual(Object.entries(core.extensions).filter(([, on]) => on), []);
  assert.ok(Object.keys(core.symbols).every((n) => !n.startsWith("coquic_x_")));
  assert.equal(Object.keys(core.symbols).length, 44);
});

test("loader: a library without the coquic_x_ extensions loads (a stub exporting only core symbols)", () => {
  // A fake core-only library: every core symbol present (the ABI check only calls the version).
  const dir = mkdtempSync(join(tmpdir(), "coquic-corestub-"));
  const names = Object.keys(CORE_SYMBOLS).filter((n) => n !== "coquic_ffi_abi_version");
  const src = "unsigned coquic_ffi_abi_version(void) { return 12; }\n" +
    names.map((n) => `void ${n}(void) {}`).join("\n") + "\n";
  writeFileSync(join(dir, "stub.c"), src);
  execFileSync("cc", ["-shared", "-fPIC", "-o", join(dir, "libstub.so"), join(dir, "stub.c")]);
  try {
    const lib = loadCoquicSync({ env: { COQUIC_LIB_PATH: join(dir, "libstub.so") } });
    assert.equal(lib.path, join(dir, "libstub.so"));
    assert.deepEqual(Object.entries(lib.extensions).filter(([, on]) => on), []);
    assert.equal(lib.engine, "libcoquic");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loader: a library missing a core symbol is skipped with the reason", () => {
  const dir = mkdtempSync(join(tmpdir(), "coquic-partial-"));
  writeFileSync(join(dir, "partial.c"), "unsigned coquic_ffi_abi_version(void) { return 12; }\n");
  execFileSync("cc", ["-shared", "-fPIC", "-o", join(dir, "libpartial.so"), join(dir, "partial.c")]);
  // In a fresh process with no other candidate (an already loaded engine would satisfy the
  // bare system names through its soname).
  const code = `import { loadCoquic } from "${loaderUrl}";
try { await loadCoquic({ repoRoot: ${JSON.stringify(join(dir, "root"))} }); console.log("LOADED"); }
catch (e) { console.log(e.name + " " + e.attempts[0].path + " " + e.attempts[0].reason); }`;
  const r = inChild(code, { COQUIC_LIB_PATH: join(dir, "libpartial.so") });
  rmSync(dir, { recursive: true, force: true });
  assert.match(r.out.trim(), /^CoquicLoadError \S+libpartial\.so incomplete ABI v12: /, r.err);
});

test("loader: without --allow-ffi, Deno's load error says so in its first line", () => {
  const dir = mkdtempSync(join(tmpdir(), "coquic-loader-"));
  const file = join(dir, "child.ts");
  writeFileSync(file, PRINT_PATH);
  const r = spawnSync(g.Deno.execPath(), ["run", "--allow-read", "--allow-env", file], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
    encoding: "utf8",
  });
  rmSync(dir, { recursive: true, force: true });
  assert.match(r.stdout.split("\n")[0], /^ERROR CoquicLoadError: .*--allow-ffi/);
}, { skip: g.Deno && !g.Bun ? undefined : "Deno permissions only" });
