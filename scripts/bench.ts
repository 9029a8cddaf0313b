/**
 * Side-by-side benchmark, one run on this machine (`deno task bench`): our perf runner on
 * Bun and on Deno (server and client in separate processes, over loopback), ngtcp2's own
 * C tools (gtlsserver/gtlsclient, with UDP segmentation offload), Deno's built-in QUIC, and
 * the loopback UDP ceilings (C with sendmmsg/recvmmsg; each runtime's own sockets). Every
 * figure is the median of `--runs` runs. Prints a table and the target ratios.
 *
 *   deno run -A scripts/bench.ts [--runs 3] [--seconds 3]
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateDevCertificate } from "../quic/devcert.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const { values } = parseArgs({
  args: g.Deno ? g.Deno.args : g.process.argv.slice(2),
  options: { runs: { type: "string", default: "3" }, seconds: { type: "string", default: "3" } },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const work = mkdtempSync(join(tmpdir(), "coquic-bench-"));
const cert = await generateDevCertificate();
writeFileSync(join(work, "cert.pem"), cert.certPem);
writeFileSync(join(work, "key.pem"), cert.keyPem);
let nextPort = 47000 + Math.floor(Math.random() * 1000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runtimeCmd(runtime: "deno" | "bun", script: string, args: string[]): [string, string[]] {
  return runtime === "deno"
    ? [join(BIN, "deno"), ["run", "-A", "--unstable-net", join(ROOT, script), ...args]]
    : [join(BIN, "bun"), [join(ROOT, script), ...args]];
}

/** Starts a background process; resolves once it printed `ready` (or after `waitMs`). */
async function background(cmd: string, args: string[], waitMs = 1500) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  await sleep(waitMs);
  return () => child.kill("SIGKILL");
}

/** One perf-runner measurement: server and client as two processes of `runtime`. */
async function runner(runtime: "deno" | "bun", args: string[]): Promise<Record<string, any>> {
  const port = nextPort++;
  const stop = await background(...runtimeCmd(runtime, "scripts/perf.ts", [
    "server", "--port", String(port), "--certificate-chain", join(work, "cert.pem"), "--private-key", join(work, "key.pem"),
  ]));
  const out = join(work, `r-${port}.json`);
  try {
    const [cmd, cargs] = runtimeCmd(runtime, "scripts/perf.ts", ["client", "--port", String(port), "--json-out", out, ...args]);
    execFileSync(cmd, cargs, { cwd: ROOT, stdio: "ignore", timeout: (SECONDS + 30) * 1000 });
    return JSON.parse(readFileSync(out, "utf8"));
  } catch {
    return { status: "failed" };
  } finally {
    stop();
  }
}

function jsonLine(cmd: string, args: string[]): Record<string, any> {
  const out = execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 }).trim().split("\n");
  return JSON.parse(out[out.length - 1]);
}

async function ngtcp2Bulk(mib: number): Promise<number> {
  const docs = join(work, "htdocs");
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, "blob"), new Uint8Array(mib << 20));
  const port = nextPort++;
  const stop = await background("gtlsserver", ["-q", "-d", docs, "127.0.0.1", String(port), join(work, "key.pem"), join(work, "cert.pem")], 500);
  try {
    const dl = join(work, `dl-${port}`);
    mkdirSync(dl);
    const t0 = performance.now();
    execFileSync("gtlsclient", ["-q", "--exit-on-all-streams-close", `--download=${dl}`, "127.0.0.1", String(port), `https://127.0.0.1:${port}/blob`], { stdio: "ignore", timeout: 60_000 });
    const seconds = (performance.now() - t0) / 1000;
    const got = readFileSync(join(dl, "blob")).length;
    return got === mib << 20 ? mib / seconds : NaN;
  } finally {
    stop();
  }
}

async function denoQuicBulk(mib: number): Promise<number> {
  const port = nextPort++;
  const script = "scripts/bench/deno_quic.ts";
  const stop = await background(...runtimeCmd("deno", script, ["server", "--port", String(port), "--cert", join(work, "cert.pem"), "--key", join(work, "key.pem")]));
  try {
    const [cmd, args] = runtimeCmd("deno", script, ["client", "--port", String(port), "--ca", join(work, "cert.pem"), "--mib", String(mib)]);
    return jsonLine(cmd, args).mibPerSecond;
  } finally {
    stop();
  }
}

const results: Record<string, number[]> = {};
const add = (k: string, v: number) => (results[k] ??= []).push(v);
const log = (s: string) => console.error(s);

