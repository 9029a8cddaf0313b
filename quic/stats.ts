/**
 * Values reported by the `coquic_x_` extensions: close infos and connection statistics.
 * Absent (empty / undefined) with libraries that lack the extensions.
 *
 * @module
 */

/**
 * Why a connection failed (`coquic_x_close_info_t`): one per FAILED state effect.
 *
 * @example
 * ```ts
 * import type { QueryResult } from "./result.ts";
 * declare const result: QueryResult;
 * for (const info of result.closeInfos) {
 *   if (info.source === "peer") console.log("peer closed with", info.errorCode, info.reason);
 * }
 * ```
 */
export interface CloseInfo {
  /** Connection handle. */
  connection: bigint;
  /** Who or what closed the connection. */
  source: "local" | "peer" | "idle_timeout" | "stateless_reset" | "protocol_error" | "handshake_timeout";
  /** Application error code when true, QUIC transport error code otherwise. */
  isApplicationError: boolean;
  /** The QUIC error code. */
  errorCode: bigint;
  /** The reason phrase. */
  reason: string;
}

/**
 * Transport statistics of a connection (`coquic_x_connection_stats_t`). Times in µs, sizes
 * in bytes.
 *
 * @example
 * ```ts
 * import type { Connection, Endpoint } from "./endpoint.ts";
 * declare const endpoint: Endpoint, conn: Connection;
 * const s = endpoint.connectionStats(conn.handle);
 * if (s) console.log(s.smoothedRttUs, s.congestionWindow);
 * ```
 */
export interface ConnectionStats {
  /** Smoothed RTT, µs. */
  smoothedRttUs: number;
  /** Minimum RTT, µs. */
  minRttUs: number;
  /** Latest RTT sample, µs. */
  latestRttUs: number;
  /** RTT variation, µs. */
  rttVarianceUs: number;
  /** Congestion window, bytes. */
  congestionWindow: number;
  /** Bytes in flight. */
  bytesInFlight: number;
  /** UDP payload bytes sent. */
  udpBytesSent: number;
  /** UDP payload bytes received. */
  udpBytesReceived: number;
  /** QUIC packets sent. */
  packetsSent: number;
  /** QUIC packets received. */
  packetsReceived: number;
  /** undefined: the engine does not report it. */
  packetsLost?: number;
  /** Stream bytes sent. */
  streamBytesSent: number;
  /** Stream bytes received. */
  streamBytesReceived: number;
  /** Streams opened locally. */
  streamsOpenedLocal: number;
  /** Streams opened by the peer. */
  streamsOpenedRemote: number;
  /** Streams currently open. */
  streamsActive: number;
  /** QUIC DATAGRAM frames sent. */
  datagramsSent: number;
  /** QUIC DATAGRAM frames received. */
  datagramsReceived: number;
  /** Whether the handshake completed. */
  handshakeCompleted: boolean;
  /** Whether the connection is closing. */
  closing: boolean;
  /** Whether the TLS session was resumed from a ticket (false from engines that predate it). */
  resumed: boolean;
  /** Whether the server took 0-RTT data on this connection (false from engines that predate it). */
  earlyDataAccepted: boolean;
}
