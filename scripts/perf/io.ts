/**
 * I/O paths of the perf runner: which code moves datagrams between the engine and the kernel.
 * "runtime" is the runtime's own UDP sockets (runtimes/udp_*.ts); "native" will be the
 * engine's own sockets. To wire it when it lands: add it to AVAILABLE_IO_PATHS, describe it
 * in describeIo, and hand `config.io` to the endpoints (transport.ts).
 *
 * @module
 */
import type { RuntimeName } from "./runtime.ts";

/** Every I/O path `--io` names. */
export const IO_PATHS = ["runtime", "native"] as const;
/** An I/O path. */
export type IoPath = (typeof IO_PATHS)[number];
/** The I/O paths this build can run. */
export const AVAILABLE_IO_PATHS: readonly IoPath[] = ["runtime"];

const RUNTIME_SOCKETS: Record<RuntimeName, string> = {
  deno: "Deno.listenDatagram",
  bun: "Bun.udpSocket",
  node: "node:dgram",
};

/** Why `io` cannot run here, or undefined when it can. */
export function unavailableIoReason(io: IoPath): string | undefined {
  if (AVAILABLE_IO_PATHS.includes(io)) return undefined;
  return `--io ${io} is not available yet: the native I/O path (UDP sockets in the engine) has not landed; use --io runtime`;
}

/** A summary line for an I/O path, e.g. "runtime (Deno.listenDatagram sockets)". */
export function describeIo(io: IoPath, runtime: RuntimeName): string {
  return io === "runtime" ? `runtime (${RUNTIME_SOCKETS[runtime]} sockets)` : "native (the engine's own sockets)";
}
