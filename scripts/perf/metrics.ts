/**
 * Run summaries of the perf runner: the reference formulas, the stdout line and the JSON
 * document with its keys in the reference order.
 *
 * @module
 */
import type { PerfConfig } from "./cli.ts";
import { PERF_ALPN } from "./protocol.ts";

/** Latency figures in microseconds. */
export interface LatencySummary {
  min_us: number;
  avg_us: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
}

/** Counters a server reports in `session_complete`. */
export interface ServerCounters {
  bytes_sent: number;
  bytes_received: number;
  requests_completed: number;
}

/** The JSON summary of a client run; keys are declared in the order they are written. */
export interface RunSummary {
  schema_version: 1;
  status: "ok" | "failed";
  mode: string;
  direction: string;
  backend: string;
  congestion_control: string;
  remote_host: string;
  remote_port: number;
  alpn: string;
  elapsed_ms: number;
  warmup_ms: number;
  bytes_sent: number;
  bytes_received: number;
  server_counters: ServerCounters;
  requests_completed: number;
  streams: number;
  connections: number;
  requests_in_flight: number;
  request_bytes: number;
  response_bytes: number;
  throughput_mib_per_s: number;
  throughput_gbit_per_s: number;
  requests_per_s: number;
  latency: LatencySummary;
  failure_reason?: string;
}

/** Nearest-rank percentile over sorted samples: element ceil(p/100·n) − 1, clamped. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank - 1, 0), sorted.length - 1)];
}

/**
 * Summarizes latency samples (µs).
 *
 * @example
 * ```ts
 * summarizeLatency([30, 10, 20]).p50_us; // 20
 * ```
 */
export function summarizeLatency(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { min_us: 0, avg_us: 0, p50_us: 0, p90_us: 0, p99_us: 0, max_us: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    min_us: sorted[0],
    avg_us: Math.floor(total / sorted.length),
    p50_us: percentile(sorted, 50),
    p90_us: percentile(sorted, 90),
    p99_us: percentile(sorted, 99),
    max_us: sorted[sorted.length - 1],
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Builds the summary of a run from its counters. */
export function buildSummary(
  config: PerfConfig,
  run: {
    status: "ok" | "failed";
    elapsedUs: number;
    bytesSent: number;
    bytesReceived: number;
    requestsCompleted: number;
    serverCounters: ServerCounters;
    latencySamplesUs: readonly number[];
    failureReason?: string;
  },
): RunSummary {
  const seconds = Math.max(run.elapsedUs / 1e6, 0.001);
  const bytes = run.bytesSent + run.bytesReceived;
  const summary: RunSummary = {
    schema_version: 1,
    status: run.status,
    mode: config.mode,
    direction: config.direction,
    backend: "socket",
    congestion_control: config.congestionControl,
    remote_host: config.host,
    remote_port: config.port,
    alpn: PERF_ALPN,
    elapsed_ms: Math.floor(run.elapsedUs / 1000),
    warmup_ms: Math.floor(config.warmupUs / 1000),
    bytes_sent: run.bytesSent,
    bytes_received: run.bytesReceived,
    server_counters: run.serverCounters,
    requests_completed: run.requestsCompleted,
    streams: config.streams,
    connections: config.connections,
    requests_in_flight: config.requestsInFlight,
    request_bytes: config.requestBytes,
    response_bytes: config.responseBytes,
    throughput_mib_per_s: round3(bytes / 2 ** 20 / seconds),
    throughput_gbit_per_s: round3((bytes * 8) / 1e9 / seconds),
    requests_per_s: round3(run.requestsCompleted / seconds),
    latency: summarizeLatency(run.latencySamplesUs),
  };
  if (run.failureReason !== undefined) summary.failure_reason = run.failureReason;
  return summary;
}

/** The one stdout line of a client run. */
export function summaryLine(s: RunSummary): string {
  return `status=${s.status} mode=${s.mode} cc=${s.congestion_control} direction=${s.direction} ` +
    `throughput_mib/s=${s.throughput_mib_per_s.toFixed(3)} throughput_gbit/s=${s.throughput_gbit_per_s.toFixed(3)} ` +
    `requests/s=${s.requests_per_s.toFixed(3)}`;
}
