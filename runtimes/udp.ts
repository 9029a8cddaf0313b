/**
 * Runtime-neutral UDP sockets: what the QUIC driver needs from a runtime.
 *
 * @module
 */

/** A local or peer socket address. */
export interface SocketAddress {
  hostname: string;
  port: number;
}

/** Called for every received datagram; `data` is only valid during the call. */
export type DatagramHandler = (data: Uint8Array, hostname: string, port: number) => void;

/** A bound UDP socket. */
export interface UdpSocket {
  /** The bound address (port resolved when 0 was asked). */
  readonly localAddress: SocketAddress & { family: "IPv4" | "IPv6" };
  /** Sends datagrams in order; batched into one runtime call where the runtime allows. */
  sendBatch(datagrams: readonly Uint8Array[], addresses: readonly SocketAddress[]): void;
  /** Installs the receive handler (one per socket). */
  onDatagram(handler: DatagramHandler): void;
  /** Closes the socket; pending receives end. */
  close(): void;
}

/** Options to bind a socket. */
export interface UdpBindOptions {
  hostname: string;
  port: number;
}

/** A runtime's socket factory. */
export type UdpFactory = (options: UdpBindOptions) => Promise<UdpSocket>;

/** "IPv6" when the address text is an IPv6 literal. */
export function familyOf(hostname: string): "IPv4" | "IPv6" {
  return hostname.includes(":") ? "IPv6" : "IPv4";
}
