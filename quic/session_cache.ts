/**
 * A client endpoint's session tickets by server, so its next connection to the same server
 * resumes (an abbreviated TLS handshake: no certificate to send, sign or verify), as browsers
 * and rustls clients do by default. Bounded: a few tickets per server, least recently used
 * servers dropped beyond a limit. Tickets are single-use (RFC 8446 §C.4: a reused ticket lets
 * an observer link the connections), so taking one removes it.
 *
 * @module
 */

/** Tickets kept per server (the newest ones; each connection brings one). */
export const TICKETS_PER_SERVER = 4;
/** Servers kept; past this the least recently used one is dropped. */
export const MAX_SERVERS = 256;

/** Tickets by server key; the map's order is the servers' recency, oldest first. */
export class SessionCache {
  #servers = new Map<string, Uint8Array[]>();

  constructor(readonly maxServers = MAX_SERVERS, readonly perServer = TICKETS_PER_SERVER) {}

  /** The key of a server: its name or address, port, TLS server name and ALPN. */
  static key(hostname: string, port: number, serverName: string, alpn: string): string {
    return `${hostname}|${port}|${serverName}|${alpn}`;
  }

  /** Keeps `ticket` for `key` (the newest; the oldest of a full server's tickets goes). */
  put(key: string, ticket: Uint8Array): void {
    const tickets = this.#servers.get(key) ?? [];
    this.#servers.delete(key); // re-inserted below: now the most recently used
    tickets.push(ticket);
    if (tickets.length > this.perServer) tickets.shift();
    this.#servers.set(key, tickets);
    if (this.#servers.size > this.maxServers) this.#servers.delete(this.#servers.keys().next().value!);
  }

  /** Takes the newest ticket for `key` out of the cache, if any. */
  take(key: string): Uint8Array | undefined {
    const tickets = this.#servers.get(key);
    if (!tickets) return undefined;
    const ticket = tickets.pop();
    this.#servers.delete(key);
    if (tickets.length > 0) this.#servers.set(key, tickets);
    return ticket;
  }

  /** Tickets held for `key` (all servers when omitted). */
  count(key?: string): number {
    if (key !== undefined) return this.#servers.get(key)?.length ?? 0;
    let n = 0;
    for (const t of this.#servers.values()) n += t.length;
    return n;
  }

  /** Servers with tickets. */
  get servers(): number {
    return this.#servers.size;
  }

  clear(): void {
    this.#servers.clear();
  }
}
