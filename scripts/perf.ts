/**
 * `coquic-ts-perf`: the coquic-perf/1 runner.
 *
 *   deno task perf                      a loopback run (a server process and a client process)
 *                                       with live progress and a summary
 *   deno task perf server [options]     a server
 *   deno task perf client [options]     a client; prints the standard line, --json-out writes the JSON
 *   bun scripts/perf.ts ...             the same under Bun (or `--runtime bun` from any runtime)
 *   npx coquic-ts-perf ...              the same under Node.js, from the npm package
 *
 * Options are the reference runner's (see USAGE) plus --runtime, --io and --processes.
 * Without --certificate-chain/--private-key the server generates a development certificate.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parsePerfArgs, type PerfConfig, PerfUsageError } from "./perf/cli.ts";
import { type PerfProgress, runPerfClient } from "./perf/client.ts";
import { describeIo } from "./perf/io.ts";
import { type RunSummary, summaryLine } from "./perf/metrics.ts";
import { describeProcesses, summaryTable } from "./perf/report.ts";
import { currentRuntime, type RuntimeName, runtimeVersion, scriptCommand } from "./perf/runtime.ts";
import { startPerfServer } from "./perf/server.ts";
import { listeningLine, serverArgs, startServerProcess } from "./perf/server_process.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const SCRIPT = fileURLToPath(import.meta.url);
const rawArgs: string[] = g.Deno ? g.Deno.args : g.process.argv.slice(2);
// `deno task perf -- --mode rr` passes the npm-style separator through: drop it
const argv = rawArgs[0] === "--" ? rawArgs.slice(1) : rawArgs;
const exit = (code: number): void => void (g.Deno ? g.Deno.exit(code) : g.process.exit(code));
const isTty = g.Deno ? g.Deno.stdout.isTerminal() : Boolean(g.process?.stdout?.isTTY);

function certificate(config: PerfConfig): { certPem: string; keyPem: string } | undefined {
  if (!config.certificateChain) return undefined;
  return { certPem: readFileSync(config.certificateChain, "utf8"), keyPem: readFileSync(config.privateKey!, "utf8") };
}

function emit(config: PerfConfig, summary: RunSummary): void {
  console.log(summaryLine(summary));
  if (config.jsonOut) writeFileSync(config.jsonOut, JSON.stringify(summary));
}

function progressLine(p: PerfProgress): string {
  const mib = (p.bytesSent + p.bytesReceived) / 2 ** 20;
  const rate = mib / Math.max(p.elapsedMs / 1000, 0.001);
  return `  ${p.phase.padEnd(10)} ${(p.elapsedMs / 1000).toFixed(1).padStart(6)} s  ${
    mib.toFixed(1).padStart(9)
  } MiB  ` +
    `${rate.toFixed(1).padStart(8)} MiB/s  ${String(p.requestsCompleted).padStart(8)} requests`;
}

/** Runs this same command line under `runtime` (the child sees it is already there). */
function rerunUnder(runtime: RuntimeName): Promise<number> {
  const [cmd, args] = scriptCommand(runtime, SCRIPT, argv);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "inherit" });
    child.once("error", (e) => {
      console.error(`--runtime ${runtime}: cannot start ${cmd}: ${e.message}`);
      resolve(1);
    });
    child.once("close", (code) => resolve(code ?? 1));
  });
}

/** The server side of a loopback run: in a process of its own, or in this one. */
async function startLoopbackServer(config: PerfConfig, port: number) {
  if (config.processes === 2) return await startServerProcess(currentRuntime(), SCRIPT, serverArgs(config, port));
  const server = await startPerfServer({ ...config, port }, certificate(config));
  const { hostname, port: bound } = server.listener.addr;
  return { host: hostname, port: bound, output: () => "", stop: () => server.close() };
}

/** A server and a client over loopback, with live progress (on a terminal) and a summary table. */
async function loopback(config: PerfConfig): Promise<number> {
  // The main job's defaults are the reference CI preset's bulk download (1 MiB objects on
  // 4 streams) unless given.
  if (config.mode === "bulk" && !argv.includes("--response-bytes")) config.responseBytes = 1 << 20;
  if (config.mode === "bulk" && !argv.includes("--streams")) config.streams = 4;
  const runtime = runtimeVersion();
  const io = describeIo(config.io, currentRuntime());
  const what = config.mode === "bulk" ? `bulk ${config.direction}` : config.mode;
  console.error(
    `coquic-perf/1 loopback run, ${describeProcesses(config.processes)} on ${runtime}, I/O ${io}: ` +
      `${what}, ${config.connections} connection(s) × ${config.streams} stream(s)`,
  );
  let server;
  try {
    server = await startLoopbackServer(config, argv.includes("--port") ? config.port : 0);
  } catch (e) {
    console.error(`perf: ${(e as Error).message}`);
    return 1;
  }
  const { loadCoquic } = await import("../ffi/loader.ts");
  const lib = await loadCoquic();
  let last = 0;
  const summary = await runPerfClient({ ...config, host: server.host, port: server.port }, (p) => {
    if (!isTty) return;
    if (p.phase === "done" || performance.now() - last > 200) {
      last = performance.now();
      g.process?.stderr?.write ? g.process.stderr.write(`\r${progressLine(p)}`) : null;
    }
  }).finally(() => server.stop());
  if (isTty) console.error("");
  if (summary.status !== "ok" && server.output()) console.error(`server output:\n${server.output().trimEnd()}`);
  console.error(
    summaryTable(summary, { processes: config.processes, runtime, io, engine: `${lib.engine} (${lib.path})` }),
  );
  emit(config, summary);
  return summary.status === "ok" ? 0 : 1;
}

async function main(): Promise<number> {
  let config: PerfConfig;
  try {
    config = parsePerfArgs(argv);
  } catch (e) {
    if (e instanceof PerfUsageError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  if (config.runtime && config.runtime !== currentRuntime()) return await rerunUnder(config.runtime);
  if (config.role === "server") {
    const server = await startPerfServer(config, certificate(config));
    console.error(listeningLine(server.listener.addr.hostname, server.listener.addr.port));
    await server.done;
    await server.close();
    return 0;
  }
  if (config.role === "client") {
    const summary = await runPerfClient(config);
    emit(config, summary);
    return summary.status === "ok" ? 0 : 1;
  }
  return await loopback(config);
}

exit(await main());
