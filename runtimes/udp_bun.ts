/**
 * UDP on Bun with `Bun.udpSocket`; batches go out through `sendMany`. When the kernel
 * buffer is full, the rest of a batch waits for the socket's drain event.
 *
 * @module
 */
import { familyOf, type SocketAddress, type UdpBindOptions, type UdpSocket } from "./udp.ts";

// deno-lint-ignore no-explicit-any
const B = (globalThis as any).Bun;

/** Binds a UDP socket on Bun. */
export async function bunUdp(options: UdpBindOptions): Promise<UdpSocket> {
  let handler: ((d: Uint8Array, h: string, p: number) => void) | undefined;
  const backlog: unknown[] = []; // flat [data, port, host, ...] waiting for drain
  // deno-lint-ignore no-explicit-any
  let socket: any;
  const flushBacklog = () => {
    while (backlog.length > 0) {
      const sent = socket.sendMany(backlog);
      if (sent <= 0) return;
      backlog.splice(0, sent * 3);
    }
  };
  socket = await B.udpSocket({
    hostname: options.hostname,
    port: options.port,
    binaryType: "uint8array",
    socket: {
      data(_s: unknown, data: Uint8Array, port: number, address: string) {
        handler?.(data, address, port);
      },
      drain() {
        flushBacklog();
      },
      error() {
        // ICMP errors (port unreachable after a peer went away) are not fatal for UDP.
      },
    },
  });
  const hostname = socket.address?.address ?? options.hostname;
  return {
    localAddress: { hostname, port: socket.port, family: familyOf(hostname) },
    sendBatch(datagrams: readonly Uint8Array[], addresses: readonly SocketAddress[]) {
      const flat: unknown[] = [];
      for (let i = 0; i < datagrams.length; i++) flat.push(datagrams[i], addresses[i].port, addresses[i].hostname);
      if (backlog.length > 0) {
        backlog.push(...flat);
        return;
      }
      const sent = socket.sendMany(flat);
      if (sent * 3 < flat.length) backlog.push(...flat.slice(Math.max(sent, 0) * 3));
    },
    onDatagram(h) {
      handler = h;
    },
    close() {
      socket.close();
    },
  };
}
