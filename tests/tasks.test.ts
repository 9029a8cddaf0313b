// The `deno task` entries of deno.json, run for real: with the repository's own Deno
// (node_modules/.bin/deno, whose presence once broke every `deno run` task) and with a Deno
// found on PATH outside node_modules (a global install), each bounded to a few seconds.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "./_harness.ts";
import { defaultLibrary } from "../mod.ts";
import { nativeIoUnavailable } from "../quic/driver_factory.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const REPO_DENO = join(ROOT, "node_modules/.bin/deno");

interface TaskRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `deno task NAME ARGS` with `deno` as given (a path, or the name looked up on `path`). */
function task(deno: string, args: string[], timeoutMs: number, path = process.env.PATH ?? ""): TaskRun {
  const r = spawnSync(deno, ["task", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: timeoutMs,
    env: { ...process.env, PATH: path, NO_COLOR: "1" },
  });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const show = (r: TaskRun) => `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** A directory holding only a `deno` symlink to the real binary, first on a PATH without node_modules/.bin. */
function globalDenoPath(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "coquic-global-deno-"));
  symlinkSync(realpathSync(REPO_DENO), join(dir, "deno"));
  const rest = (process.env.PATH ?? "").split(delimiter).filter((p) => !p.includes("node_modules"));
  return { path: [dir, ...rest].join(delimiter), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test("deno task perf (the repo's Deno): a two-process bulk run with its summary", () => {
  const r = task(REPO_DENO, ["perf", "--total-bytes", "4000000"], 60_000);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stderr, /processes\s+two processes \(server, client\)/, show(r));
  assert.match(r.stderr, /runtime\s+deno \d/, show(r));
  assert.match(r.stderr, /I\/O path\s+runtime \(Deno\.listenDatagram sockets\)/, show(r));
  assert.match(r.stderr, /status\s+ok/, show(r));
  assert.match(r.stderr, /bytes sent \/ received\s+0 \/ 4000000/, show(r));
  assert.doesNotMatch(r.stderr, /latency/, "bulk measures no latency");
  assert.match(r.stdout, /^status=ok mode=bulk /m, show(r));
}, { timeout: 70_000 });

test("deno task perf (a Deno on PATH outside node_modules): rr with requests and latency", () => {
  const global = globalDenoPath();
  try {
    const r = task("deno", ["perf", "--mode", "rr", "--requests", "300"], 60_000, global.path);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /requests\s+300 \(/, show(r));
    assert.match(r.stderr, /latency p50 \/ p99\s+\d+ \/ \d+ µs/, show(r));
    assert.match(r.stdout, /^status=ok mode=rr /m, show(r));
  } finally {
    global.cleanup();
  }
}, { timeout: 70_000 });

test("deno task bench --quick: every perf-runner figure measured", () => {
  const r = task(REPO_DENO, ["bench", "--quick"], 100_000);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stdout, /coquic-ts benchmark — loopback, medians of 1 runs, 1 s timed runs/, show(r));
  for (const rt of ["bun", "deno"]) {
    for (const row of ["bulk Gbit/s", "rr p50 µs", "crr handshakes/s"]) {
      assert.match(r.stdout, new RegExp(`${rt} ${row}\\s+\\d+\\.\\d+`), `${rt} ${row}\n${show(r)}`);
    }
    // native rows: a figure, or "failed" where native I/O is unavailable (the core ABI alone)
    const native = nativeIoUnavailable(defaultLibrary()) === undefined ? "\\d+\\.\\d+" : "failed";
    for (const row of ["native crr handshakes/s", "native rr CPU µs/request"]) {
      assert.match(r.stdout, new RegExp(`${rt} ${row}\\s+${native}`), `${rt} ${row}\n${show(r)}`);
    }
    // ours on the built-in QUIC's own workload (scripts/bench/coquic_quic.ts)
    for (const row of ["rr p50 µs", "crr handshakes/s"]) {
      const re = new RegExp(`${rt} native ${row} \\(built-in's workload\\)\\s+${native}`);
      assert.match(r.stdout, re, `${rt} ${row}\n${show(r)}`);
    }
    // gtlsclient fetches these: a figure, or "failed" where the tool is missing
    assert.match(r.stdout, new RegExp(`${rt} native HTTP/3 serve\\(\\) GET MiB/s\\s+(\\d+\\.\\d+|failed)`), show(r));
  }
  for (const row of ["rr p50 µs", "crr handshakes/s", "bulk CPU s/GB"]) {
    assert.match(r.stdout, new RegExp(`deno built-in QUIC ${row}\\s+(\\d+\\.\\d+|failed)`), show(r));
  }
  assert.match(r.stdout, /Bun\.serve\(\{ http3: true \}\) GET MiB\/s\s+(\d+\.\d+|failed)/, show(r));
  assert.match(r.stdout, /^targets$/m, show(r));
}, { timeout: 110_000 });

test("deno task bench_history --quick: rr, crr and idle memory, baseline beside this tree", () => {
  const r = task(REPO_DENO, ["bench_history", "--quick"], 240_000);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stdout, /coquic-ts before\/after — loopback, runtime I\/O, medians of 1 run/, show(r));
  for (const rt of ["bun", "deno"]) {
    for (const row of ["rr p50 \\(µs\\)", "crr \\(conn\\/s\\)", "memory per idle connection \\(KiB\\)"]) {
      // both figures measured and a ratio printed (no "failed")
      assert.match(r.stdout, new RegExp(`${rt} ${row}\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+×`), `${rt} ${row}\n${show(r)}`);
    }
  }
}, { timeout: 250_000 });

test("deno task bench_ffi --quick and deno task native (a Deno on PATH outside node_modules)", () => {
  const global = globalDenoPath();
  try {
    const ffi = task("deno", ["bench_ffi", "--quick"], 60_000, global.path);
    assert.equal(ffi.status, 0, show(ffi));
    assert.match(ffi.stdout, /in-memory transfer of 4 MiB/, show(ffi));
    assert.match(ffi.stdout, /^deno\s+\d+\.\d/m, show(ffi));
    assert.match(ffi.stdout, /^bun\s+\d+\.\d/m, show(ffi));
    const native = task("deno", ["native"], 120_000, global.path);
    assert.equal(native.status, 0, show(native));
  } finally {
    global.cleanup();
  }
}, { timeout: 190_000 });
