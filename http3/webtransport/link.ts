/**
 * WebTransport's state on one HTTP/3 connection: its sessions by ID (the CONNECT stream's
 * ID), the routing of session-bound streams and datagrams to them, and a bounded buffer for
 * streams that name a session not (yet) known, e.g. a stream that overtook its CONNECT.
 *
 * @module
 */
import type { QuicStream } from "../../quic/mod.ts";
import type { H3Connection } from "../connection.ts";
import { concat } from "../bytes.ts";
import { decodeVarint } from "../varint.ts";
import { demultiplexDatagrams } from "./datagrams.ts";
import { webTransportSettings, WT_BIDI_SIGNAL, WT_UNI_STREAM_TYPE, WtErrorCode } from "./protocol.ts";
import type { WebTransportSession } from "./session.ts";

/** Reads the next chunk of a stream, undefined at its end. */
export type ChunkSource = () => Promise<Uint8Array | undefined>;

/** A session-bound stream of the peer, its header read. */
export interface IncomingStream {
  stream: QuicStream;
  read: ChunkSource;
  rest: Uint8Array;
}

/** Reads one varint from `read`, after `have`; undefined if the stream ends first. */
export async function readVarintFrom(
  read: ChunkSource,
  have: Uint8Array,
): Promise<{ value: number; rest: Uint8Array } | undefined> {
  let buf = have;
  for (;;) {
    const d = decodeVarint(buf, 0);
    if (d) return { value: d.value, rest: buf.subarray(d.length) };
    const chunk = await read();
    if (chunk === undefined) return undefined;
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
  }
}

const byLink = new WeakMap<H3Connection, WebTransportLink>();

/** The WebTransport state of `h3`, if it has one. */
export function linkOf(h3: H3Connection): WebTransportLink | undefined {
  return byLink.get(h3);
}

/** WebTransport on one HTTP/3 connection. */
export class WebTransportLink {
  /** Live sessions by session ID. */
  readonly sessions: Map<number, WebTransportSession> = new Map();
  /** Session IDs announced (a CONNECT being handled) whose streams wait. */
  readonly #expected = new Set<number>();
  /** Session IDs that ended: their late streams are refused at once. */
  readonly #gone = new Set<number>();
  readonly #buffered = new Map<number, { bidi: boolean; s: IncomingStream }[]>();
  #bufferedCount = 0;

  /**
   * Adds WebTransport to `h3` (before its `start()`): our settings, the hook for
   * session-bound unidirectional streams, and the datagram demultiplexer.
   */
  constructor(
    readonly h3: H3Connection,
    readonly maxSessions: number,
    readonly maxBufferedStreams = 32,
  ) {
    h3.extraSettings = webTransportSettings(h3.isServer, maxSessions);
    h3.uniStreamHandler = (type, stream, reader, rest) => {
      if (type !== WT_UNI_STREAM_TYPE) return false;
      const read: ChunkSource = async () => {
        const r = await reader.read();
        return r.done ? undefined : r.value;
      };
      void this.#routeUni({ stream, read, rest }).catch(() => {});
      return true;
    };
    demultiplexDatagrams(h3.quic, (id) => this.sessions.get(id)?._deliverDatagram);
    byLink.set(h3, this);
  }

  /**
   * Reads the first varint of a peer's bidirectional stream: with the WebTransport signal the
   * stream goes to its session and this returns null; otherwise it returns the bytes read, the
   * start of an HTTP/3 request (also when `timeoutMs` passes first).
   */
  async claimBidi(stream: QuicStream, timeoutMs: number): Promise<Uint8Array | null> {
    const read: ChunkSource = () => stream.read();
    const signal = AbortSignal.timeout(timeoutMs);
    let head: Uint8Array = new Uint8Array(0);
    for (;;) {
      const d = decodeVarint(head, 0);
      if (d) {
        if (d.value !== WT_BIDI_SIGNAL) return head;
        const id = await readVarintFrom(read, head.subarray(d.length)).catch(() => undefined);
        if (id) this.#deliver(id.value, true, { stream, read, rest: id.rest });
        return null;
      }
      const chunk = await stream.read({ signal }).catch(() => undefined);
      if (chunk === undefined) return head;
      head = head.length === 0 ? chunk : concat(head, chunk);
    }
  }

  async #routeUni(s: IncomingStream): Promise<void> {
    const id = await readVarintFrom(s.read, s.rest);
    if (!id) return;
    this.#deliver(id.value, false, { ...s, rest: id.rest });
  }

  #deliver(sessionId: number, bidi: boolean, s: IncomingStream): void {
    const session = this.sessions.get(sessionId);
    if (session) return session._incoming(bidi, s);
    if (this.#gone.has(sessionId)) return refuse(s.stream, WtErrorCode.SESSION_GONE);
    if (this.#bufferedCount >= this.maxBufferedStreams) return refuse(s.stream, WtErrorCode.BUFFERED_STREAM_REJECTED);
    const list = this.#buffered.get(sessionId) ?? [];
    list.push({ bidi, s });
    this.#buffered.set(sessionId, list);
    this.#bufferedCount++;
  }

  /** A CONNECT for `sessionId` is being handled: its streams wait for the answer. */
  expect(sessionId: number): void {
    this.#expected.add(sessionId);
  }

  /** Sessions counted against the limit: live ones and those being decided. */
  get sessionCount(): number {
    return this.sessions.size + this.#expected.size;
  }

  /** Sends DRAIN_WEBTRANSPORT_SESSION on every live session (the server is going away). */
  drainAll(): void {
    for (const session of this.sessions.values()) session._drain();
  }

  /** `session` is established as `sessionId`: streams that waited for it go to it. */
  add(sessionId: number, session: WebTransportSession): void {
    this.#expected.delete(sessionId);
    this.sessions.set(sessionId, session);
    const waiting = this.#buffered.get(sessionId) ?? [];
    this.#buffered.delete(sessionId);
    this.#bufferedCount -= waiting.length;
    for (const { bidi, s } of waiting) session._incoming(bidi, s);
  }

  /** Session `sessionId` ended or was refused: its waiting and later streams are refused. */
  remove(sessionId: number): void {
    this.#expected.delete(sessionId);
    this.sessions.delete(sessionId);
    this.#gone.add(sessionId);
    const waiting = this.#buffered.get(sessionId) ?? [];
    this.#buffered.delete(sessionId);
    this.#bufferedCount -= waiting.length;
    for (const { s } of waiting) refuse(s.stream, WtErrorCode.SESSION_GONE);
  }
}

/** Refuses a peer's stream both ways with `code`. */
export function refuse(stream: QuicStream, code: number): void {
  stream.stopSending(BigInt(code));
  if (stream.bidirectional) stream.reset(BigInt(code));
}
