/**
 * Host name resolution through the runtime's DNS (`node:dns` `lookup`, which Deno, Bun and
 * Node.js all provide and which reads `/etc/hosts` like the system resolver).
 *
 * @module
 */

/**
 * One resolved address.
 *
 * @example
 * ```ts
 * const a: ResolvedAddress = { address: "127.0.0.1", family: 4 };
 * ```
 */
export interface ResolvedAddress {
  /** An IPv4 or IPv6 literal. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/**
 * A resolver: every address of a host name, in the order to try them. Throwing or returning no
 * addresses means the name does not resolve.
 *
 * @example
 * ```ts
 * const fixed: Lookup = () => Promise.resolve([{ address: "127.0.0.1", family: 4 }]);
 * ```
 */
export type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

/**
 * The runtime's resolver: `getaddrinfo` through `node:dns`, every address in the system's order.
 *
 * @example
 * ```ts
 * const addresses = await systemLookup("localhost"); // [{ address: "127.0.0.1", family: 4 }, …]
 * ```
 */
export const systemLookup: Lookup = async (hostname) => {
  const dns = await import("node:dns/promises");
  const all = await dns.lookup(hostname, { all: true, verbatim: true });
  return all
    .filter((a) => a.family === 4 || a.family === 6)
    .map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
};
