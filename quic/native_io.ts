/**
 * `NativeIo`: the engine's own UDP socket for one endpoint (`coquic_x_io_*`), wrapped for
 * the native driver: bind, peer routes (the engine keeps peer addresses), pump, the
 * new-peer gate, counters. Sans waiting: `runtimes/io_waiter.ts` does that.
 *
 * @module
 */
import { Status } from "../ffi/abi.ts";
import type { CoquicLibrary } from "../ffi/loader.ts";
import { addressIdentity, ipBytesText, parseIpv4, parseIpv6, type Route, routeKey } from "../runtimes/address.ts";
import type { SocketAddress } from "../runtimes/udp.ts";
import { type Endpoint, lastError } from "./endpoint.ts";
import { CoquicStatusError } from "./errors.ts";
import { decodeIoStats, type NativeIoStats } from "./io_stats.ts";
import { QuicError } from "./quic_error.ts";
import { type QueryResult, takeResult } from "./result.ts";
import { Layout as L, NO_ROUTE } from "../ffi/abi.ts";

/**
 * The 4 or 16 address bytes of an IP literal ("localhost" is 127.0.0.1), or undefined.
 *
 * @example
 * ```ts
 * ipBytes("::1")?.length; // 16
 * ```
 */
export function ipBytes(hostname: string): Uint8Array | undefined {
  if (hostname === "localhost") return new Uint8Array([127, 0, 0, 1]);
  return parseIpv4(hostname) ?? parseIpv6(hostname);
}

/** The errno values of ICMP unreachables (the native socket is Linux-only). */
const LINUX_ERRNO: Record<number, string> = {
  101: "ENETUNREACH",
  111: "ECONNREFUSED",
  112: "EHOSTDOWN",
  113: "EHOSTUNREACH",
};

/** One endpoint's native socket. */
export class NativeIo {
  #lib: CoquicLibrary;
  #routes = new Map<bigint, Route>();
  #byKey = new Map<string, Route>();
  #addr = new Uint8Array(16);
  #port = new Uint16Array(1);
  #out = new Uint8Array(8);
  #outView = new DataView(this.#out.buffer);
  #stats = new Uint8Array(L.IoStats.size);
  #statsView = new DataView(this.#stats.buffer);
  #peers = new BigUint64Array(64);
  #refusedRoutes = new BigUint64Array(64);
  #refusedErrnos = new Int32Array(64);
  #errBuf = new Uint8Array(512);
  /** The bound local address. */
  readonly localAddress: SocketAddress;

  private constructor(readonly endpoint: Endpoint, readonly address: bigint) {
    this.#lib = endpoint.library;
    const family = this.#lib.symbols.coquic_x_io_local_address(address, this.#addr, this.#port) as number;
    this.localAddress = { hostname: ipBytesText(this.#addr.subarray(0, family === 4 ? 4 : 16)), port: this.#port[0] };
  }

  /** Binds a socket for `endpoint` on an IP literal (QuicError "invalid_argument" on failure). */
  static bind(endpoint: Endpoint, hostname: string, port: number, flags = 0): NativeIo {
    const lib = endpoint.library;
    const ip = ipBytes(hostname);
    if (!ip) throw new QuicError("invalid_argument", `a native socket binds IP addresses, not ${hostname}`);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new QuicError("invalid_argument", `port must be an integer 0..65535, got ${port}`);
    }
    const out = new Uint8Array(8);
    const status = endpoint.withAddress((ep) => lib.symbols.coquic_x_io_bind(ep, ip, ip.length, port, flags, out));
    if (status !== Status.OK) {
      throw new QuicError("invalid_argument", lastError(lib) ?? `coquic_x_io_bind failed with status ${status}`);
    }
    return new NativeIo(endpoint, new DataView(out.buffer).getBigUint64(0, true));
  }

  #remember(handle: bigint, address: SocketAddress): Route {
    const key = routeKey(address.hostname, address.port);
    const r: Route = { handle, address, identity: addressIdentity(address.hostname, address.port), key };
    this.#routes.set(handle, r);
    this.#byKey.set(key, r);
    return r;
  }

  /** The route for a peer address (created on first use); undefined for another address family. */
  route(address: SocketAddress): Route | undefined {
    const known = this.#byKey.get(routeKey(address.hostname, address.port));
    if (known) return known;
    const ip = ipBytes(address.hostname);
    if (!ip) return undefined;
    const handle = this.#lib.symbols.coquic_x_io_route(this.address, ip, ip.length, address.port) as bigint;
    if (handle === NO_ROUTE) return undefined;
    return this.#remember(handle, { hostname: ipBytesText(ip), port: address.port });
  }

