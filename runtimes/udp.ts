/**
 * Runtime-neutral UDP sockets: what the QUIC driver needs from a runtime.
 *
 * Sending: `sendBatch` (parallel arrays, no per-datagram object) keeps datagrams in order and
 * sends them in one runtime call where the runtime allows (Bun `sendMany`; Deno sends one at
 * a time, in order, from a queue).
 *
 * Receiving: `onDatagram` (one call per datagram) or `onDatagrams` (one call per batch with
 * reused arrays). The bytes handed to either are only valid during the call.
 *
 * @module
 */

/**
 * A local or peer socket address.
 *
 * @example
 * ```ts
 * const addr: SocketAddress = { hostname: "127.0.0.1", port: 4433 };
 * ```
 */
export interface SocketAddress {
  /** Host name or IP address. */
  hostname: string;
  /** UDP port. */
  port: number;
}

/** A bound local address. */
export interface LocalAddress extends SocketAddress {
  family: "IPv4" | "IPv6";
}

/** Called for every received datagram; `data` is only valid during the call. */
export type DatagramHandler = (data: Uint8Array, hostname: string, port: number) => void;

/**
 * Received datagrams, oldest first. The object and its arrays are reused by the socket and
 * only valid during the handler call; entries at index ≥ `count` are stale.
 */
export interface DatagramBatch {
  count: number;
  data: Uint8Array[];
  hostnames: string[];
  ports: number[];
}

/** Called with every batch of received datagrams. */
export type DatagramBatchHandler = (batch: DatagramBatch) => void;

/** A bound UDP socket. */
export interface UdpSocket {
  /** The bound address (port resolved when 0 was asked). */
  readonly localAddress: LocalAddress;
  /** Whether close() ran. */
  readonly closed: boolean;
  /** Datagrams accepted by sendBatch but not yet handed to the kernel. */
  readonly queued: number;
  /**
   * Sends datagrams in order; batched into one runtime call where the runtime allows. The
   * socket may keep the byte arrays until they are sent: do not modify them afterwards.
   */
  sendBatch(datagrams: readonly Uint8Array[], addresses: readonly SocketAddress[]): void;
  /** Installs the per-datagram receive handler (replaces any handler, batch or not). */
  onDatagram(handler: DatagramHandler): void;
  /** Installs the batch receive handler (replaces any handler, batch or not). */
  onDatagrams(handler: DatagramBatchHandler): void;
  /**
   * Installs a handler for errors the runtime reports on the socket, such as an ICMP port or
   * host unreachable answering an earlier send (`code` "ECONNREFUSED", "EHOSTUNREACH", …).
   * Absent where the runtime reports none: Deno's `listenDatagram` and Node's `dgram` give no
   * ICMP errors for unconnected sockets, Bun's `udpSocket` does (without the peer's address).
   */
  onError?(handler: (error: { code?: string; message: string }) => void): void;
  /** Closes the socket and releases its port; pending receives end, queued sends are dropped. */
  close(): void;
}

/** Options to bind a socket. */
export interface UdpBindOptions {
  hostname: string;
  port: number;
  /** Most datagrams per receive batch (default 64). */
  maxBatch?: number;
}

/** A runtime's socket factory. */
export type UdpFactory = (options: UdpBindOptions) => Promise<UdpSocket>;

/** "IPv6" when the address text is an IPv6 literal. */
export function familyOf(hostname: string): "IPv4" | "IPv6" {
  return hostname.includes(":") ? "IPv6" : "IPv4";
}

/** An empty reusable batch. */
export function newBatch(): DatagramBatch {
  return { count: 0, data: [], hostnames: [], ports: [] };
}

/**
 * Receive-side dispatch shared by the adapters: either handler style, one reused batch.
 * `push` adds one datagram; `flush` delivers the pending batch (if any).
 */
export class ReceiveDispatch {
  single: DatagramHandler | undefined;
  batched: DatagramBatchHandler | undefined;
  readonly batch: DatagramBatch = newBatch();

  constructor(readonly maxBatch: number) {}

  /** Installs a per-datagram handler. */
  setSingle(h: DatagramHandler): void {
    this.flush();
    this.single = h;
    this.batched = undefined;
  }

  /** Installs a batch handler. */
  setBatched(h: DatagramBatchHandler): void {
    this.batched = h;
    this.single = undefined;
  }

  /** Adds a datagram: delivered now (per-datagram handler) or appended to the batch. Returns true when the batch is full. */
  push(data: Uint8Array, hostname: string, port: number): boolean {
    if (this.single) {
      this.single(data, hostname, port);
      return false;
    }
    if (!this.batched) return false;
    const b = this.batch;
    const i = b.count++;
    b.data[i] = data;
    b.hostnames[i] = hostname;
    b.ports[i] = port;
    return b.count >= this.maxBatch;
  }

  /** Delivers the pending batch. */
  flush(): void {
    const b = this.batch;
    if (b.count === 0) return;
    try {
      this.batched?.(b);
    } finally {
      b.count = 0;
    }
  }
}

/** What every adapter's socket shares: the receive dispatch behind both handler styles. */
export abstract class DispatchingSocket {
  protected readonly dispatch: ReceiveDispatch;

  constructor(maxBatch: number) {
    this.dispatch = new ReceiveDispatch(maxBatch);
  }

  /** Installs the per-datagram receive handler (replaces any handler, batch or not). */
  onDatagram(handler: DatagramHandler): void {
    this.dispatch.setSingle(handler);
  }

  /** Installs the batch receive handler (replaces any handler, batch or not). */
  onDatagrams(handler: DatagramBatchHandler): void {
    this.dispatch.setBatched(handler);
  }
}
