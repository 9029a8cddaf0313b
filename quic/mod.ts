/**
 * The low-level, sans-I/O binding (the Rust/Go/Python bindings' shape): configs with
 * native defaults, `Endpoint`/`Connection`/`Stream`, `QueryResult` and effects. Nothing
 * here does I/O; the caller supplies time and moves datagrams.
 *
 * @example
 * ```ts
 * import { defaultEndpointConfig, Endpoint, loadCoquic } from "./mod.ts";
 * const lib = await loadCoquic();
 * using ep = Endpoint.create(lib, defaultEndpointConfig(lib));
 * console.log(ep.connectionCount()); // 0
 * ```
 *
 * @module
 */
export * from "./config.ts";
export * from "./effects.ts";
export * from "./endpoint.ts";
export * from "./errors.ts";
export * from "./result.ts";
export type * from "./inputs.ts";
export type * from "./stats.ts";
export { defaultLibrary, loadCoquic, loadCoquicSync } from "../ffi/loader.ts";
export * from "./api.ts";
export * from "./connection.ts";
export { QuicStream } from "./stream.ts";
export type { StreamHost, StreamSnapshot } from "./stream.ts";
export * from "./quic_error.ts";
export * from "./with_signal.ts";
export * from "./async_queue.ts";
export * from "./devcert.ts";
export type { SocketAddress } from "../runtimes/udp.ts";
export type { Lookup, ResolvedAddress } from "../runtimes/resolve.ts";
export type { DriverConnection } from "./driver.ts";
export type { IoMode } from "./driver_factory.ts";
export type { FfiRuntime, NativeFunction, NativeLibrary } from "../runtimes/ffi_types.ts";
