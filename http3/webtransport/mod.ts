/**
 * WebTransport over our HTTP/3 (draft-ietf-webtrans-http3-02 as Chromium speaks it): the
 * server's `upgradeWebTransport(request)` in a `serve()` handler, and a client
 * `WebTransport` with the W3C interface for Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { serve } from "../server.ts";
 * import { isWebTransportRequest, upgradeWebTransport } from "./mod.ts";
 * await serve({ port: 0, webTransport: true }, (req) => {
 *   if (!isWebTransportRequest(req)) return new Response("hello");
 *   const wt = upgradeWebTransport(req);
 *   void wt.ready.then(() => wt.datagrams.readable.pipeTo(wt.datagrams.writable));
 *   return new Response(null, { status: 200 });
 * });
 * ```
 *
 * @module
 */
export { isWebTransportRequest, upgradeWebTransport } from "./server.ts";
export type { WebTransportServeOptions } from "./server.ts";
export { WebTransportSession } from "./session.ts";
export type { WebTransportCloseInfo, WebTransportSendStreamOptions } from "./session.ts";
export { WebTransportError } from "./protocol.ts";
export type { WebTransportErrorOptions } from "./protocol.ts";
export type { WebTransportBidirectionalStream } from "./streams.ts";
export type { WebTransportDatagramDuplexStream } from "./datagrams.ts";
export { closeWebTransportPool, WebTransport } from "./client.ts";
export type { WebTransportHash, WebTransportOptions } from "./client.ts";
