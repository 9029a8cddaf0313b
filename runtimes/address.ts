/**
 * Peer addresses as the engine sees them: route handles (one per peer address) and the
 * address-validation identity bytes (IPv4: 0x04, a, b, c, d, port_hi, port_lo; IPv6:
 * 0x06, 16 address bytes, port_hi, port_lo; network byte order).
 *
 * @module
 */
import type { SocketAddress } from "./udp.ts";

/** Parses IPv4 dotted text into 4 bytes, or undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  return b.every((x) => x <= 255) ? new Uint8Array(b) : undefined;
}

/** Parses IPv6 text (with `::` compression and an optional embedded IPv4 tail) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = t.indexOf("%");
  if (zone >= 0) t = t.slice(0, zone);
  const out = new Uint8Array(16);
  const halves = t.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string, last: boolean): number[] | undefined => {
    if (s === "") return [];
    const parts = s.split(":");
    const res: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (last && i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        res.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) res.push(parseInt(p, 16));
      else return undefined;
    }
    return res;
  };
  const head = groups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1], true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined;
  const all = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * The canonical text of an IP literal, as runtimes report the senders of datagrams (IPv4
 * dotted decimal without leading zeros; IPv6 in RFC 5952 form: lowercase, no leading zeros,
 * the longest run of two or more zero groups as `::`, `::ffff:a.b.c.d` for mapped IPv4; a zone
 * kept), or undefined when `text` is not one. Routes are keyed by this text, so a peer given
 * as `0:0:0:0:0:0:0:1` matches the replies from `::1`.
 *
 * @example
 * ```ts
 * canonicalIp("0:0:0:0:0:0:0:1"); // "::1"
 * canonicalIp("[2001:DB8:0:0:1::1]"); // "2001:db8::1:0:0:1"
 * ```
 */
export function canonicalIp(text: string): string | undefined {
  const v4 = parseIpv4(text);
  if (v4) return v4.join(".");
  let t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zoneAt = t.indexOf("%");
  const zone = zoneAt >= 0 ? t.slice(zoneAt) : "";
  if (zoneAt >= 0) t = t.slice(0, zoneAt);
  const b = parseIpv6(t);
  if (!b) return undefined;
  return ipBytesText(b) + zone;
}

/**
 * The canonical text of 4 or 16 address bytes: dotted decimal, or RFC 5952 IPv6 (lowercase,
 * no leading zeros, the longest run of two or more zero groups as `::`, `::ffff:a.b.c.d` for
 * mapped IPv4). {@link canonicalIp} and the native socket's addresses both come from here.
 *
 * @example
 * ```ts
 * ipBytesText(new Uint8Array([127, 0, 0, 1])); // "127.0.0.1"
 * ```
 */
export function ipBytesText(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestAt = -1, bestLen = 1; // runs of one zero group are not compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  return bestAt < 0 ? hex(groups) : `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

/**
 * The address-validation identity bytes of a peer address.
 *
 * @example
 * ```ts
 * addressIdentity("127.0.0.1", 4433); // Uint8Array [4, 127, 0, 0, 1, 17, 81]
 * ```
 */
export function addressIdentity(hostname: string, port: number): Uint8Array {
  const v4 = parseIpv4(hostname);
  if (v4) return new Uint8Array([0x04, ...v4, port >> 8, port & 0xff]);
  const v6 = parseIpv6(hostname);
  if (v6) return new Uint8Array([0x06, ...v6, port >> 8, port & 0xff]);
  return new Uint8Array(0); // unknown: token binding is skipped
}

/** The route-table key of a peer: "a.b.c.d:port" or "[v6]:port". */
export function routeKey(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** One peer path. */
export interface Route {
  /** The engine's route handle (1, 2, 3, …). */
  handle: bigint;
  /** The peer address (the same object for the life of the route). */
  address: SocketAddress;
  /** Cached address-validation identity bytes (empty for a non-IP hostname). */
  identity: Uint8Array;
  /** {@link routeKey} of the address (with `#socket` for a socket besides the first). */
  key: string;
  /** The local socket it is reached from: 0 (or absent) the first, else a migrating client's other one. */
  socket?: number;
}

/**
 * Peer address (and local socket) ↔ route handle (1, 2, 3, …), stable for the life of the
 * socket. A client migrating to another local socket reaches the same peer on a new route.
 *
 * @example
 * ```ts
 * const routes = new RouteTable();
 * const r = routes.forPeer("127.0.0.1", 5000);
 * routes.byHandle(r.handle)?.address.port; // 5000
 * routes.byKey("127.0.0.1:5000") === r;     // true
 * ```
 */
export class RouteTable {
  #byKey = new Map<string, Route>();
  #byHandle = new Map<bigint, Route>();
  #next = 1n;

  /** The route for a peer address (from local socket `socket`), created on first sight. */
  forPeer(hostname: string, port: number, socket = 0): Route {
    const key = socket ? `${routeKey(hostname, port)}#${socket}` : routeKey(hostname, port);
    let r = this.#byKey.get(key);
    if (!r) {
      r = { handle: this.#next++, address: { hostname, port }, identity: addressIdentity(hostname, port), key };
      if (socket) r.socket = socket;
      this.#byKey.set(key, r);
      this.#byHandle.set(r.handle, r);
    }
    return r;
  }

  /** The existing route for a peer address (from local socket `socket`), without creating one. */
  lookup(hostname: string, port: number, socket = 0): Route | undefined {
    return this.#byKey.get(socket ? `${routeKey(hostname, port)}#${socket}` : routeKey(hostname, port));
  }

  /** The existing route for a {@link routeKey}. */
  byKey(key: string): Route | undefined {
    return this.#byKey.get(key);
  }

  /** The route with a handle, if any. */
  byHandle(handle: bigint): Route | undefined {
    return this.#byHandle.get(handle);
  }

  /** Forgets a route (its handle is never reused). Returns whether it existed. */
  remove(handle: bigint): boolean {
    const r = this.#byHandle.get(handle);
    if (!r) return false;
    this.#byHandle.delete(handle);
    this.#byKey.delete(r.key);
    return true;
  }

  /** Every route's handle (a snapshot: the table may be changed while iterating it). */
  handles(): bigint[] {
    return [...this.#byHandle.keys()];
  }

  /** How many routes exist. */
  get size(): number {
    return this.#byKey.size;
  }
}
