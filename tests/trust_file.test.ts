// runtimes/trust_file.ts: the core ABI's way to trust a CA (SSL_CERT_FILE). The file for a set
// of PEMs is kept and reused (an engine keeps its parse of an unchanged file: parsing the
// inherited system bundle for every endpoint made a 1,000-connection burst 6× slower), a few
// are kept at once, and they are removed at exit. Deno and Bun.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { withTrustFile } from "../runtimes/trust_file.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const getEnv = (): string | undefined => g.Deno ? g.Deno.env.get("SSL_CERT_FILE") : g.process.env.SSL_CERT_FILE;
function setEnv(value: string | undefined): void {
  if (g.Deno) value === undefined ? g.Deno.env.delete("SSL_CERT_FILE") : g.Deno.env.set("SSL_CERT_FILE", value);
  else if (value === undefined) delete g.process.env.SSL_CERT_FILE;
  else g.process.env.SSL_CERT_FILE = value;
}
const fileFor = (pems: string[]) => withTrustFile(pems, () => getEnv()!);

test("trust file: reused for the same PEMs and bundle, new when either changes, a few kept, the variable restored", () => {
  const saved = getEnv();
  const dir = mkdtempSync(join(tmpdir(), "coquic-trust-test-"));
  const bundle = join(dir, "bundle.pem");
  writeFileSync(bundle, "INHERITED-1");
  setEnv(bundle);
  try {
    const a = fileFor(["PEM-A"]);
    assert.equal(getEnv(), bundle, "SSL_CERT_FILE is restored after the call");
    assert.notEqual(a, bundle);
    assert.equal(readFileSync(a, "utf8"), "INHERITED-1\nPEM-A\n");
    assert.equal(fileFor(["PEM-A"]), a, "the same PEMs reuse the file");
    const b = fileFor(["PEM-B"]);
    assert.notEqual(b, a);
    assert.equal(fileFor(["PEM-A"]), a, "a is still kept");
    writeFileSync(bundle, "INHERITED-2, longer"); // the inherited bundle changed
    const a2 = fileFor(["PEM-A"]);
    assert.notEqual(a2, a);
    assert.equal(readFileSync(a2, "utf8"), "INHERITED-2, longer\nPEM-A\n");
    const many = Array.from({ length: 8 }, (_, i) => fileFor([`PEM-${i}`]));
    assert.equal(new Set(many).size, 8);
    assert.ok(!existsSync(a2) && !existsSync(b), "beyond 8 sets the least recently used files are removed");
    assert.ok(many.every((f) => existsSync(f)));
    setEnv(undefined);
    const none = fileFor(["PEM-X"]);
    assert.equal(getEnv(), undefined, "an unset variable stays unset");
    assert.equal(readFileSync(none, "utf8"), "PEM-X\n");
  } finally {
    setEnv(saved);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("trust file: removed when the process exits", () => {
  const fixture = fileURLToPath(new URL("./fixtures/trust_file_exit.ts", import.meta.url));
  const exe = g.Deno ? g.Deno.execPath() : g.process.execPath;
  const r = spawnSync(exe, g.Deno ? ["run", "-A", fixture] : [fixture], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const file = r.stdout.trim();
  assert.match(file, /coquic-ca-.*ca\.pem$/);
  assert.ok(!existsSync(file), `${file} is left after exit`);
});
