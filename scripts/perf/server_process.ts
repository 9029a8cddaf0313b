/**
 * A perf server in a process of its own (`perf server` under a given runtime), for loopback
 * runs and benchmarks: started on a free port, ready once it prints its listening line,
 * and gone with its parent even if the parent is killed.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import process from "node:process";
import type { PerfConfig } from "./cli.ts";
import { type RuntimeName, scriptCommand } from "./runtime.ts";

/** The line a server prints on stderr once it listens; the port is the last field. */
export const listeningLine = (host: string, port: number): string => `coquic-perf server listening on ${host}:${port}`;
const LISTENING = /^coquic-perf server listening on (.+):(\d+)$/m;

/** A running server process. */
export interface ServerProcess {
  host: string;
  port: number;
  /** The server's stderr so far (the last 16 KiB): what to show when a run fails. */
  output(): string;
  /** Ends the server and waits for it to exit. */
  stop(): Promise<void>;
  /** User + system CPU seconds the server has used so far (Linux `/proc`), if readable. */
  cpuSeconds(): number | undefined;
}

/** User + system CPU seconds of process `pid` from `/proc/<pid>/stat` (clock ticks of 1/100 s). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

/** The server-side options of a loopback config, as `perf server` arguments. */
export function serverArgs(config: PerfConfig, port: number): string[] {
  const args = [
    "server",
    "--host",
    config.host,
    "--port",
    String(port),
    "--io",
    config.io,
    "--congestion-control",
    config.congestionControl,
    "--max-outbound-datagram-size",
    String(config.maxOutboundDatagramSize),
    "--pmtud-max-datagram-size",
    String(config.pmtudMaxDatagramSize),
  ];
  if (config.certificateChain) {
    args.push("--certificate-chain", config.certificateChain, "--private-key", config.privateKey!);
  }
  return args;
}

/** Starts `script` (the perf runner) with `args` under `runtime`; resolves when it listens. */
export function startServerProcess(
  runtime: RuntimeName,
  script: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const [cmd, cmdArgs] = scriptCommand(runtime, script, args);
  const child = spawn(cmd, cmdArgs, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, COQUIC_PERF_SERVER_EXIT_WITH_PARENT: "1" },
  });
  let stderr = "";
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("close", () => ((exited = true), resolve())));
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exit;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${why}${stderr ? `\n${stderr.trimEnd()}` : ""}`)));
    };
    const timer = setTimeout(
      () => fail(`the ${runtime} server did not listen within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
    child.once("error", (e) => fail(`cannot start the ${runtime} server (${cmd}): ${e.message}`));
    child.once(
      "close",
      (code, signal) => fail(`the ${runtime} server exited before listening (${signal ?? `exit ${code}`})`),
    );
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-16384);
      const m = LISTENING.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        host: m[1],
        port: Number(m[2]),
        output: () => stderr,
        stop,
        cpuSeconds: () => processCpuSeconds(child.pid),
      });
    });
  });
}
