/**
 * A loopback echo server on the high-level API (every bidirectional stream piped back) and the
 * matching one-stream echo, shared by the tests that only need "bytes in, same bytes out".
 *
 * @module
 */
import { listen, type ListenOptions, type QuicConnection, type QuicListener } from "../mod.ts";
import type { CoquicLibrary } from "../ffi/loader.ts";
import { ClientConfig } from "../quic/endpoint.ts";

/** Listens on 127.0.0.1 (a free port, ALPN "echo" unless `options` says otherwise) and echoes every stream. */
export async function echoServer(options: Partial<ListenOptions> = {}): Promise<QuicListener> {
  const listener = await listen({ hostname: "127.0.0.1", port: 0, alpn: "echo", ...options });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        for await (const s of conn) if (s.readable && s.writable) s.readable.pipeTo(s.writable).catch(() => {});
      })().catch(() => {});
    }
  })().catch(() => {});
  return listener;
}

/** Sends `data` on a new stream with FIN and resolves with what comes back (within `timeoutMs`). */
export async function echo(conn: QuicConnection, data: Uint8Array, timeoutMs = 20_000): Promise<Uint8Array> {
  const s = conn.openStream();
  const reading = s.bytes({ signal: AbortSignal.timeout(timeoutMs) });
  await s.write(data, { fin: true });
  return await reading;
}

/**
 * A low-level client connection config with fresh random connection IDs on route 1 (to a
 * server at `serverIdentity`, the address-validation identity, when given).
 */
export function freshClientConfig(lib: CoquicLibrary, serverIdentity?: Uint8Array): ClientConfig {
  const cfg = ClientConfig.new(
    crypto.getRandomValues(new Uint8Array(8)),
    crypto.getRandomValues(new Uint8Array(8)),
    lib,
  );
  cfg.initialRouteHandle = 1n;
  if (serverIdentity) cfg.addressValidationIdentity = serverIdentity;
  return cfg;
}
