/**
 * The human-readable summary of a loopback run: how it ran (processes, runtime, I/O path,
 * engine) and what its mode measures; bulk runs measure no latency, so none is shown.
 *
 * @module
 */
import type { RunSummary } from "./metrics.ts";

/** How a run was set up, for its summary. */
export interface RunSetup {
  processes: 1 | 2;
  runtime: string;
  io: string;
  engine: string;
}

/** "two processes (server, client)" or "one process (server and client)". */
export function describeProcesses(processes: 1 | 2): string {
  return processes === 2 ? "two processes (server, client)" : "one process (server and client)";
}

/** The summary table, one `key  value` row per line. */
export function summaryTable(s: RunSummary, setup: RunSetup): string {
  const rows: [string, string][] = [
    ["processes", describeProcesses(setup.processes)],
    ["runtime", setup.runtime],
    ["I/O path", setup.io],
    ["engine", setup.engine],
    ["mode", `${s.mode}${s.mode === "bulk" ? ` (${s.direction})` : ""}, cc ${s.congestion_control}`],
    ["status", s.status + (s.failure_reason ? ` — ${s.failure_reason}` : "")],
    ["elapsed", `${(s.elapsed_ms / 1000).toFixed(3)} s`],
    ["bytes sent / received", `${s.bytes_sent} / ${s.bytes_received}`],
    ["throughput", `${s.throughput_mib_per_s.toFixed(1)} MiB/s (${s.throughput_gbit_per_s.toFixed(3)} Gbit/s)`],
  ];
  if (s.mode !== "bulk") {
    rows.push(
      [
        s.mode === "crr" ? "connections (1 request each)" : "requests",
        `${s.requests_completed} (${s.requests_per_s.toFixed(1)}/s)`,
      ],
      ["latency p50 / p99", `${s.latency.p50_us} / ${s.latency.p99_us} µs`],
    );
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n");
}
