/**
 * Command line of the perf runner: the reference `coquic-perf` option set and defaults,
 * parsed with `node:util` parseArgs (JSR's @std/cli is unreachable from our machines).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { PerfDirection, PerfMode } from "./protocol.ts";
import { defaultIo, IO_PATHS, type IoPath, unavailableIoReason } from "./io.ts";
import { type RuntimeName, SELECTABLE_RUNTIMES } from "./runtime.ts";

/** Congestion controllers named on the command line. */
export const CONGESTION_CONTROLS = ["newreno", "cubic", "bbr", "copa", "pcc", "pcc-vivace"] as const;
/** A congestion controller name. */
export type CongestionControlName = (typeof CONGESTION_CONTROLS)[number];

/** The role a run plays; "loopback" (the default) runs a server and a client over loopback. */
export type PerfRole = "server" | "client" | "loopback";

/** A fully validated perf configuration. Durations are microseconds. */
export interface PerfConfig {
  role: PerfRole;
  host: string;
  port: number;
  congestionControl: CongestionControlName;
  mode: PerfMode;
  direction: PerfDirection;
  requestBytes: number;
  responseBytes: number;
  streams: number;
  connections: number;
  requestsInFlight: number;
  requests?: number;
  totalBytes?: number;
  warmupUs: number;
  durationUs: number;
  maxOutboundDatagramSize: number;
  pmtudMaxDatagramSize: number;
  certificateChain?: string;
  privateKey?: string;
  serverName: string;
  verifyPeer: boolean;
  jsonOut?: string;
  /** The runtime to run under; undefined: this process's own. */
  runtime?: RuntimeName;
  /** Which I/O path moves the datagrams. */
  io: IoPath;
  /** Loopback only: 2 runs the server in a process of its own (the default), 1 in this one. */
  processes: 1 | 2;
}

/** The one-line usage text printed on any command-line error. */
export const USAGE = "usage: coquic-ts-perf [server|client] [--host HOST] [--port PORT] " +
  "[--io-backend socket] [--congestion-control newreno|cubic|bbr|copa|pcc|pcc-vivace] " +
  "[--mode bulk|rr|crr|persistent-rr] [--direction upload|download] [--request-bytes N] " +
  "[--response-bytes N] [--streams N] [--connections N] [--requests-in-flight N] [--requests N] " +
  "[--total-bytes N] [--warmup 250ms|2s] [--duration 250ms|2s] [--max-outbound-datagram-size N] " +
  "[--pmtud-max-datagram-size N] [--certificate-chain PATH] [--private-key PATH] " +
  "[--server-name NAME] [--verify-peer] [--json-out PATH] [--runtime bun|deno] [--io runtime|native] " +
  "[--processes 2|1]";

/** A command line that does not parse; the runner prints `message` and exits 1. */
export class PerfUsageError extends Error {
  override name = "PerfUsageError";
  constructor(detail?: string) {
    super(detail ? `${detail}\n${USAGE}` : USAGE);
  }
}

