/**
 * Before and after, side by side in one run (`deno task bench_history`): the perf runner's
 * rr (a new stream per 32-byte request, p50 latency) and crr (a connection per request, 8 in
 * parallel) and the memory per idle connection (`scripts/bench_memory.ts`), measured on a
 * baseline revision and on this working tree, alternating run by run so both see the same
 * machine. The baseline is exported with `git archive` into `.tmp/bench-baseline/<commit>` and
 * built there once (`make -C native`); its own scripts and engine are what run.
 *
 * The default baseline is the revision before the long-lived-connection work (the stream-closed
 * effects, expiry heap and batched credit), so the table shows what that work did to the
 * per-request paths.
 *
 *   deno task bench_history [--baseline REV] [--runs 3] [--seconds 3] [--io runtime|native]
 *   deno task bench_history --quick        one run of 1 s, a smoke test
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateDevCertificate } from "../quic/devcert.ts";
import { type RuntimeName, scriptCommand } from "./perf/runtime.ts";
import { startServerProcess } from "./perf/server_process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The commit before the long-lived-connection engine change (77cf0cd). */
const DEFAULT_BASELINE = "77cf0cd^";
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const { values } = parseArgs({
  args: (g.Deno ? g.Deno.args : g.process.argv.slice(2)).filter((a: string, i: number) => i > 0 || a !== "--"),
  options: {
    baseline: { type: "string", default: DEFAULT_BASELINE },
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    io: { type: "string", default: "runtime" },
    quick: { type: "boolean", default: false },
  },
});
const QUICK = values.quick === true;
const RUNS = QUICK ? 1 : Number(values.runs);
const SECONDS = QUICK ? 1 : Number(values.seconds);
const IDLE_CONNECTIONS = QUICK ? 200 : 1000;
const IO = values.io === "native" ? "native" : "runtime";
const log = (s: string) => console.error(s);
const median = (xs: number[]) => {
  const ok = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return ok.length ? ok[Math.floor(ok.length / 2)] : NaN;
};

/** A source tree the benchmark runs: its root, and a label for the table. */
interface Tree {
  label: string;
  root: string;
}

