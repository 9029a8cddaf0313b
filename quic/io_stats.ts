/**
 * What `observe()` says about the socket path: which driver moves the datagrams and, on the
 * native path, the engine's socket counters (`coquic_x_io_stats_t`, per endpoint socket).
 *
 * @module
 */
import { Layout as L } from "../ffi/abi.ts";

/**
 * Counters of a native socket. Segments per syscall tell whether the offloads work:
 * `recvDatagrams / recvMessages` > 1 means GRO coalesced, `sendDatagrams / sendMessages` > 1
 * means GSO did.
 *
 * @example
 * ```ts
 * import type { QuicConnection } from "../mod.ts";
 * declare const conn: QuicConnection;
 * const io = conn.observe().io;
 * if (io.path === "native") console.log(io.sendDatagrams / io.sendSyscalls, "datagrams per sendmmsg");
 * ```
 */
export interface NativeIoStats {
  /** recvmmsg calls that returned datagrams. */
  recvSyscalls: number;
  /** Messages received (one GRO message holds several datagrams). */
  recvMessages: number;
  /** Datagrams received, after splitting GRO messages. */
  recvDatagrams: number;
  /** Bytes received. */
  recvBytes: number;
  /** sendmmsg calls that sent something. */
  sendSyscalls: number;
  /** Messages sent (one GSO message holds several datagrams). */
  sendMessages: number;
  /** Datagrams sent. */
  sendDatagrams: number;
  /** Bytes sent. */
  sendBytes: number;
  /** Times the socket would block (datagrams stayed queued until writable). */
  sendWouldBlock: number;
  /** Datagrams dropped on other send errors. */
  sendErrors: number;
  /** Datagrams received marked ECT(0). */
  recvEcnEct0: number;
  /** Datagrams received marked ECT(1). */
  recvEcnEct1: number;
  /** Datagrams received marked CE (congestion experienced). */
  recvEcnCe: number;
  /** Datagrams sent with an ECN mark. */
  sendEcnMarked: number;
  /** Outbound datagrams whose route named no peer. */
  droppedNoRoute: number;
  /** Datagrams waiting for the socket to become writable. */
  queued: number;
  /** Peer addresses the socket knows (idle ones are pruned as the table grows). */
  peers: number;
  /** UDP segmentation offload in use. */
  gso: boolean;
  /** UDP receive coalescing in use. */
  gro: boolean;
  /** ECN marks read and written. */
  ecn: boolean;
}

/**
 * The socket path of an endpoint: `"runtime"` (the runtime's UDP socket; datagrams cross
 * into JavaScript) or `"native"` (the engine's own socket, with its counters).
 *
 * @example
 * ```ts
 * import type { QuicListener } from "../mod.ts";
 * declare const listener: QuicListener;
 * const io: IoSnapshot = listener.observe().io;
 * console.log(io.path);
 * ```
 */
export type IoSnapshot =
  | { path: "runtime"; /** Peer addresses (routes) the driver knows; forgotten as the table grows. */ peers: number }
  | ({ path: "native" } & NativeIoStats);

/**
 * Decodes a `coquic_x_io_stats_t`.
 *
 * @example
 * ```ts
 * const buffer = new Uint8Array(152); // filled by coquic_x_io_stats
 * const stats = decodeIoStats(new DataView(buffer.buffer));
 * ```
 */
export function decodeIoStats(view: DataView): NativeIoStats {
  const S = L.IoStats;
  const out: Record<string, number | boolean> = {};
  S.fields.forEach((name, i) => (out[name] = Number(view.getBigUint64(S.first_field + 8 * i, true))));
  out.gso = view.getUint8(S.gso) !== 0;
  out.gro = view.getUint8(S.gro) !== 0;
  out.ecn = view.getUint8(S.ecn) !== 0;
  return out as unknown as NativeIoStats;
}
