/**
 * HTTP/3 building blocks: varints, frames, SETTINGS, stream types, error codes and QPACK.
 *
 * @example
 * ```ts
 * import { encodeFieldSection, encodeFrame, FrameReader, QpackDecoder } from "./mod.ts";
 * const headers = encodeFrame({ type: "headers", fieldSection: encodeFieldSection([[":status", "200"]]) });
 * ```
 *
 * @module
 */
export * from "./bytes.ts";
export * from "./errors.ts";
export * from "./grease.ts";
export * from "./varint.ts";
export * from "./settings.ts";
export * from "./frames.ts";
export * from "./frame_reader.ts";
export * from "./stream_types.ts";
export * from "./qpack/mod.ts";
export * from "./message.ts";
export * from "./connection.ts";
export { serve } from "./server.ts";
export type { H3Server, Handler, ServeOptions } from "./server.ts";
export { closeAll, fetch } from "./client.ts";
export type { H3RequestInit } from "./client.ts";
export {
  closeWebTransportPool,
  isWebTransportRequest,
  upgradeWebTransport,
  WebTransport,
  WebTransportError,
  WebTransportSession,
} from "./webtransport/mod.ts";
export type {
  WebTransportBidirectionalStream,
  WebTransportCloseInfo,
  WebTransportDatagramDuplexStream,
  WebTransportErrorOptions,
  WebTransportHash,
  WebTransportOptions,
  WebTransportSendStreamOptions,
  WebTransportServeOptions,
} from "./webtransport/mod.ts";
