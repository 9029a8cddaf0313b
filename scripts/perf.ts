/**
 * `coquic-ts-perf`: the coquic-perf/1 runner.
 *
 *   deno task perf                      a loopback run (server + client here) with live progress and a summary
 *   deno task perf server [options]     a server
 *   deno task perf client [options]     a client; prints the standard line, --json-out writes the JSON
 *   bun scripts/perf.ts ...             the same under Bun
 *   npx coquic-ts-perf ...              the same under Node.js, from the npm package
 *
 * Options are the reference runner's (see USAGE). Without --certificate-chain/--private-key
 * the server generates a development certificate.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parsePerfArgs, PerfUsageError, type PerfConfig } from "./perf/cli.ts";
import { runPerfClient, type PerfProgress } from "./perf/client.ts";
import { startPerfServer } from "./perf/server.ts";
import { summaryLine, type RunSummary } from "./perf/metrics.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const argv: string[] = g.Deno ? g.Deno.args : g.process.argv.slice(2);
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
  return `  ${p.phase.padEnd(10)} ${(p.elapsedMs / 1000).toFixed(1).padStart(6)} s  ${mib.toFixed(1).padStart(9)} MiB  ` +
    `${rate.toFixed(1).padStart(8)} MiB/s  ${String(p.requestsCompleted).padStart(8)} requests`;
}

function table(s: RunSummary, runtime: string, engine: string): string {
  const rows: [string, string][] = [
    ["runtime", runtime],
    ["engine", engine],
    ["mode", `${s.mode} (${s.direction}), cc ${s.congestion_control}`],
    ["status", s.status + (s.failure_reason ? ` — ${s.failure_reason}` : "")],
    ["elapsed", `${(s.elapsed_ms / 1000).toFixed(3)} s`],
    ["bytes sent / received", `${s.bytes_sent} / ${s.bytes_received}`],
    ["throughput", `${s.throughput_mib_per_s.toFixed(1)} MiB/s (${s.throughput_gbit_per_s.toFixed(3)} Gbit/s)`],
    ["requests", `${s.requests_completed} (${s.requests_per_s.toFixed(1)}/s)`],
    ["latency p50 / p99", `${s.latency.p50_us} / ${s.latency.p99_us} µs`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n");
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
  if (config.role === "server") {
    const server = await startPerfServer(config, certificate(config));
    await server.done;
    await server.close();
    return 0;
  }
  if (config.role === "client") {
    const summary = await runPerfClient(config);
    emit(config, summary);
    return summary.status === "ok" ? 0 : 1;
  }
  // loopback: a server and a client in this process. The main job's defaults are the
  // reference CI preset's bulk download (1 MiB objects on 4 streams) unless given.
  if (config.mode === "bulk" && !argv.includes("--response-bytes")) config.responseBytes = 1 << 20;
  if (config.mode === "bulk" && !argv.includes("--streams")) config.streams = 4;
  const server = await startPerfServer({ ...config, port: argv.includes("--port") ? config.port : 0 }, certificate(config));
  const clientConfig = { ...config, port: server.listener.addr.port, host: server.listener.addr.hostname };
  const runtime = g.Bun ? `bun ${g.Bun.version}` : g.Deno ? `deno ${g.Deno.version.deno}` : `node ${g.process.version}`;
  const { loadCoquic } = await import("../ffi/loader.ts");
  const lib = await loadCoquic();
  console.error(`coquic-perf/1 loopback run on ${runtime}: ${config.mode} ${config.direction}, ${config.connections} connection(s) × ${config.streams} stream(s)`);
  let last = 0;
  const summary = await runPerfClient(clientConfig, (p) => {
    if (!isTty) return;
    if (p.phase === "done" || performance.now() - last > 200) {
      last = performance.now();
      g.process?.stderr?.write ? g.process.stderr.write(`\r${progressLine(p)}`) : null;
    }
  });
  if (isTty) console.error("");
  await server.close();
  console.error(table(summary, runtime, `${lib.engine} (${lib.path})`));
  emit(config, summary);
  return summary.status === "ok" ? 0 : 1;
}

exit(await main());
