/**
 * coquic-ts: QUIC for Deno and Bun on a sans-I/O native core.
 *
 * Re-exports the high-level API (`listen`, `connect`, `QuicClient`, streams as WHATWG streams,
 * `QuicError`, development certificates) and the low-level sans-I/O binding (`Endpoint`,
 * `Connection`, `Stream`, configs, effects, results, the loader and the ABI constants).
 * `./quic/mod.ts` adds the result readers (`takeResult`, `readNextWakeup`) and the async
 * helpers (`AsyncQueue`, `withSignal`, `abortError`); `./ffi/mod.ts` the ABI description
 * (symbols, struct layouts) and loader internals; `./http3/mod.ts` is HTTP/3.
 *
 * @example
 * ```ts
 * import { connect, listen } from "./mod.ts";
 * const server = await listen({ hostname: "127.0.0.1", port: 0, alpn: "echo" });
 * const conn = await connect(server.addr, { alpn: "echo", ca: server.certificatePem });
 * ```
 *
 * @module
 */
export { connect, listen, QUIC_V1, QUIC_V2, QuicClient, QuicIncoming, QuicListener } from "./quic/api.ts";
export type { ClientOptions, ConnectOptions, ListenerSnapshot, ListenOptions, TransportOptions } from "./quic/api.ts";
export { QuicConnection } from "./quic/connection.ts";
export type { CloseResult, ConnectionEvent, ConnectionSnapshot, OpenStreamOptions } from "./quic/connection.ts";
export { QuicStream } from "./quic/stream.ts";
export type { StreamSnapshot } from "./quic/stream.ts";
export { QuicError } from "./quic/quic_error.ts";
export type { QuicErrorKind } from "./quic/quic_error.ts";
export { generateDevCertificate } from "./quic/devcert.ts";
export type { DevCertificate, DevCertificateOptions } from "./quic/devcert.ts";
export { CoquicLoadError, loadCoquic } from "./ffi/loader.ts";
export type { SocketAddress } from "./runtimes/udp.ts";
export type { Lookup, ResolvedAddress } from "./runtimes/resolve.ts";
export type { DriverConnection } from "./quic/driver.ts";
export { chooseIo, nativeIoUnavailable } from "./quic/driver_factory.ts";
export type { IoMode } from "./quic/driver_factory.ts";
export type { IoSnapshot, NativeIoStats } from "./quic/io_stats.ts";
export type { FfiRuntime, NativeFunction, NativeLibrary } from "./runtimes/ffi_types.ts";
export type { CoquicLibrary, Extensions } from "./ffi/loader.ts";

// WebTransport over our HTTP/3 (the rest of HTTP/3 is in ./http3/mod.ts): the W3C client and
// the server's upgrade for serve() handlers.
export {
  isWebTransportRequest,
  upgradeWebTransport,
  WebTransport,
  WebTransportError,
  WebTransportSession,
} from "./http3/webtransport/mod.ts";
export type {
  WebTransportBidirectionalStream,
  WebTransportCloseInfo,
  WebTransportDatagramDuplexStream,
  WebTransportOptions,
} from "./http3/webtransport/mod.ts";

// The low-level, sans-I/O binding (the shape of the Rust/Python bindings): the caller moves
// datagrams and supplies time; every call returns a QueryResult of effects.
export { ClientConfig, Connection, Endpoint, lastError, Stream } from "./quic/endpoint.ts";
export type { ConnectResult, U64 } from "./quic/endpoint.ts";
export {
  ClientConnectionConfig,
  defaultClientConnectionConfig,
  defaultEndpointConfig,
  defaultTransportConfig,
  EndpointConfig,
  TransportConfig,
} from "./quic/config.ts";
export type { OrphanZeroRttBufferConfig, TlsIdentity, ZeroRttConfig } from "./quic/config.ts";
export type {
  CloseConnection,
  ConnectionInput,
  ConnectionMigration,
  InboundDatagram,
  PathMtuUpdate,
  SendDatagramData,
  SendStreamData,
  StreamErrorCode,
} from "./quic/inputs.ts";
export type {
  ConnectionLifecycleEventEffect,
  Effect,
  LifecycleName,
  NewTokenAvailableEffect,
  PacketInspectionEffect,
  PeerPreferredAddressAvailableEffect,
  PeerResetStreamEffect,
  PeerStopSendingEffect,
  ReceiveDatagramDataEffect,
  ReceiveStreamDataEffect,
  ResumptionStateAvailableEffect,
  SendDatagramEffect,
  StateChangeName,
  StateEventEffect,
  UnknownEffect,
  ZeroRttStatusEventEffect,
} from "./quic/effects.ts";
export type { QueryResult } from "./quic/result.ts";
export type { CloseInfo, ConnectionStats } from "./quic/stats.ts";
export { CoquicStatusError, InvalidArgumentError, LocalError, UseAfterCloseError } from "./quic/errors.ts";
export type { LocalErrorName, StatusName } from "./quic/errors.ts";
export { defaultLibrary, loadCoquicSync } from "./ffi/loader.ts";
export type { LoadAttempt, LoadOptions } from "./ffi/loader.ts";
export {
  CloseSource,
  CongestionControl,
  COQUIC_FFI_ABI_VERSION,
  Ecn,
  EcnPolicy,
  EffectKind,
  Lifecycle,
  LocalErrorCode,
  MigrationReason,
  Role,
  StateChange,
  Status,
  ZeroRttStatus,
} from "./ffi/abi.ts";
