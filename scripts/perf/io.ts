/**
 * I/O paths of the perf runner: which code moves datagrams between the engine and the kernel.
 * "runtime" is the runtime's own UDP sockets (runtimes/udp_*.ts); "native" is the engine's
 * own socket (coquic_x_io_*: recvmmsg/GRO, sendmmsg/GSO, no datagram enters JavaScript).
 * The chosen path is handed to every endpoint as `io` (transport.ts), so a run never falls
 * back silently: `--io native` where it is unavailable fails before anything is measured.
 *
 * @module
 */
import { defaultLibrary } from "../../mod.ts";
import { nativeIoUnavailable } from "../../quic/driver_factory.ts";
import { envVar } from "../../runtimes/env.ts";
import type { RuntimeName } from "./runtime.ts";

/** Every I/O path `--io` names. */
export const IO_PATHS = ["runtime", "native"] as const;
/** An I/O path. */
export type IoPath = (typeof IO_PATHS)[number];

const RUNTIME_SOCKETS: Record<RuntimeName, string> = {
  deno: "Deno.listenDatagram",
  bun: "Bun.udpSocket",
  node: "node:dgram",
};

/** The path when `--io` is not given: COQUIC_IO when it names one, else "runtime". */
export function defaultIo(): IoPath | undefined {
  const env = envVar("COQUIC_IO");
  return env === "native" || env === "runtime" ? env : undefined;
}

/** Why `io` cannot run here, or undefined when it can. */
export function unavailableIoReason(io: IoPath): string | undefined {
  if (io === "runtime") return undefined;
  const why = nativeIoUnavailable(defaultLibrary());
  return why ? `--io native is not available here: ${why}; use --io runtime` : undefined;
}

/** A summary line for an I/O path, e.g. "runtime (Deno.listenDatagram sockets)". */
export function describeIo(io: IoPath, runtime: RuntimeName): string {
  return io === "runtime"
    ? `runtime (${RUNTIME_SOCKETS[runtime]} sockets)`
    : "native (the engine's own socket: recvmmsg/GRO, sendmmsg/GSO)";
}
