/**
 * HTTP datagrams of WebTransport sessions (RFC 9297 §2.1): each QUIC DATAGRAM frame starts
 * with the quarter stream ID of its session's CONNECT stream. One reader per connection
 * drains the QUIC datagrams and hands each to its session; a session's readable holds at most
 * `incomingHighWaterMark` datagrams and drops beyond (datagrams are unreliable: a slow reader
 * loses datagrams, never stalls the connection or other sessions).
 *
 * @module
 */
import type { QuicConnection } from "../../quic/mod.ts";
import { ByteWriter } from "../bytes.ts";
import { decodeVarint, encodeVarint } from "../varint.ts";
import { toBytes } from "./streams.ts";

/**
 * Largest datagram payload we let a session send: the QUIC packet (1200 bytes is what every
 * path carries) less the packet and frame overhead and the quarter-stream-ID prefix.
 */
export const MAX_DATAGRAM_SIZE = 1100;

/** A session's datagrams, as the W3C `WebTransportDatagramDuplexStream`. */
export interface WebTransportDatagramDuplexStream {
  /** Datagrams from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Datagrams to the peer (one write, one datagram; too large ones are dropped). */
  readonly writable: WritableStream<Uint8Array>;
  /** The largest payload a write sends. */
  readonly maxDatagramSize: number;
  /** Datagrams the readable holds before it drops new ones. */
  incomingHighWaterMark: number;
  /** Datagrams the writable queues (sending never blocks: QUIC sends them at once). */
  outgoingHighWaterMark: number;
}

/** One session's end of the datagram demultiplexer. */
export class SessionDatagrams implements WebTransportDatagramDuplexStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly maxDatagramSize = MAX_DATAGRAM_SIZE;
  incomingHighWaterMark = 1024;
  outgoingHighWaterMark = 1;
  /** Datagrams dropped on arrival because the readable was full. */
  dropped = 0;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #quic: QuicConnection | undefined;
  #prefix: Uint8Array = new Uint8Array(0);

  /** Datagrams of a session; they flow once it is attached to its connection. */
  constructor() {
    this.readable = new ReadableStream<Uint8Array>({ start: (c) => void (this.#controller = c) }, {
      highWaterMark: 0,
    });
    this.writable = new WritableStream<Uint8Array>({
      write: (data) => {
        const chunk = toBytes(data);
        const quic = this.#quic;
        // unreliable: before the session is up, after it ended and when too large, dropped (as the W3C API does)
        if (!quic || this.#closed || chunk.length > this.maxDatagramSize) return;
        const frame = new Uint8Array(this.#prefix.length + chunk.length);
        frame.set(this.#prefix);
        frame.set(chunk, this.#prefix.length);
        try {
          quic.sendDatagram(frame);
        } catch {
          // no room or the connection is gone: a lost datagram
        }
      },
    }, { highWaterMark: 1 });
  }

  /** The session is up: its datagrams go on `quic`, prefixed by the quarter of `sessionId`. */
  attach(quic: QuicConnection, sessionId: number): void {
    const w = new ByteWriter(8);
    encodeVarint(w, sessionId / 4);
    this.#prefix = w.toBytes();
    this.#quic = quic;
  }

  /** A datagram for this session arrived. */
  deliver(payload: Uint8Array): void {
    if (this.#closed) return;
    const size = this.#controller.desiredSize ?? 0;
    if (size + this.incomingHighWaterMark <= 0) {
      this.dropped++;
      return;
    }
    this.#controller.enqueue(payload);
  }

  /** Ends the readable (the session closed) or errors it. */
  close(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (error) this.#controller.error(error);
      else this.#controller.close();
    } catch {
      // already ended
    }
  }
}

/** Reads every QUIC datagram of `quic` and routes it by its quarter stream ID; undecodable ones are dropped. */
export function demultiplexDatagrams(
  quic: QuicConnection,
  route: (sessionId: number) => ((payload: Uint8Array) => void) | undefined,
): void {
  void (async () => {
    const reader = quic.datagrams.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const q = decodeVarint(value, 0);
        if (!q || q.value * 4 > Number.MAX_SAFE_INTEGER) continue;
        route(q.value * 4)?.(value.subarray(q.length));
      }
    } catch {
      // the connection ended
    }
  })();
}
