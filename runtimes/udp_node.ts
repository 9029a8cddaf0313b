/**
 * UDP on Node.js with `node:dgram`.
 *
 * Sends: `socket.send` per datagram; libuv keeps one FIFO send queue per socket, so
 * datagrams leave in order. A datagram's bytes are kept (not copied) until its send
 * callback, which is when `queued` drops.
 *
 * Receives: Node hands each datagram to a `message` event as a fresh Buffer; batch handlers
 * get batches of one (as on Deno).
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { RECEIVE_BUFFER_BYTES } from "./socket_buffer.ts";
import { DispatchingSocket, familyOf, type SocketAddress, type UdpBindOptions, type UdpSocket } from "./udp.ts";

/**
 * Binds a UDP socket on Node.js.
 *
 * @example
 * ```ts
 * const sock = await nodeUdp({ hostname: "127.0.0.1", port: 0 });
 * console.log(sock.localAddress.port);
 * sock.close();
 * ```
 */
export function nodeUdp(options: UdpBindOptions): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({
      type: familyOf(options.hostname) === "IPv6" ? "udp6" : "udp4",
      ipv6Only: false,
      recvBufferSize: RECEIVE_BUFFER_BYTES,
    });
    const onError = (e: Error) => {
      try {
        sock.close();
      } catch {
        // not bound
      }
      reject(e);
    };
    sock.once("error", onError);
    sock.bind({ address: options.hostname, port: options.port, exclusive: true }, () => {
      sock.off("error", onError);
      resolve(new NodeUdpSocket(sock, options));
    });
  });
}

class NodeUdpSocket extends DispatchingSocket implements UdpSocket {
  readonly localAddress: UdpSocket["localAddress"];
  #sock: ReturnType<typeof createSocket>;
  #closed = false;
  #queued = 0;
  readonly #sent = (): void => {
    this.#queued--;
  };

  constructor(sock: ReturnType<typeof createSocket>, options: UdpBindOptions) {
    super(options.maxBatch ?? 64);
    this.#sock = sock;
    const a = sock.address();
    this.localAddress = { hostname: a.address, port: a.port, family: familyOf(a.address) };
    sock.on("error", () => {
      // UDP is best effort: send errors (unreachable peer, bad address) are dropped
    });
    sock.on("message", (msg: Uint8Array, rinfo: { address: string; port: number }) => {
      if (this.#closed) return;
      try {
        this.dispatch.push(msg, rinfo.address, rinfo.port);
        this.dispatch.flush();
      } catch (e) {
        // a throwing handler must not take the socket down
        queueMicrotask(() => {
          throw e;
        });
      }
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get queued(): number {
    return this.#queued;
  }

  sendBatch(datagrams: readonly Uint8Array[], addresses: readonly SocketAddress[]): void {
    if (this.#closed) return;
    for (let i = 0; i < datagrams.length; i++) this.#send(datagrams[i], addresses[i].hostname, addresses[i].port);
  }

  #send(data: Uint8Array, hostname: string, port: number): void {
    this.#queued++;
    try {
      this.#sock.send(data, port, hostname, this.#sent);
    } catch {
      this.#queued--; // bad address or closed: UDP is best effort
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queued = 0;
    try {
      this.#sock.close();
    } catch {
      // already closed
    }
  }
}