/** The baseline revision exported and built under `.tmp/bench-baseline/<commit>` (kept for later runs). */
function baselineTree(rev: string): Tree {
  let commit: string;
  try {
    commit = execFileSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    console.error(
      `bench_history: the baseline ${rev} is not in this repository (a shallow clone?); ` +
        "fetch more history or pass --baseline REV",
    );
    g.Deno ? g.Deno.exit(2) : g.process.exit(2);
    throw new Error("unreachable");
  }
  const dir = join(ROOT, ".tmp", "bench-baseline", commit.slice(0, 12));
  const built = join(dir, "native", "build", "libcoquic-ngtcp2.so");
  if (!existsSync(built)) {
    log(`bench_history: exporting ${rev} (${commit.slice(0, 12)}) to ${dir} and building its engine …`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync("git", ["archive", "--format=tar", commit], { cwd: ROOT, maxBuffer: 1 << 30 });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    execFileSync("make", ["-s", "-C", join(dir, "native")], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return { label: `baseline ${commit.slice(0, 7)}`, root: dir };
}

const tmp = join(ROOT, ".tmp", `bench-history-${Date.now()}`);
mkdirSync(tmp, { recursive: true });
const cert = await generateDevCertificate();
writeFileSync(join(tmp, "cert.pem"), cert.certPem);
writeFileSync(join(tmp, "key.pem"), cert.keyPem);

/** One perf-runner measurement of `tree` under `runtime` (server and client as two processes). */
async function perfRun(tree: Tree, runtime: RuntimeName, mode: "rr" | "crr"): Promise<number> {
  const script = join(tree.root, "scripts", "perf.ts");
  let server;
  try {
    server = await startServerProcess(runtime, script, [
      "server",
      "--port",
      "0",
      "--certificate-chain",
      join(tmp, "cert.pem"),
      "--private-key",
      join(tmp, "key.pem"),
      "--io",
      IO,
    ]);
  } catch (e) {
    log(`(${tree.label} ${runtime} perf server: ${(e as Error).message.split("\n")[0]})`);
    return NaN;
  }
  const out = join(tmp, `${mode}-${server.port}.json`);
  try {
    const [cmd, args] = scriptCommand(runtime, script, [
      "client",
      "--port",
      String(server.port),
      "--json-out",
      out,
      "--io",
      IO,
      "--mode",
      mode,
      "--request-bytes",
      "32",
      "--response-bytes",
      "32",
      ...(mode === "crr" ? ["--connections", "8"] : []),
      "--duration",
      `${SECONDS}s`,
    ]);
    execFileSync(cmd, args, { cwd: tree.root, stdio: "ignore", timeout: (SECONDS + 30) * 1000 });
    const json = JSON.parse(readFileSync(out, "utf8"));
    if (json.status !== "ok") return NaN;
    return mode === "rr" ? Number(json.latency.p50_us) : Number(json.requests_per_s);
  } catch (e) {
    log(`(${tree.label} ${runtime} ${mode}: ${(e as Error).message.split("\n")[0]})`);
    return NaN;
  } finally {
    await server.stop();
  }
}

/** KiB of RSS per idle connection (client + server side) from `tree`'s bench_memory. */
function idleMemory(tree: Tree, runtime: RuntimeName): number {
  try {
    const [cmd, args] = scriptCommand(runtime, join(tree.root, "scripts", "bench_memory.ts"), [
      "--n",
      String(IDLE_CONNECTIONS),
    ]);
    const text = execFileSync(cmd, args, { cwd: tree.root, encoding: "utf8", timeout: 180_000 });
    const m = text.match(/per idle connection:\s+([\d.]+) KiB RSS/);
    return m ? Number(m[1]) : NaN;
  } catch (e) {
    log(`(${tree.label} ${runtime} bench_memory: ${(e as Error).message.split("\n")[0]})`);
    return NaN;
  }
}

const trees: Tree[] = [baselineTree(values.baseline as string), { label: "this tree", root: ROOT }];
const RUNTIMES: RuntimeName[] = ["bun", "deno"];
type Row = { name: string; unit: string; lowerIsBetter: boolean; figures: number[][] };
const rows: Row[] = [];
for (const runtime of RUNTIMES) {
  const rr: number[][] = trees.map(() => []), crr: number[][] = trees.map(() => []);
  const memory: number[][] = trees.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    // Alternate the trees inside each run, so drift on the machine hits both alike.
    for (let t = 0; t < trees.length; t++) {
      const i = run % 2 === 0 ? t : trees.length - 1 - t;
      log(`bench_history: ${runtime} ${trees[i].label}, run ${run + 1} of ${RUNS} …`);
      rr[i].push(await perfRun(trees[i], runtime, "rr"));
      crr[i].push(await perfRun(trees[i], runtime, "crr"));
      memory[i].push(idleMemory(trees[i], runtime));
    }
  }
  rows.push({ name: `${runtime} rr p50`, unit: "µs", lowerIsBetter: true, figures: rr });
  rows.push({ name: `${runtime} crr`, unit: "conn/s", lowerIsBetter: false, figures: crr });
  rows.push({ name: `${runtime} memory per idle connection`, unit: "KiB", lowerIsBetter: true, figures: memory });
}
rmSync(tmp, { recursive: true, force: true });

const fmt = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "failed");
console.log(
  `coquic-ts before/after — loopback, ${IO} I/O, medians of ${RUNS} run${RUNS === 1 ? "" : "s"}, ` +
    `${SECONDS} s timed runs, ${IDLE_CONNECTIONS} idle connections`,
);
console.log(`  baseline: ${values.baseline} (${trees[0].label}), after: ${trees[1].label}`);
const header = ["", ...trees.map((t) => t.label), "after / before", "verdict"];
const table = rows.map((r) => {
  const [before, after] = r.figures.map(median);
  const ratio = after / before;
  const better = r.lowerIsBetter ? ratio <= 1 : ratio >= 1;
  // Within 10% is noise on a shared 2-core machine; a regression beyond that is named.
  const verdict = !Number.isFinite(ratio) ? "—" : better ? "better" : Math.abs(ratio - 1) <= 0.1 ? "same" : "WORSE";
  return [
    `${r.name} (${r.unit})`,
    fmt(before),
    fmt(after),
    Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "—",
    verdict,
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
for (const row of [header, ...table]) console.log("  " + row.map((c, i) => c.padEnd(widths[i])).join("  "));
