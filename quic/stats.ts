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
 * for (const info of result.closeInfos) {
 *   if (info.source === "peer") console.log("peer closed with", info.errorCode, info.reason);
 * }
 * ```
 */
export interface CloseInfo {
  connection: bigint;
  source: "local" | "peer" | "idle_timeout" | "stateless_reset" | "protocol_error" | "handshake_timeout";
  /** Application error code when true, QUIC transport error code otherwise. */
  isApplicationError: boolean;
  errorCode: bigint;
  reason: string;
}

/**
 * Transport statistics of a connection (`coquic_x_connection_stats_t`). Times in µs, sizes
 * in bytes.
 *
 * @example
 * ```ts
 * const s = endpoint.connectionStats(conn.handle);
 * if (s) console.log(s.smoothedRttUs, s.congestionWindow);
 * ```
 */
export interface ConnectionStats {
  smoothedRttUs: number;
  minRttUs: number;
  latestRttUs: number;
  rttVarianceUs: number;
  congestionWindow: number;
  bytesInFlight: number;
  udpBytesSent: number;
  udpBytesReceived: number;
  packetsSent: number;
  packetsReceived: number;
  /** undefined: the engine does not report it. */
  packetsLost?: number;
  streamBytesSent: number;
  streamBytesReceived: number;
  streamsOpenedLocal: number;
  streamsOpenedRemote: number;
  streamsActive: number;
  datagramsSent: number;
  datagramsReceived: number;
  handshakeCompleted: boolean;
  closing: boolean;
}
