/**
 * UDP on Deno with `Deno.listenDatagram` (the `net` unstable API, enabled by
 * `"unstable": ["net"]` in deno.json). Receives into one reused buffer; sends are issued
 * in order without awaiting each one.
 *
 * @module
 */
import { familyOf, type UdpBindOptions, type UdpSocket } from "./udp.ts";

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;

/** Binds a UDP socket on Deno. */
export async function denoUdp(options: UdpBindOptions): Promise<UdpSocket> {
  if (typeof D?.listenDatagram !== "function") {
    throw new Error('Deno.listenDatagram is unavailable: run with --unstable-net (deno.json sets "unstable": ["net"])');
  }
  const conn = D.listenDatagram({ transport: "udp", hostname: options.hostname, port: options.port });
  const local = conn.addr as { hostname: string; port: number };
  let handler: ((d: Uint8Array, h: string, p: number) => void) | undefined;
  let closed = false;
  const buffer = new Uint8Array(65536);
  (async () => {
    while (!closed) {
      let got: [Uint8Array, { hostname: string; port: number }];
      try {
        got = await conn.receive(buffer);
      } catch {
        if (closed) return;
        continue; // ICMP errors (e.g. port unreachable) surface as receive errors: keep going
      }
      handler?.(got[0], got[1].hostname, got[1].port);
    }
  })();
  return {
    localAddress: { hostname: local.hostname, port: local.port, family: familyOf(local.hostname) },
    sendBatch(datagrams, addresses) {
      for (let i = 0; i < datagrams.length; i++) {
        const a = addresses[i];
        conn.send(datagrams[i], { transport: "udp", hostname: a.hostname, port: a.port }).catch(() => {});
      }
    },
    onDatagram(h) {
      handler = h;
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}
