/**
 * Side-by-side benchmark, one run on this machine (`deno task bench`): our perf runner on
 * Bun and on Deno (server and client in separate processes, over loopback), each on both I/O
 * paths (the engine's own socket, `--io native`, and the runtime's sockets), ngtcp2's own
 * C tools (gtlsserver/gtlsclient, with UDP segmentation offload), Deno's built-in QUIC (bulk,
 * rr and crr), HTTP/3 (a GET answered by our `serve()`, by `Bun.serve({ http3: true })` and by
 * `gtlsserver`, fetched by `gtlsclient`), and the loopback UDP ceilings (C with
 * sendmmsg/recvmmsg; each runtime's own sockets). CPU (user + system of both processes) is
 * given per gigabyte for transfers and per request for rr/crr. Every figure is the median of
 * `--runs` runs. Prints a table and the target ratios.
 *
 *   deno task bench [--runs 3] [--seconds 3]
 *   deno task bench --quick      one run of 1 s timed runs and 20 MiB downloads (a smoke test, ~15 s)
 *   deno task bench --only h3    just the HTTP/3 GET rows (ours on both runtimes and I/O paths,
 *                                Bun.serve, gtlsserver) and their targets
 *   deno task bench --only requests  just rr and crr on Deno's built-in QUIC's workload
 *                                (scripts/bench/coquic_quic.ts beside scripts/bench/deno_quic.ts)
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateDevCertificate } from "../quic/devcert.ts";
import { scriptCommand } from "./perf/runtime.ts";
import { processCpuSeconds, type ServerProcess, startServerProcess } from "./perf/server_process.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const { values } = parseArgs({
  args: (g.Deno ? g.Deno.args : g.process.argv.slice(2)).filter((a: string, i: number) => i > 0 || a !== "--"),
  options: {
    runs: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
if (values.only !== undefined && values.only !== "h3" && values.only !== "requests") {
  throw new Error(`--only takes "h3" or "requests", not ${values.only}`);
}
const H3_ONLY = values.only === "h3";
const REQUESTS_ONLY = values.only === "requests";
const QUICK = values.quick === true;
const RUNS = QUICK ? 1 : Number(values.runs);
const SECONDS = QUICK ? 1 : Number(values.seconds);
const DOWNLOAD_MIB = QUICK ? 20 : 200; // the C tools', Deno's built-in QUIC and the HTTP/3 downloads
const work = mkdtempSync(join(tmpdir(), "coquic-bench-"));
const cert = await generateDevCertificate();
writeFileSync(join(work, "cert.pem"), cert.certPem);
writeFileSync(join(work, "key.pem"), cert.keyPem);
let nextPort = 47000 + Math.floor(Math.random() * 1000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => console.error(s);

const runtimeCmd = (runtime: "deno" | "bun", script: string, args: string[]) =>
  scriptCommand(runtime, join(ROOT, script), args);

/** Starts a background process and gives it `waitMs` to start listening. */
async function background(cmd: string, args: string[], waitMs = 1500) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  child.on("error", (e) => log(`(${cmd}: ${e.message})`)); // a missing tool: its figure shows "failed"
  await sleep(waitMs);
  return { pid: child.pid, stop: () => child.kill("SIGKILL") };
}

type Io = "runtime" | "native";

