/**
 * The UDP socket factory of the current runtime (Deno, Bun or Node.js, told apart by their globals).
 *
 * @module
 */
import type { UdpBindOptions, UdpSocket } from "./udp.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/**
 * "bun", "deno", "node", or undefined for a runtime without an adapter. Bun is checked
 * first, then Deno (both also define `process.versions.node`).
 *
 * @example
 * ```ts
 * console.log(udpRuntime()); // "node" under Node.js
 * ```
 */
export function udpRuntime(): "bun" | "deno" | "node" | undefined {
  if (typeof g.Bun?.udpSocket === "function") return "bun";
  if (typeof g.Deno?.listenDatagram === "function" || typeof g.Deno?.version?.deno === "string") return "deno";
  if (typeof g.process?.versions?.node === "string") return "node";
  return undefined;
}

/**
 * Binds a UDP socket with the current runtime's API.
 *
 * @example
 * ```ts
 * const sock = await bindUdp({ hostname: "127.0.0.1", port: 0 });
 * console.log(sock.localAddress.port);
 * ```
 */
export async function bindUdp(options: UdpBindOptions): Promise<UdpSocket> {
  switch (udpRuntime()) {
    case "bun":
      return (await import("./udp_bun.ts")).bunUdp(options);
    case "deno":
      return (await import("./udp_deno.ts")).denoUdp(options);
    case "node":
      return (await import("./udp_node.ts")).nodeUdp(options);
    default:
      throw new Error("coquic-ts: no UDP adapter for this runtime (supported: Deno, Bun, Node.js)");
  }
}