execFileSync("make", ["-s", "-C", "native", "all", "bench"], { cwd: ROOT, stdio: "inherit" });
const dur = `${SECONDS}s`;
for (let run = 1; run <= RUNS; run++) {
  log(`run ${run}/${RUNS}`);
  add("c udp ceiling Gbit/s", jsonLine(join(ROOT, "native/build/udp_ceiling"), ["2"]).gbitPerSecond);
  for (const rt of ["bun", "deno"] as const) {
    const udp = jsonLine(...runtimeCmd(rt, "scripts/bench_udp.ts", ["--mode", "both", "--seconds", "2", "--json"]));
    add(`${rt} udp ceiling Gbit/s`, udp.throughput.gbitPerSecond);
    add(`${rt} udp ping-pong p50 µs`, udp.rtt.p50);
    const bulk = await runner(rt, ["--mode", "bulk", "--response-bytes", String(64 << 20), "--streams", "1", "--duration", dur]);
    add(`${rt} bulk Gbit/s`, bulk.status === "ok" ? bulk.throughput_gbit_per_s : NaN);
    add(`${rt} bulk MiB/s`, bulk.status === "ok" ? bulk.throughput_mib_per_s : NaN);
    const rr = await runner(rt, ["--mode", "rr", "--request-bytes", "32", "--response-bytes", "32", "--duration", dur]);
    add(`${rt} rr p50 µs`, rr.status === "ok" ? rr.latency.p50_us : NaN);
    const crr = await runner(rt, ["--mode", "crr", "--request-bytes", "32", "--response-bytes", "32", "--connections", "8", "--duration", dur]);
    add(`${rt} crr handshakes/s`, crr.status === "ok" ? crr.requests_per_s : NaN);
  }
  add("ngtcp2 C tools bulk MiB/s", await ngtcp2Bulk(200));
  add("deno built-in QUIC bulk MiB/s", await denoQuicBulk(200));
}
rmSync(work, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
console.log(`\ncoquic-ts benchmark — loopback, medians of ${RUNS} runs, ${SECONDS} s timed runs\n`);
const w = Math.max(...Object.keys(m).map((k) => k.length));
for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(w)}  ${Number.isFinite(v) ? v.toFixed(v < 10 ? 3 : 1) : "failed"}`);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const mibToGbit = (x: number) => (x * 2 ** 20 * 8) / 1e9;
console.log("\ntargets");
const rows: [string, string, string, boolean][] = [
  ["bun bulk / bun UDP ceiling", ratio(m["bun bulk Gbit/s"], m["bun udp ceiling Gbit/s"]), "≥ 0.70", m["bun bulk Gbit/s"] / m["bun udp ceiling Gbit/s"] >= 0.7],
  ["deno bulk / deno UDP ceiling", ratio(m["deno bulk Gbit/s"], m["deno udp ceiling Gbit/s"]), "≥ 0.70", m["deno bulk Gbit/s"] / m["deno udp ceiling Gbit/s"] >= 0.7],
  ["bun bulk / deno built-in QUIC", ratio(m["bun bulk MiB/s"], m["deno built-in QUIC bulk MiB/s"]), "≥ 1.00", m["bun bulk MiB/s"] >= m["deno built-in QUIC bulk MiB/s"]],
  ["bun rr p50 / bun UDP ping-pong", ratio(m["bun rr p50 µs"], m["bun udp ping-pong p50 µs"]), "≤ 2.00", m["bun rr p50 µs"] <= 2 * m["bun udp ping-pong p50 µs"]],
  ["deno rr p50 / deno UDP ping-pong", ratio(m["deno rr p50 µs"], m["deno udp ping-pong p50 µs"]), "≤ 2.00", m["deno rr p50 µs"] <= 2 * m["deno udp ping-pong p50 µs"]],
  ["bun crr handshakes/s", m["bun crr handshakes/s"].toFixed(0), "≥ 1000", m["bun crr handshakes/s"] >= 1000],
  ["deno crr handshakes/s", m["deno crr handshakes/s"].toFixed(0), "≥ 1000", m["deno crr handshakes/s"] >= 1000],
  ["ngtcp2 C tools (GSO) / C UDP ceiling", ratio(mibToGbit(m["ngtcp2 C tools bulk MiB/s"]), m["c udp ceiling Gbit/s"]), "reference", true],
];
for (const [name, value, target, ok] of rows) console.log(`  ${name.padEnd(38)} ${value.padStart(8)}  ${target.padEnd(9)} ${ok ? "met" : "missed"}`);
console.log("\nWhere the time goes and what would close each gap: README.md, section 'Benchmark'.");
