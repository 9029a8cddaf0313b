/**
 * Transport settings of the perf runner, as the reference runners use them: 32 MiB
 * connection window, 16 MiB stream windows, 4096 streams on the server, the CLI's datagram
 * size and congestion controller.
 *
 * @module
 */
import type { IoMode, TransportOptions } from "../../mod.ts";
import type { PerfConfig } from "./cli.ts";

/** Transport options for a perf endpoint. */
export function perfTransport(config: PerfConfig, server: boolean): TransportOptions & { io: IoMode } {
  const cc = config.congestionControl;
  if (cc !== "newreno" && cc !== "cubic" && cc !== "bbr") {
    throw new Error(`congestion control ${cc} is not available with the ngtcp2 engine (newreno, cubic, bbr)`);
  }
  return {
    congestionControl: cc,
    connectionWindow: 32 << 20,
    streamWindow: 16 << 20,
    maxStreams: server ? 4096 : 16,
    maxDatagramSize: config.maxOutboundDatagramSize,
    idleTimeoutMs: 30_000,
    lossAccounting: false, // measure the data path, not its bookkeeping
    io: config.io, // the path asked for, never a silent fallback
  };
}