const STRING_OPTIONS = [
  "host",
  "port",
  "io-backend",
  "congestion-control",
  "mode",
  "direction",
  "request-bytes",
  "response-bytes",
  "streams",
  "connections",
  "requests-in-flight",
  "requests",
  "total-bytes",
  "warmup",
  "duration",
  "max-outbound-datagram-size",
  "pmtud-max-datagram-size",
  "certificate-chain",
  "private-key",
  "server-name",
  "json-out",
  "runtime",
  "io",
  "processes",
] as const;

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new PerfUsageError(`--${name} needs a non-negative integer, got "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new PerfUsageError(`--${name} is too large`);
  return n;
}

/** `<int>ms` or `<int>s`, nothing else, as microseconds. */
export function parseDuration(value: string, name: string): number {
  const m = /^(\d+)(ms|s)$/.exec(value);
  if (!m) throw new PerfUsageError(`--${name} must be <int>ms or <int>s, got "${value}"`);
  return Number(m[1]) * (m[2] === "ms" ? 1_000 : 1_000_000);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new PerfUsageError(`--${name} must be one of ${allowed.join("|")}, got "${value}"`);
  }
  return value as T;
}

/**
 * Parses the runner's arguments (without the program name).
 *
 * @example
 * ```ts
 * const config = parsePerfArgs(["client", "--mode", "rr", "--requests", "1000"]);
 * console.log(config.mode, config.requests); // rr 1000
 * ```
 */
export function parsePerfArgs(args: string[]): PerfConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(STRING_OPTIONS.map((o) => [o, { type: "string" as const }])),
        "verify-peer": { type: "boolean" as const },
      },
    });
  } catch (e) {
    throw new PerfUsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const s = (k: string) => v[k] as string | undefined;
  if (parsed.positionals.length > 1) throw new PerfUsageError(`unexpected argument "${parsed.positionals[1]}"`);
  const role = oneOf(parsed.positionals[0], ["server", "client", "loopback"] as const, "loopback", "role");
  if (s("io-backend") !== undefined && s("io-backend") !== "socket") {
    throw new PerfUsageError("only --io-backend socket is supported");
  }
  const ccRaw = s("congestion-control") === "pcc_vivace" ? "pcc-vivace" : s("congestion-control");
  const mode = oneOf(s("mode"), ["bulk", "rr", "crr", "persistent-rr"] as const, "bulk", "mode");
  if (s("direction") !== undefined && mode !== "bulk") throw new PerfUsageError("--direction needs --mode bulk");
  const config: PerfConfig = {
    role,
    host: s("host") ?? "127.0.0.1",
    port: count(s("port"), 4433, "port"),
    congestionControl: oneOf(ccRaw, CONGESTION_CONTROLS, "newreno", "congestion-control"),
    mode,
    direction: oneOf(s("direction"), ["upload", "download"] as const, "download", "direction"),
    requestBytes: count(s("request-bytes"), 64, "request-bytes"),
    responseBytes: count(s("response-bytes"), 64, "response-bytes"),
    streams: count(s("streams"), 1, "streams"),
    connections: count(s("connections"), 1, "connections"),
    requestsInFlight: count(s("requests-in-flight"), 1, "requests-in-flight"),
    requests: s("requests") === undefined ? undefined : count(s("requests"), 0, "requests"),
    totalBytes: s("total-bytes") === undefined ? undefined : count(s("total-bytes"), 0, "total-bytes"),
    warmupUs: s("warmup") === undefined ? 0 : parseDuration(s("warmup")!, "warmup"),
    durationUs: s("duration") === undefined ? 5_000_000 : parseDuration(s("duration")!, "duration"),
    maxOutboundDatagramSize: count(s("max-outbound-datagram-size"), 1472, "max-outbound-datagram-size"),
    pmtudMaxDatagramSize: count(s("pmtud-max-datagram-size"), 0, "pmtud-max-datagram-size"),
    certificateChain: s("certificate-chain"),
    privateKey: s("private-key"),
    serverName: s("server-name") ?? "localhost",
    verifyPeer: v["verify-peer"] === true,
    jsonOut: s("json-out"),
    runtime: s("runtime") === undefined ? undefined : oneOf(s("runtime"), SELECTABLE_RUNTIMES, "deno", "runtime"),
    // default: COQUIC_IO (as for the library), else runtime sockets
    io: oneOf(s("io") ?? defaultIo(), IO_PATHS, "runtime", "io"),
    processes: oneOf(s("processes"), ["2", "1"] as const, "2", "processes") === "1" ? 1 : 2,
  };
  const ioProblem = unavailableIoReason(config.io);
  if (ioProblem) throw new PerfUsageError(ioProblem);
  if (s("processes") !== undefined && role !== "loopback") throw new PerfUsageError("--processes is for loopback runs");
  if (config.port > 65535) throw new PerfUsageError("--port must be at most 65535");
  if (config.streams === 0) throw new PerfUsageError("--streams must be greater than zero");
  if (config.connections === 0) throw new PerfUsageError("--connections must be greater than zero");
  if (config.requestsInFlight === 0) throw new PerfUsageError("--requests-in-flight must be greater than zero");
  if (config.maxOutboundDatagramSize < 1200) throw new PerfUsageError("--max-outbound-datagram-size must be >= 1200");
  if (config.pmtudMaxDatagramSize !== 0 && config.pmtudMaxDatagramSize < 1200) {
    throw new PerfUsageError("--pmtud-max-datagram-size must be 0 or >= 1200");
  }
  if (mode === "persistent-rr" && (config.requestBytes === 0 || config.responseBytes === 0)) {
    throw new PerfUsageError("persistent-rr needs non-zero --request-bytes and --response-bytes");
  }
  if ((config.certificateChain === undefined) !== (config.privateKey === undefined)) {
    throw new PerfUsageError("--certificate-chain and --private-key go together");
  }
  return config;
}