  /**
   * The route with a handle. Peers first seen by the engine are looked up there each time and
   * not cached: the engine prunes idle ones (only routes made by `route()` are kept for good).
   */
  routeByHandle(handle: bigint): Route | undefined {
    const known = this.#routes.get(handle);
    if (known) return known;
    const family = this.#lib.symbols.coquic_x_io_route_address(this.address, handle, this.#addr, this.#port) as number;
    if (family === 0) return undefined;
    const address = { hostname: ipBytesText(this.#addr.subarray(0, family === 4 ? 4 : 16)), port: this.#port[0] };
    const key = routeKey(address.hostname, address.port);
    return { handle, address, identity: addressIdentity(address.hostname, address.port), key };
  }

  /**
   * Binds another socket (same family, on `hostname`, a new port) and returns a route from it
   * to the peer of route `peer` (QuicError "invalid_argument" when the engine refuses).
   */
  bindPath(peer: Route, hostname: string): Route {
    const ip = ipBytes(hostname);
    if (!ip) throw new QuicError("invalid_argument", `a native socket binds IP addresses, not ${hostname}`);
    const status = this.#lib.symbols.coquic_x_io_bind_path(this.address, ip, ip.length, 0, peer.handle, this.#out);
    if (status !== Status.OK) {
      throw new QuicError("invalid_argument", lastError(this.#lib, this.#errBuf) ?? `coquic_x_io_bind_path: ${status}`);
    }
    const handle = this.#outView.getBigUint64(0, true);
    const key = `${peer.key}#${handle}`;
    const r: Route = { handle, address: peer.address, identity: peer.identity, key };
    this.#routes.set(handle, r); // not by key: the key names the first socket's route
    return r;
  }

  /** The local address a route sends from. */
  routeLocalAddress(route: bigint): SocketAddress | undefined {
    const family = this.#lib.symbols.coquic_x_io_route_local_address(
      this.address,
      route,
      this.#addr,
      this.#port,
    ) as number;
    if (family === 0) return undefined;
    return { hostname: ipBytesText(this.#addr.subarray(0, family === 4 ? 4 : 16)), port: this.#port[0] };
  }

  /** The route a connection uses now. */
  connectionRoute(connection: bigint): bigint | undefined {
    const r = this.#lib.symbols.coquic_x_io_connection_route(this.address, connection) as bigint;
    return r === NO_ROUTE ? undefined : r;
  }

  #result(name: string, status: number): QueryResult {
    if (status !== Status.OK) throw new CoquicStatusError(status, name, lastError(this.#lib, this.#errBuf));
    return takeResult(this.#lib, this.#outView.getBigUint64(0, true));
  }

  /** Receives, feeds, drains and sends everything; the result holds application effects only. */
  pump(now: bigint): QueryResult {
    return this.#result("coquic_x_io_pump", this.#lib.symbols.coquic_x_io_pump(this.address, now, this.#out));
  }

  /** Holds datagrams of unseen peers until admit() or ignore(). */
  setGate(enabled: boolean): void {
    this.#lib.symbols.coquic_x_io_set_gate(this.address, enabled ? 1 : 0);
  }

  /** Routes of peers first seen (and held) since the last call. */
  takeNewPeers(): bigint[] {
    const n = this.#lib.symbols.coquic_x_io_take_new_peers(this.address, this.#peers, this.#peers.length) as number;
    return n === 0 ? [] : [...this.#peers.subarray(0, n)];
  }

  /**
   * Routes whose address answered with an ICMP unreachable since the last call, each with its
   * error code ("ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN").
   */
  takeUnreachable(): { route: bigint; code: string }[] {
    const n = this.#lib.symbols.coquic_x_io_take_unreachable(
      this.address,
      this.#refusedRoutes,
      this.#refusedErrnos,
      this.#refusedRoutes.length,
    ) as number;
    const out: { route: bigint; code: string }[] = [];
    for (let i = 0; i < Number(n); i++) {
      out.push({
        route: this.#refusedRoutes[i],
        code: LINUX_ERRNO[this.#refusedErrnos[i]] ?? `errno ${this.#refusedErrnos[i]}`,
      });
    }
    return out;
  }

  /** Feeds a held peer's datagrams. */
  admit(route: bigint, now: bigint): QueryResult {
    return this.#result("coquic_x_io_admit", this.#lib.symbols.coquic_x_io_admit(this.address, route, now, this.#out));
  }

  /** Drops a peer's datagrams, held and future. */
  ignore(route: bigint): void {
    this.#lib.symbols.coquic_x_io_ignore(this.address, route);
  }

  /** The socket's counters. */
  stats(): NativeIoStats {
    this.#statsView.setBigUint64(0, BigInt(L.IoStats.size), true);
    this.#lib.symbols.coquic_x_io_stats(this.address, this.#stats);
    return decodeIoStats(this.#statsView);
  }
}
