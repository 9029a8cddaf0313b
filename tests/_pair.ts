/**
 * Two endpoints joined in memory on a virtual clock (like quinn-proto's `Pair`): datagrams
 * move between them through a link with delay, loss, reordering and duplication driven by a
 * seeded PRNG; timers fire when the virtual clock reaches them. No sockets.
 *
 * @module
 */
import { type CoquicLibrary, loadCoquicSync } from "../ffi/loader.ts";
import { Role } from "../ffi/abi.ts";
import { EndpointConfig } from "../quic/config.ts";
import { ClientConfig, type Connection, Endpoint } from "../quic/endpoint.ts";
import type { Effect } from "../quic/effects.ts";
import type { CloseInfo, QueryResult } from "../quic/result.ts";
import type { LocalError } from "../quic/errors.ts";
import { testCert } from "./_cert.ts";

/**
 * xorshift64*: deterministic randomness for link behaviour.
 *
 * @example
 * ```ts
 * const rng = new Rng(42n);
 * const cid = rng.bytes(8);
 * ```
 */
export class Rng {
  #s: bigint;
  constructor(seed = 0x9e3779b97f4a7c15n) {
    this.#s = seed || 1n;
  }
  next(): number {
    let x = this.#s;
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffffffffffffffffn;
    x ^= x >> 27n;
    this.#s = x;
    return Number(((x * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 11n) / 2 ** 53;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }
}

/** Link behaviour. Delays in µs. */
export interface LinkOptions {
  delayUs?: number;
  loss?: number;
  reorder?: number;
  duplicate?: number;
  seed?: bigint;
}

interface InFlight {
  at: bigint;
  seq: number;
  toServer: boolean;
  bytes: Uint8Array;
}

/** Everything one side observed. */
export class Side {
  readonly events: Effect[] = [];
  readonly closeInfos: CloseInfo[] = [];
  readonly localErrors: LocalError[] = [];
  /** (connection, stream) → received bytes chunks, with offsets checked contiguous. */
  readonly streams = new Map<string, { chunks: Uint8Array[]; next: bigint; fin: boolean }>();
  readonly datagrams: Uint8Array[] = [];
  constructor(readonly endpoint: Endpoint) {}

  stream(conn: bigint, id: bigint) {
    const key = `${conn}:${id}`;
    let s = this.streams.get(key);
    if (!s) this.streams.set(key, s = { chunks: [], next: 0n, fin: false });
    return s;
  }

  /** The received bytes of a stream, concatenated. */
  received(conn: bigint, id: bigint): Uint8Array {
    const s = this.stream(conn, id);
    const total = s.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of s.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  has(kind: string, pred: (e: Effect) => boolean = () => true): boolean {
    return this.events.some((e) => e.kind === kind && pred(e));
  }
}

/** Options for a pair. */
export interface PairOptions extends LinkOptions {
  /** The library to run on (default: the search order's, with extensions). */
  library?: CoquicLibrary;
  client?: (c: EndpointConfig) => void;
  server?: (c: EndpointConfig) => void;
}

/** A binary min-heap of in-flight datagrams ordered by (arrival time, send order). */
class Heap {
  #a: InFlight[] = [];
  static #before(x: InFlight, y: InFlight): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
  get size(): number {
    return this.#a.length;
  }
  peek(): InFlight | undefined {
    return this.#a[0];
  }
  push(item: InFlight): void {
    const a = this.#a;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!Heap.#before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }
  pop(): InFlight | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && Heap.#before(a[l], a[m])) m = l;
        if (r < a.length && Heap.#before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Two endpoints and a link.
 *
 * @example
 * ```ts
 * const p = await Pair.create({ loss: 0.01, seed: 7n });
 * const conn = p.connect();
 * p.absorb(p.client, conn.sendStream(0n, pattern(1000), true, p.now));
 * p.runUntil(() => p.serverSawStream(0n, true));
 * p.close();
 * ```
 */
export class Pair {
  now = 1_000n;
  readonly client: Side;
  readonly server: Side;
  readonly rng: Rng;
  #queue = new Heap();
  #seq = 0;
  #link: Required<Omit<LinkOptions, "seed">>;
  /** When set, every datagram the server receives is kept in `capturedToServer`. */
  capture = false;
  readonly capturedToServer: Uint8Array[] = [];
  /** Route handles the client's send_datagram effects asked for (undefined = default route). */
  readonly clientRoutes = new Set<bigint | undefined>();

  private constructor(readonly lib: CoquicLibrary, client: Endpoint, server: Endpoint, opts: PairOptions) {
    this.client = new Side(client);
    this.server = new Side(server);
    this.rng = new Rng(opts.seed);
    this.#link = {
      delayUs: opts.delayUs ?? 5_000,
      loss: opts.loss ?? 0,
      reorder: opts.reorder ?? 0,
      duplicate: opts.duplicate ?? 0,
    };
  }

  /** Creates both endpoints with test-friendly configs. */
  static async create(opts: PairOptions = {}): Promise<Pair> {
    const lib = opts.library ?? loadCoquicSync();
    const { certPem, keyPem } = await testCert();
    const base = (role: number) => {
      const c = EndpointConfig.default(lib);
      c.role = role;
      c.verifyPeer = false;
      c.applicationProtocol = "coquic-test";
      c.transport.maxIdleTimeout = 30_000;
      c.transport.initialMaxData = 64 << 20;
      c.transport.initialMaxStreamDataBidiLocal = 16 << 20;
      c.transport.initialMaxStreamDataBidiRemote = 16 << 20;
      c.transport.initialMaxStreamDataUni = 16 << 20;
      c.transport.initialMaxStreamsBidi = 1000;
      c.transport.initialMaxStreamsUni = 100;
      return c;
    };
    const cc = base(Role.CLIENT);
    const sc = base(Role.SERVER);
    sc.identity = { certificatePem: certPem, privateKeyPem: keyPem };
    opts.client?.(cc);
    opts.server?.(sc);
    return new Pair(lib, Endpoint.create(lib, cc), Endpoint.create(lib, sc), opts);
  }

  /** Opens a client connection. */
  connect(): Connection {
    const cfg = ClientConfig.new(this.rng.bytes(8), this.rng.bytes(8), this.lib);
    cfg.initialRouteHandle = 1n;
    const { connection, result } = this.client.endpoint.connect(cfg, this.now);
    this.absorb(this.client, result, false);
    return connection;
  }

  /** Records a result's effects and queues its datagrams onto the link. */
  absorb(side: Side, r: QueryResult, fromServer = side === this.server): void {
    for (const e of r.effects) {
      if (e.kind === "send_datagram") {
        if (!fromServer) this.clientRoutes.add(e.routeHandle);
        this.#send(e.bytes, !fromServer);
        continue;
      }
      side.events.push(e);
      if (e.kind === "receive_stream_data") {
        const s = side.stream(e.connection, e.streamId);
        if (e.offset !== s.next) {
          throw new Error(`stream ${e.streamId}: data at offset ${e.offset}, expected ${s.next}`);
        }
        s.next += BigInt(e.bytes.length);
        if (e.bytes.length) s.chunks.push(e.bytes);
        if (e.fin) s.fin = true;
      } else if (e.kind === "receive_datagram_data") side.datagrams.push(e.bytes);
    }
    side.closeInfos.push(...r.closeInfos);
    if (r.localError) side.localErrors.push(r.localError);
    if (r.sendContinuationPending) this.absorb(side, side.endpoint.timerExpired(this.now), fromServer);
  }

  #send(bytes: Uint8Array, toServer: boolean): void {
    const l = this.#link;
    if (this.rng.next() < l.loss) return;
    const copies = this.rng.next() < l.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = l.delayUs;
      if (this.rng.next() < l.reorder) delay += Math.floor(this.rng.next() * 3 * l.delayUs);
      this.#queue.push({ at: this.now + BigInt(delay), seq: this.#seq++, toServer, bytes });
    }
  }

  /** Advances to the next event (a datagram arrival or a timer) and handles it. False when idle. */
  step(): boolean {
    const next = this.#queue.peek();
    const cw = this.client.endpoint.nextWakeup();
    const sw = this.server.endpoint.nextWakeup();
    const timer = cw === undefined ? sw : sw === undefined || cw < sw ? cw : sw;
    if (next === undefined && timer === undefined) return false;
    if (next !== undefined && (timer === undefined || next.at <= timer)) {
      const q = this.#queue.pop()!;
      if (q.at > this.now) this.now = q.at;
      const side = q.toServer ? this.server : this.client;
      if (q.toServer && this.capture) this.capturedToServer.push(q.bytes);
      this.absorb(side, side.endpoint.receiveDatagram({ bytes: q.bytes, routeHandle: 1n }, this.now));
      return true;
    }
    if (timer! > this.now) this.now = timer!;
    for (const side of [this.client, this.server]) {
      const w = side.endpoint.nextWakeup();
      if (w !== undefined && w <= this.now) this.absorb(side, side.endpoint.timerExpired(this.now));
    }
    return true;
  }

  /** Steps until `done()` or a virtual-time / step bound; throws when the bound is hit. */
  runUntil(done: () => boolean, maxVirtualUs = 60_000_000n, maxSteps = 2_000_000): void {
    const deadline = this.now + maxVirtualUs;
    for (let i = 0; i < maxSteps; i++) {
      if (done()) return;
      if (this.now > deadline) break;
      if (!this.step()) {
        if (done()) return;
        throw new Error("pair went idle before the condition held");
      }
    }
    if (!done()) throw new Error(`condition not reached within ${maxVirtualUs} µs / ${maxSteps} steps`);
  }

  /** The server-side handle of the first accepted connection, if any yet. */
  acceptedConnection(): bigint | undefined {
    return this.server.events.find((x) => x.kind === "connection_lifecycle_event" && x.event === "accepted")
      ?.connection;
  }

  /** The server-side connection handle of the first accepted connection. */
  serverConnection(): bigint {
    const c = this.acceptedConnection();
    if (c === undefined) throw new Error("server accepted nothing");
    return c;
  }

  /** Whether the server has seen stream `id` of its first accepted connection (FIN when `fin`). */
  serverSawStream(id: bigint, fin = false): boolean {
    const c = this.acceptedConnection();
    const s = c === undefined ? undefined : this.server.streams.get(`${c}:${id}`);
    return s !== undefined && (!fin || s.fin);
  }

  /** Closes both endpoints. */
  close(): void {
    this.client.endpoint.close();
    this.server.endpoint.close();
  }
}

/**
 * Deterministic payload: byte i = (i * 31 + 7) & 0xff, offset-aware.
 *
 * @example
 * ```ts
 * pattern(3); // Uint8Array [7, 38, 69]
 * ```
 */
export function pattern(length: number, offset = 0): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = ((offset + i) * 31 + 7) & 0xff;
  return b;
}