/** One perf-runner measurement: server and client as two processes of `runtime`, both on `io`. */
async function runner(runtime: "deno" | "bun", io: Io, args: string[]): Promise<Record<string, any>> {
  let server;
  try {
    server = await startServerProcess(runtime, join(ROOT, "scripts/perf.ts"), [
      "server",
      "--port",
      "0",
      "--certificate-chain",
      join(work, "cert.pem"),
      "--private-key",
      join(work, "key.pem"),
      "--io",
      io,
    ]);
  } catch (e) {
    log(`(${runtime} perf server: ${(e as Error).message.split("\n")[0]})`);
    return { status: "failed" };
  }
  const out = join(work, `r-${server.port}.json`);
  try {
    const [cmd, cargs] = runtimeCmd(runtime, "scripts/perf.ts", [
      "client",
      "--port",
      String(server.port),
      "--json-out",
      out,
      "--io",
      io,
      ...args,
    ]);
    // CPU seconds per gigabyte moved: the client under /usr/bin/time, the server from /proc.
    const timeOut = join(work, `t-${server.port}.txt`);
    const timed = existsSync("/usr/bin/time");
    execFileSync(timed ? "/usr/bin/time" : cmd, timed ? ["-f", "%U %S", "-o", timeOut, cmd, ...cargs] : cargs, {
      cwd: ROOT,
      stdio: "ignore",
      timeout: (SECONDS + 30) * 1000,
    });
    const json = JSON.parse(readFileSync(out, "utf8"));
    const serverCpu = server.cpuSeconds();
    const clientCpu = timed
      ? readFileSync(timeOut, "utf8").trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0)
      : NaN;
    const gigabytes = (Number(json.bytes_received ?? 0) + Number(json.bytes_sent ?? 0)) / 1e9;
    const cpu = serverCpu === undefined ? NaN : serverCpu + clientCpu;
    json.cpu_s_per_gb = cpu / gigabytes;
    json.cpu_us_per_request = (cpu * 1e6) / Number(json.requests_completed ?? NaN);
    return json;
  } catch {
    return { status: "failed" };
  } finally {
    await server.stop();
  }
}

function jsonLine(cmd: string, args: string[]): Record<string, any> {
  const out = execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 }).trim().split("\n");
  return JSON.parse(out[out.length - 1]);
}

/** `measure()`, or NaN (shown as "failed") when that tool is missing or fails. */
function orNaN(label: string, measure: () => number): number {
  try {
    return measure();
  } catch (e) {
    log(`(${label} failed: ${(e as Error).message.split("\n")[0]})`);
    return NaN;
  }
}

/** Runs `cmd args` to its end under /usr/bin/time: stdout, wall seconds, user + system CPU seconds. */
function timedRun(cmd: string, args: string[], timeoutMs = 120_000): { stdout: string; seconds: number; cpu: number } {
  const timeOut = join(work, `time-${nextPort++}.txt`);
  const timed = existsSync("/usr/bin/time");
  const t0 = performance.now();
  const stdout = execFileSync(
    timed ? "/usr/bin/time" : cmd,
    timed ? ["-f", "%U %S", "-o", timeOut, cmd, ...args] : args,
    {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: timeoutMs,
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = timed ? readFileSync(timeOut, "utf8").trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0) : NaN;
  return { stdout, seconds, cpu };
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!);

/** A transfer figure: MiB/s and CPU seconds per gigabyte (both processes). */
interface Transfer {
  mibPerSecond: number;
  cpuPerGb: number;
}
const FAILED: Transfer = { mibPerSecond: NaN, cpuPerGb: NaN };

/** `gtlsclient` fetching `mib` MiB from a server at `port` whose CPU `serverCpu()` reads. */
function gtlsclientGet(port: number, mib: number, serverCpu: () => number | undefined): Transfer {
  const before = serverCpu() ?? NaN;
  // No --download: writing the file to disk made the C tools look 3× slower than they are.
  // A failed transfer exits non-zero (execFileSync throws).
  const r = timedRun("gtlsclient", [
    "-q",
    "--exit-on-all-streams-close",
    "127.0.0.1",
    String(port),
    `https://127.0.0.1:${port}/blob`,
  ], 60_000);
  const cpu = r.cpu + ((serverCpu() ?? NaN) - before);
  return { mibPerSecond: mib / r.seconds, cpuPerGb: cpu / ((mib * 2 ** 20) / 1e9) };
}

async function ngtcp2Bulk(mib: number): Promise<Transfer> {
  const docs = join(work, "htdocs");
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, "blob"), new Uint8Array(mib << 20));
  const port = nextPort++;
  const server = await background("gtlsserver", [
    "-q",
    "-d",
    docs,
    "127.0.0.1",
    String(port),
    join(work, "key.pem"),
    join(work, "cert.pem"),
  ], 500);
  try {
    return gtlsclientGet(port, mib, () => processCpuSeconds(server.pid));
  } finally {
    server.stop();
  }
}

const DENO_QUIC = "scripts/bench/deno_quic.ts";
const COQUIC_QUIC = "scripts/bench/coquic_quic.ts";

