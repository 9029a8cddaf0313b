/**
 * coquic-ts: QUIC for Deno and Bun on a sans-I/O native core.
 *
 * The high-level API (`listen`, `connect`, streams as WHATWG streams) is re-exported here;
 * `./quic/mod.ts` adds the low-level engine facade and `./ffi/mod.ts` the loader.
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
export { connect, listen, QuicIncoming, QuicListener } from "./quic/api.ts";
export type { ConnectOptions, ListenerSnapshot, ListenOptions, TransportOptions } from "./quic/api.ts";
export { QuicConnection } from "./quic/connection.ts";
export type { CloseResult, ConnectionEvent, ConnectionSnapshot, OpenStreamOptions } from "./quic/connection.ts";
export { QuicStream } from "./quic/stream.ts";
export type { StreamSnapshot } from "./quic/stream.ts";
export { QuicError } from "./quic/quic_error.ts";
export type { QuicErrorKind } from "./quic/quic_error.ts";
export { generateDevCertificate } from "./quic/devcert.ts";
export type { DevCertificate, DevCertificateOptions } from "./quic/devcert.ts";
export { CoquicLoadError, loadCoquic } from "./ffi/loader.ts";
export type { CoquicLibrary, Extensions } from "./ffi/loader.ts";
