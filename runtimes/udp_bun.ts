/**
 * UDP on Bun with `Bun.udpSocket`.
 *
 * Sends: a batch goes out in one `sendMany` call, whose argument is one flat array
 * `[data, port, address, data, port, address, …]` (checked by experiment: nested triples are
 * rejected with "Expected 3 arguments for each packet") and whose result is the number of
 * datagrams the kernel took. When the kernel buffer is full, the rest waits, in order, for
 * the socket's `drain` event; later sends queue behind it.
 *
 * Receives: Bun calls the `data` handler once per datagram with a fresh Uint8Array
 * (binaryType "uint8array") and drains microtasks after every call, so a microtask cannot
 * gather a batch. Batch handlers get the datagrams that arrived within one event-loop turn:
 * they are collected and delivered on `setImmediate` (or at once when `maxBatch` is reached).
 *
 * @module
 */
import { DispatchingSocket, familyOf, type SocketAddress, type UdpBindOptions, type UdpSocket } from "./udp.ts";
import { bunFfiRuntime } from "./bun_ffi.ts";
import { raiseReceiveBuffer } from "./socket_buffer.ts";

// deno-lint-ignore no-explicit-any
const B = (globalThis as any).Bun;
// deno-lint-ignore no-explicit-any
const setImmediateFn: (fn: () => void) => unknown = (globalThis as any).setImmediate ??
  ((fn: () => void) => setTimeout(fn, 0));

/** Binds a UDP socket on Bun. */
export async function bunUdp(options: UdpBindOptions): Promise<UdpSocket> {
  const s = new BunUdpSocket(options.maxBatch ?? 64);
  await s.bind(options);
  return s;
}

class BunUdpSocket extends DispatchingSocket implements UdpSocket {
  localAddress!: UdpSocket["localAddress"];
  // deno-lint-ignore no-explicit-any
  #socket: any;
  #flushScheduled = false;
  /** Flat [data, port, host, …] waiting for drain, from #head on. */
  #backlog: unknown[] = [];
  #head = 0;
  #flat: unknown[] = [];

  async bind(options: UdpBindOptions): Promise<void> {
    const dispatch = this.dispatch;
    const flushLater = () => {
      this.#flushScheduled = false;
      dispatch.flush();
    };
    this.#socket = await B.udpSocket({
      hostname: options.hostname,
      port: options.port,
      binaryType: "uint8array",
      socket: {
        data: (_s: unknown, data: Uint8Array, port: number, address: string) => {
          if (dispatch.push(data, address, port)) dispatch.flush();
          else if (dispatch.batch.count > 0 && !this.#flushScheduled) {
            this.#flushScheduled = true;
            setImmediateFn(flushLater);
          }
        },
        drain: () => this.#drain(),
        error: (e: { code?: string; message?: string } | undefined) => {
          // ICMP errors (port unreachable after a peer went away) are not fatal for UDP: the
          // owner decides (a client ends a handshake that can only have been refused).
          this.#onError?.({ code: e?.code, message: e?.message ?? String(e) });
        },
      },
    });
    const a = this.#socket.address as { address: string; family?: string; port: number } | undefined;
    const hostname = a?.address ?? options.hostname;
    const family = a?.family === "IPv6" || a?.family === "IPv4" ? a.family : familyOf(hostname);
    this.localAddress = { hostname, port: this.#socket.port, family };
    raiseReceiveBuffer(bunFfiRuntime, this.localAddress.port, family);
  }

  get closed(): boolean {
    return this.#socket.closed;
  }

  get queued(): number {
    return (this.#backlog.length - this.#head) / 3;
  }

  sendBatch(datagrams: readonly Uint8Array[], addresses: readonly SocketAddress[]): void {
    if (this.#socket.closed || datagrams.length === 0) return;
    const flat = this.#flat;
    for (let i = 0; i < datagrams.length; i++) flat.push(datagrams[i], addresses[i].port, addresses[i].hostname);
    this.#sendFlat(flat);
  }

  /** Sends `flat` (then empties it) or queues it behind the backlog. */
  #sendFlat(flat: unknown[]): void {
    try {
      if (this.#head < this.#backlog.length) {
        for (const x of flat) this.#backlog.push(x);
        return;
      }
      let sent = 0;
      try {
        sent = this.#socket.sendMany(flat);
      } catch {
        return; // a bad address: drop the batch (UDP is best effort)
      }
      if (sent * 3 < flat.length) {
        for (let i = Math.max(sent, 0) * 3; i < flat.length; i++) this.#backlog.push(flat[i]);
      }
    } finally {
      flat.length = 0;
    }
  }

  #drain(): void {
    while (this.#head < this.#backlog.length && !this.#socket.closed) {
      const rest = this.#head === 0 ? this.#backlog : this.#backlog.slice(this.#head);
      let sent = 0;
      try {
        sent = this.#socket.sendMany(rest);
      } catch {
        sent = rest.length / 3;
      }
      if (sent <= 0) return;
      this.#head += sent * 3;
    }
    this.#backlog.length = 0;
    this.#head = 0;
  }

  #onError: ((error: { code?: string; message: string }) => void) | undefined;

  onError(handler: (error: { code?: string; message: string }) => void): void {
    this.#onError = handler;
  }

  close(): void {
    if (this.#socket.closed) return;
    this.#backlog.length = 0;
    this.#head = 0;
    this.#socket.close();
  }
}