/** A server script of ours under `runtime` (it prints the perf runner's listening line). */
async function scriptServer(
  runtime: "deno" | "bun",
  script: string,
  args: string[],
): Promise<ServerProcess | undefined> {
  try {
    return await startServerProcess(runtime, join(ROOT, script), args);
  } catch (e) {
    log(`(${runtime} ${script}: ${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}

/** HTTP/3: `gtlsclient` GETs `mib` MiB from our `serve()` (impl "coquic") or `Bun.serve` ("bun"). */
async function h3Get(runtime: "deno" | "bun", impl: "coquic" | "bun", io: Io, mib: number): Promise<Transfer> {
  const server = await scriptServer(runtime, "scripts/bench/h3_server.ts", [
    "--impl",
    impl,
    "--io",
    io,
    "--mib",
    String(mib),
    "--cert",
    join(work, "cert.pem"),
    "--key",
    join(work, "key.pem"),
  ]);
  if (!server) return FAILED;
  try {
    return gtlsclientGet(server.port, mib, () => server.cpuSeconds());
  } catch (e) {
    log(`(HTTP/3 GET from ${runtime} ${impl} ${io} failed: ${(e as Error).message.split("\n")[0]})`);
    return FAILED;
  } finally {
    await server.stop();
  }
}

/**
 * One workload of a client/server script pair: Deno's built-in QUIC (`scripts/bench/deno_quic.ts`:
 * bulk MiB/s, rr p50 µs, crr connections/s) or ours on the same workload and wire exchanges
 * (`scripts/bench/coquic_quic.ts`: rr, crr), with the CPU of both processes.
 */
async function scriptQuic(
  runtime: "deno" | "bun",
  script: string,
  mode: "bulk" | "rr" | "crr",
  mib: number,
  extra: string[] = [],
): Promise<Record<string, number>> {
  const server = await scriptServer(runtime, script, [
    "server",
    "--cert",
    join(work, "cert.pem"),
    "--key",
    join(work, "key.pem"),
    ...extra,
  ]);
  if (!server) return {};
  try {
    const before = server.cpuSeconds() ?? NaN;
    const r = timedRun(...runtimeCmd(runtime, script, [
      "client",
      "--port",
      String(server.port),
      "--ca",
      join(work, "cert.pem"),
      "--mode",
      mode,
      "--mib",
      String(mib),
      "--seconds",
      String(SECONDS),
      ...extra,
    ]));
    const cpu = r.cpu + ((server.cpuSeconds() ?? NaN) - before);
    const json = lastJson(r.stdout);
    if (mode === "bulk") return { mibPerSecond: json.mibPerSecond, cpuPerGb: cpu / (json.bytes / 1e9) };
    if (mode === "rr") return { p50: json.p50_us, cpuPerRequest: (cpu * 1e6) / json.requests };
    return { perSecond: json.perSecond, cpuPerRequest: (cpu * 1e6) / json.connections };
  } catch (e) {
    log(`(${runtime} ${script} ${mode} failed: ${(e as Error).message.split("\n")[0]})`);
    return {};
  } finally {
    await server.stop();
  }
}

/** The runtime's own UDP ceiling and ping-pong latency (NaN when that run fails). */
function udpBench(rt: "deno" | "bun", seconds: string): { gbitPerSecond: number; p50: number } {
  try {
    const udp = jsonLine(...runtimeCmd(rt, "scripts/bench_udp.ts", ["--mode", "both", "--seconds", seconds, "--json"]));
    return { gbitPerSecond: udp.throughput.gbitPerSecond, p50: udp.rtt.p50 };
  } catch (e) {
    log(`(${rt} UDP bench failed: ${(e as Error).message.split("\n")[0]})`);
    return { gbitPerSecond: NaN, p50: NaN };
  }
}

const results: Record<string, number[]> = {};
const add = (k: string, v: number) => (results[k] ??= []).push(v);

/** Our serve() on `rt` over `io`: one HTTP/3 GET row. */
async function h3Row(rt: "deno" | "bun", io: Io): Promise<void> {
  const k = io === "runtime" ? rt : `${rt} native`;
  const h3 = await h3Get(rt, "coquic", io, DOWNLOAD_MIB);
  add(`${k} HTTP/3 serve() GET MiB/s`, h3.mibPerSecond);
  add(`${k} HTTP/3 serve() GET CPU s/GB`, h3.cpuPerGb);
}

/** The references of the HTTP/3 rows: gtlsserver and Bun.serve, each answering the same GET. */
async function h3References(): Promise<void> {
  const c = await ngtcp2Bulk(DOWNLOAD_MIB).catch(() => FAILED);
  add("ngtcp2 C tools bulk MiB/s", c.mibPerSecond); // gtlsserver → gtlsclient is an HTTP/3 GET
  add("ngtcp2 C tools bulk CPU s/GB", c.cpuPerGb);
  const bunH3 = await h3Get("bun", "bun", "runtime", DOWNLOAD_MIB);
  add("Bun.serve({ http3: true }) GET MiB/s", bunH3.mibPerSecond);
  add("Bun.serve({ http3: true }) GET CPU s/GB", bunH3.cpuPerGb);
}

/** `--only h3`: ours (each runtime, each I/O path) and the references, alternating. */
async function h3Rows(): Promise<void> {
  for (const rt of ["bun", "deno"] as const) {
    for (const io of ["runtime", "native"] as const) await h3Row(rt, io);
  }
  await h3References();
}

/** Deno's built-in QUIC's rr and crr workloads on our API, native I/O (no perf-runner control stream). */
async function sameWorkloadRows(rt: "deno" | "bun"): Promise<void> {
  const rr = await scriptQuic(rt, COQUIC_QUIC, "rr", DOWNLOAD_MIB, ["--io", "native"]);
  add(`${rt} native rr p50 µs (built-in's workload)`, rr.p50 ?? NaN);
  add(`${rt} native rr CPU µs/request (built-in's workload)`, rr.cpuPerRequest ?? NaN);
  const crr = await scriptQuic(rt, COQUIC_QUIC, "crr", DOWNLOAD_MIB, ["--io", "native"]);
  add(`${rt} native crr handshakes/s (built-in's workload)`, crr.perSecond ?? NaN);
  add(`${rt} native crr CPU µs/handshake (built-in's workload)`, crr.cpuPerRequest ?? NaN);
}

/** Deno's built-in QUIC on the rr and crr workloads. */
async function builtInRequestRows(): Promise<void> {
  const rr = await scriptQuic("deno", DENO_QUIC, "rr", DOWNLOAD_MIB);
  add("deno built-in QUIC rr p50 µs", rr.p50 ?? NaN);
  add("deno built-in QUIC rr CPU µs/request", rr.cpuPerRequest ?? NaN);
  const crr = await scriptQuic("deno", DENO_QUIC, "crr", DOWNLOAD_MIB);
  add("deno built-in QUIC crr handshakes/s", crr.perSecond ?? NaN);
  add("deno built-in QUIC crr CPU µs/handshake", crr.cpuPerRequest ?? NaN);
}

execFileSync("make", ["-s", "-C", "native", "all", "bench"], { cwd: ROOT, stdio: "inherit" });
const dur = `${SECONDS}s`;
for (let run = 1; run <= RUNS; run++) {
  log(`run ${run}/${RUNS}`);
  if (H3_ONLY) {
    await h3Rows();
    continue;
  }
  if (REQUESTS_ONLY) {
    for (const rt of ["bun", "deno"] as const) await sameWorkloadRows(rt);
    await builtInRequestRows();
    continue;
  }
  const udpSeconds = QUICK ? "1" : "2";
  add(
    "c udp ceiling Gbit/s",
    orNaN("C UDP ceiling", () => jsonLine(join(ROOT, "native/build/udp_ceiling"), [udpSeconds]).gbitPerSecond),
  );
  for (const rt of ["bun", "deno"] as const) {
    const udp = udpBench(rt, udpSeconds);
    add(`${rt} udp ceiling Gbit/s`, udp.gbitPerSecond);
    add(`${rt} udp ping-pong p50 µs`, udp.p50);
    // The same runner on both I/O paths: "runtime" keys stay as before, "native" ones say so.
    for (const io of ["runtime", "native"] as const) {
      const k = io === "runtime" ? rt : `${rt} native`;
      const bulk = await runner(rt, io, [
        "--mode",
        "bulk",
        "--response-bytes",
        String(64 << 20),
        "--streams",
        "1",
        "--duration",
        dur,
      ]);
      add(`${k} bulk Gbit/s`, bulk.status === "ok" ? bulk.throughput_gbit_per_s : NaN);
      add(`${k} bulk MiB/s`, bulk.status === "ok" ? bulk.throughput_mib_per_s : NaN);
      add(`${k} bulk CPU s/GB`, bulk.status === "ok" ? bulk.cpu_s_per_gb : NaN);
      const rr = await runner(rt, io, [
        "--mode",
        "rr",
        "--request-bytes",
        "32",
        "--response-bytes",
        "32",
        "--duration",
        dur,
      ]);
      add(`${k} rr p50 µs`, rr.status === "ok" ? rr.latency.p50_us : NaN);
      add(`${k} rr CPU µs/request`, rr.status === "ok" ? rr.cpu_us_per_request : NaN);
      const crr = await runner(rt, io, [
        "--mode",
        "crr",
        "--request-bytes",
        "32",
        "--response-bytes",
        "32",
        "--connections",
        "8",
        "--duration",
        dur,
      ]);
      add(`${k} crr handshakes/s`, crr.status === "ok" ? crr.requests_per_s : NaN);
      add(`${k} crr CPU µs/handshake`, crr.status === "ok" ? crr.cpu_us_per_request : NaN);
      await h3Row(rt, io);
    }
    await sameWorkloadRows(rt);
  }
  await h3References();
  const dBulk = await scriptQuic("deno", DENO_QUIC, "bulk", DOWNLOAD_MIB);
  add("deno built-in QUIC bulk MiB/s", dBulk.mibPerSecond ?? NaN);
  add("deno built-in QUIC bulk CPU s/GB", dBulk.cpuPerGb ?? NaN);
  await builtInRequestRows();
}
rmSync(work, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
console.log(`\ncoquic-ts benchmark — loopback, medians of ${RUNS} runs, ${SECONDS} s timed runs\n`);
const w = Math.max(...Object.keys(m).map((k) => k.length));
for (const [k, v] of Object.entries(m)) {
  console.log(`  ${k.padEnd(w)}  ${Number.isFinite(v) ? v.toFixed(v < 10 ? 3 : 1) : "failed"}`);
}
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const mibToGbit = (x: number) => (x * 2 ** 20 * 8) / 1e9;
console.log("\ntargets");
type Target = [string, string, string, boolean];
/** The HTTP/3 GET targets of runtime `rt`. */
function h3Targets(rt: "bun" | "deno"): Target[] {
  const ours = m[`${rt} native HTTP/3 serve() GET MiB/s`], bun = m["Bun.serve({ http3: true }) GET MiB/s"];
  return [
    [`${rt} HTTP/3 GET: serve() native / Bun.serve`, ratio(ours, bun), "≥ 1.50", ours >= 1.5 * bun],
    [`${rt} HTTP/3 GET: serve() native / gtlsserver`, ratio(ours, m["ngtcp2 C tools bulk MiB/s"]), "reference", true],
  ];
}
/** The rr and crr targets of runtime `rt` against Deno's built-in QUIC, on the same workload. */
function requestTargets(rt: "bun" | "deno"): Target[] {
  const rr = m[`${rt} native rr p50 µs (built-in's workload)`], builtInRr = m["deno built-in QUIC rr p50 µs"];
  const crr = m[`${rt} native crr handshakes/s (built-in's workload)`];
  const builtInCrr = m["deno built-in QUIC crr handshakes/s"];
  return [
    [`${rt} rr p50: native / deno built-in QUIC`, ratio(rr, builtInRr), "≤ 0.80", rr <= 0.8 * builtInRr],
    [`${rt} crr: native / deno built-in QUIC`, ratio(crr, builtInCrr), "≥ 1.20", crr >= 1.2 * builtInCrr],
  ];
}
const rows: Target[] = H3_ONLY
  ? (["bun", "deno"] as const).flatMap(h3Targets)
  : REQUESTS_ONLY
  ? (["bun", "deno"] as const).flatMap(requestTargets)
  : [
    [
      "bun bulk / bun UDP ceiling",
      ratio(m["bun bulk Gbit/s"], m["bun udp ceiling Gbit/s"]),
      "≥ 0.70",
      m["bun bulk Gbit/s"] / m["bun udp ceiling Gbit/s"] >= 0.7,
    ],
    [
      "deno bulk / deno UDP ceiling",
      ratio(m["deno bulk Gbit/s"], m["deno udp ceiling Gbit/s"]),
      "≥ 0.70",
      m["deno bulk Gbit/s"] / m["deno udp ceiling Gbit/s"] >= 0.7,
    ],
    [
      "bun bulk / deno built-in QUIC",
      ratio(m["bun bulk MiB/s"], m["deno built-in QUIC bulk MiB/s"]),
      "≥ 1.00",
      m["bun bulk MiB/s"] >= m["deno built-in QUIC bulk MiB/s"],
    ],
    [
      "bun rr p50 / bun UDP ping-pong",
      ratio(m["bun rr p50 µs"], m["bun udp ping-pong p50 µs"]),
      "≤ 2.00",
      m["bun rr p50 µs"] <= 2 * m["bun udp ping-pong p50 µs"],
    ],
    [
      "deno rr p50 / deno UDP ping-pong",
      ratio(m["deno rr p50 µs"], m["deno udp ping-pong p50 µs"]),
      "≤ 2.00",
      m["deno rr p50 µs"] <= 2 * m["deno udp ping-pong p50 µs"],
    ],
    ...(["bun", "deno"] as const).flatMap((rt): Target[] => {
      const native = m[`${rt} native bulk MiB/s`], runtime = m[`${rt} bulk MiB/s`];
      const c = m["ngtcp2 C tools bulk MiB/s"], d = m["deno built-in QUIC bulk MiB/s"];
      return [
        [`${rt} bulk: native I/O / runtime sockets`, ratio(native, runtime), "> 1.00", native > runtime],
        [
          `${rt} bulk CPU/GB: native / runtime`,
          ratio(m[`${rt} native bulk CPU s/GB`], m[`${rt} bulk CPU s/GB`]),
          "< 1.00",
          m[`${rt} native bulk CPU s/GB`] < m[`${rt} bulk CPU s/GB`],
        ],
        [`${rt} bulk: native I/O / ngtcp2 C tools`, ratio(native, c), "≥ 0.90", native >= 0.9 * c],
        [`${rt} bulk: runtime sockets / ngtcp2 C tools`, ratio(runtime, c), "reference", true],
        [`${rt} bulk: native I/O / deno built-in QUIC`, ratio(native, d), "≥ 1.50", native >= 1.5 * d],
        ...requestTargets(rt),
        [
          `${rt} crr: perf runner native / deno built-in QUIC`,
          ratio(m[`${rt} native crr handshakes/s`], m["deno built-in QUIC crr handshakes/s"]),
          "reference",
          true,
        ],
        ...h3Targets(rt),
        [
          `${rt} rr p50: native / runtime`,
          ratio(m[`${rt} native rr p50 µs`], m[`${rt} rr p50 µs`]),
          "≤ 1.00",
          m[`${rt} native rr p50 µs`] <= m[`${rt} rr p50 µs`],
        ],
      ];
    }),
    ["bun crr handshakes/s", m["bun crr handshakes/s"].toFixed(0), "≥ 1000", m["bun crr handshakes/s"] >= 1000],
    ["deno crr handshakes/s", m["deno crr handshakes/s"].toFixed(0), "≥ 1000", m["deno crr handshakes/s"] >= 1000],
    [
      "ngtcp2 C tools (GSO) / C UDP ceiling",
      ratio(mibToGbit(m["ngtcp2 C tools bulk MiB/s"]), m["c udp ceiling Gbit/s"]),
      "reference",
      true,
    ],
  ];
for (const [name, value, target, ok] of rows) {
  console.log(`  ${name.padEnd(48)} ${value.padStart(8)}  ${target.padEnd(9)} ${ok ? "met" : "missed"}`);
}
console.log("\nWhere the time goes and what would close each gap: README.md, section 'Benchmark'.");
