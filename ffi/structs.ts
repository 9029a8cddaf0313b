/**
 * Struct encoding and decoding, in one place. Inputs are written into reusable scratch
 * buffers (no per-call allocation of struct memory); nested byte ranges are referenced by
 * address and kept alive by the caller for the duration of the call.
 *
 * @module
 */
import * as L from "./layout.ts";
import type { FfiRuntime } from "../runtimes/ffi_types.ts";

/** Field kinds of flat structs described by tables below. */
type FieldType = "u8" | "bool" | "u32" | "u64";

/** A table-described flat field: [property, offset, type]. */
export type FieldSpec = readonly [string, number, FieldType];

/** `coquic_transport_config_t` as a table (property names are the TS ones). */
export const TRANSPORT_FIELDS: readonly FieldSpec[] = [
  ["maxIdleTimeout", L.TransportConfig.max_idle_timeout, "u64"],
  ["maxUdpPayloadSize", L.TransportConfig.max_udp_payload_size, "u64"],
  ["pmtudEnabled", L.TransportConfig.pmtud_enabled, "bool"],
  ["pmtudBaseDatagramSize", L.TransportConfig.pmtud_base_datagram_size, "u64"],
  ["pmtudMaxDatagramSize", L.TransportConfig.pmtud_max_datagram_size, "u64"],
  ["activeConnectionIdLimit", L.TransportConfig.active_connection_id_limit, "u64"],
  ["disableActiveMigration", L.TransportConfig.disable_active_migration, "bool"],
  ["deferActiveMigrationPathValidation", L.TransportConfig.defer_active_migration_path_validation, "bool"],
  ["migrationRecoveryRetentionTimeoutUs", L.TransportConfig.migration_recovery_retention_timeout_us, "u64"],
  ["ackDelayExponent", L.TransportConfig.ack_delay_exponent, "u64"],
  ["maxAckDelay", L.TransportConfig.max_ack_delay, "u64"],
  ["ackElicitingThreshold", L.TransportConfig.ack_eliciting_threshold, "u64"],
  ["initialMaxData", L.TransportConfig.initial_max_data, "u64"],
  ["initialMaxStreamDataBidiLocal", L.TransportConfig.initial_max_stream_data_bidi_local, "u64"],
  ["initialMaxStreamDataBidiRemote", L.TransportConfig.initial_max_stream_data_bidi_remote, "u64"],
  ["initialMaxStreamDataUni", L.TransportConfig.initial_max_stream_data_uni, "u64"],
  ["initialMaxStreamsBidi", L.TransportConfig.initial_max_streams_bidi, "u64"],
  ["initialMaxStreamsUni", L.TransportConfig.initial_max_streams_uni, "u64"],
  ["maxDatagramFrameSize", L.TransportConfig.max_datagram_frame_size, "u64"],
  ["congestionControl", L.TransportConfig.congestion_control, "u8"],
  ["enableHystartPlusPlus", L.TransportConfig.enable_hystart_plus_plus, "bool"],
  ["sendStreamFairness", L.TransportConfig.send_stream_fairness, "bool"],
  ["enableLatencySpinBit", L.TransportConfig.enable_latency_spin_bit, "bool"],
  ["greaseReservedVersions", L.TransportConfig.grease_reserved_versions, "bool"],
  ["greaseQuicBit", L.TransportConfig.grease_quic_bit, "bool"],
  ["enableOptimisticAckMitigation", L.TransportConfig.enable_optimistic_ack_mitigation, "bool"],
  ["underfilledPacketCoalescingDelayUs", L.TransportConfig.underfilled_packet_coalescing_delay_us, "u64"],
  ["ecnPolicy", L.TransportConfig.ecn_policy, "u8"],
  ["pmtudProvisionalIcmpReductions", L.TransportConfig.pmtud_provisional_icmp_reductions, "bool"],
];

/** Flat scalar fields of `coquic_endpoint_config_t` (pointers and nested structs are handled apart). */
export const ENDPOINT_SCALAR_FIELDS: readonly FieldSpec[] = [
  ["role", L.EndpointConfig.role, "u8"],
  ["verifyPeer", L.EndpointConfig.verify_peer, "bool"],
  ["retryEnabled", L.EndpointConfig.retry_enabled, "bool"],
  ["maxOutboundDatagramSize", L.EndpointConfig.max_outbound_datagram_size, "u64"],
  ["emitSharedReceiveStreamData", L.EndpointConfig.emit_shared_receive_stream_data, "bool"],
  ["enablePacketInspection", L.EndpointConfig.enable_packet_inspection, "bool"],
  ["allowPeerAddressChange", L.EndpointConfig.allow_peer_address_change, "bool"],
  ["maxServerConnections", L.EndpointConfig.max_server_connections, "u64"],
  ["enableOutOfOrderReceive", L.EndpointConfig.enable_out_of_order_receive, "bool"],
  ["enableReservedVersionProbe", L.EndpointConfig.enable_reserved_version_probe, "bool"],
  ["enableLongHeaderStatelessReset", L.EndpointConfig.enable_long_header_stateless_reset, "bool"],
  ["enableMinimalClosingStateRetention", L.EndpointConfig.enable_minimal_closing_state_retention, "bool"],
  ["retryHandshakeValidationPolicy", L.EndpointConfig.retry_handshake_validation_policy, "u8"],
];

/** Reads table fields into a plain object (u64 as number: config values are far below 2^53). */
export function readFields(view: DataView, base: number, fields: readonly FieldSpec[]): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [name, off, type] of fields) {
    const at = base + off;
    out[name] = type === "bool"
      ? view.getUint8(at) !== 0
      : type === "u8"
      ? view.getUint8(at)
      : type === "u32"
      ? view.getUint32(at, true)
      : Number(view.getBigUint64(at, true));
  }
  return out;
}

/** Writes table fields from a plain object; validates ranges with a typed error. */
export function writeFields(
  view: DataView,
  base: number,
  fields: readonly FieldSpec[],
  values: Readonly<Record<string, unknown>>,
  where: string,
): void {
  for (const [name, off, type] of fields) {
    const v = values[name];
    const at = base + off;
    if (type === "bool") {
      if (typeof v !== "boolean") throw new TypeError(`${where}.${name} must be a boolean, got ${typeof v}`);
      view.setUint8(at, v ? 1 : 0);
      continue;
    }
    const n = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : null;
    const max = type === "u8" ? 0xffn : type === "u32" ? 0xffffffffn : 0xffffffffffffffffn;
    if (n === null || n < 0n || n > max) {
      throw new RangeError(`${where}.${name} must be an integer in 0..${max}, got ${String(v)}`);
    }
    if (type === "u8") view.setUint8(at, Number(n));
    else if (type === "u32") view.setUint32(at, Number(n), true);
    else view.setBigUint64(at, n, true);
  }
}

/**
 * A reusable input buffer for one struct plus the byte ranges it points at. `ref()` keeps a
 * range alive (by reference) until `reset()`, which the owner calls after the native call.
 */
export class Scratch {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  #keep: Uint8Array[] = [];

  constructor(size: number, private ffi: FfiRuntime) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Zeroes the struct and releases kept ranges. */
  reset(): this {
    this.bytes.fill(0);
    this.#keep.length = 0;
    return this;
  }

  /** Writes a `{pointer, length}` pair at `offset` for `data` (kept alive until reset). */
  range(offset: number, data: Uint8Array | undefined): void {
    if (!data || data.length === 0) {
      this.view.setBigUint64(offset, 0n, true);
      this.view.setBigUint64(offset + 8, 0n, true);
      return;
    }
    this.#keep.push(data);
    this.view.setBigUint64(offset, this.ffi.addressOf(data), true);
    this.view.setBigUint64(offset + 8, BigInt(data.length), true);
  }

  /** Writes a pointer at `offset` to `data` (kept alive until reset); null for undefined. */
  pointer(offset: number, data: Uint8Array | undefined): void {
    if (!data) {
      this.view.setBigUint64(offset, 0n, true);
      return;
    }
    this.#keep.push(data);
    this.view.setBigUint64(offset, this.ffi.addressOf(data), true);
  }

  /** Writes a 16-byte optional `{u8 has_value; u64 value}` at `offset`. */
  optional(offset: number, value: bigint | undefined): void {
    this.view.setUint8(offset, value === undefined ? 0 : 1);
    this.view.setBigUint64(offset + 8, value ?? 0n, true);
  }
}

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string, or the bytes themselves. */
export function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? utf8.encode(v) : v;
}
