/**
 * One WebTransport session, with the W3C `WebTransport` interface: `ready`, `closed`,
 * `draining`, `close()`, `datagrams`, the create/incoming stream pairs. The server's
 * `upgradeWebTransport()` and the client's `WebTransport` constructor make them; this module
 * runs an established session over its CONNECT stream (capsules in, close out) and its link.
 *
 * @module
 */
import type { CloseResult, QuicConnection, QuicStream } from "../../quic/mod.ts";
import { type MessageReader, writeFrame } from "../connection.ts";
import { H3Error, H3ErrorCode } from "../errors.ts";
import { ByteWriter } from "../bytes.ts";
import { encodeVarint } from "../varint.ts";
import { CapsuleParser, encodeCloseCapsule, encodeDrainCapsule, truncateReason } from "./capsules.ts";
import { SessionDatagrams, type WebTransportDatagramDuplexStream } from "./datagrams.ts";
import type { IncomingStream, WebTransportLink } from "./link.ts";
import { WebTransportError, WT_BIDI_SIGNAL, WT_UNI_STREAM_TYPE, WtErrorCode } from "./protocol.ts";
import { receiveStream, sendStream, streamError, StreamSet, type WebTransportBidirectionalStream } from "./streams.ts";

/** How a session ended cleanly, as the W3C `WebTransportCloseInfo`. */
export interface WebTransportCloseInfo {
  /** The application's close code (a uint32; 0 when the peer just ended the stream). */
  closeCode: number;
  /** The close reason (at most 1024 UTF-8 bytes on the wire). */
  reason: string;
}

/** Options of `createBidirectionalStream()` / `createUnidirectionalStream()`. */
export interface WebTransportSendStreamOptions {
  /** Send priority among this connection's streams (higher goes first; an int32). */
  sendOrder?: number;
}

/**
 * How long a connection that carried only one session stays open after that session's close
 * capsule left, before it is closed with the session's code (time for the capsule to arrive).
 */
export const LONE_CLOSE_DELAY_MS = 200;

function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * A WebTransport session: the same object on the server (from `upgradeWebTransport()`) and
 * on the client (`WebTransport` extends it).
 */
export class WebTransportSession {
  /** Resolves once the session is established; rejects if it is refused or fails first. */
  readonly ready: Promise<void>;
  /** Resolves when the session closes cleanly (with the close code and reason); rejects when it breaks. */
  readonly closed: Promise<WebTransportCloseInfo>;
  /** Resolves when the peer asks to wind the session down (DRAIN_WEBTRANSPORT_SESSION). */
  readonly draining: Promise<void>;
  /** The session's datagrams. */
  readonly datagrams: WebTransportDatagramDuplexStream;
  /** Bidirectional streams the peer opens. */
  readonly incomingBidirectionalStreams: ReadableStream<WebTransportBidirectionalStream>;
  /** Unidirectional streams the peer opens. */
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly #ready = deferred<void>();
  readonly #closed = deferred<WebTransportCloseInfo>();
  readonly #draining = deferred<void>();
  readonly #datagrams = new SessionDatagrams();
  #bidiIn!: ReadableStreamDefaultController<WebTransportBidirectionalStream>;
  #uniIn!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;
  #link: WebTransportLink | undefined;
  #connect: QuicStream | undefined;
  #id = -1;
  #state: "connecting" | "connected" | "closed" = "connecting";
  readonly #streams = new StreamSet();
  #closeInfo: WebTransportCloseInfo | undefined;

  /** Made by `upgradeWebTransport()` or the `WebTransport` constructor. */
  constructor() {
    this.ready = this.#ready.promise;
    this.closed = this.#closed.promise;
    this.draining = this.#draining.promise;
    this.datagrams = this.#datagrams;
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.#bidiIn = c) });
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.#uniIn = c) });
  }

  /** Opens a bidirectional stream of this session (waits until the session is established). */
  async createBidirectionalStream(
    options: WebTransportSendStreamOptions = {},
  ): Promise<WebTransportBidirectionalStream> {
    const stream = await this.#open(false, options);
    return {
      readable: receiveStream(stream, () => stream.read(), new Uint8Array(0), this.#streams),
      writable: sendStream(stream, this.#streams),
    };
  }

  /** Opens a unidirectional stream of this session (waits until the session is established). */
  async createUnidirectionalStream(options: WebTransportSendStreamOptions = {}): Promise<WritableStream<Uint8Array>> {
    return sendStream(await this.#open(true, options), this.#streams);
  }

  async #open(uni: boolean, options: WebTransportSendStreamOptions): Promise<QuicStream> {
    await this.ready;
    if (this.#state !== "connected") throw new WebTransportError("the session is closed", { source: "session" });
    const stream = this.#link!.h3.quic.openStream({ unidirectional: uni, sendOrder: options.sendOrder });
    this.#streams.add(stream);
    const w = new ByteWriter(16);
    encodeVarint(w, uni ? WT_UNI_STREAM_TYPE : WT_BIDI_SIGNAL);
    encodeVarint(w, this.#id);
    try {
      await stream.write(w.toBytes());
    } catch (e) {
      throw streamError(e);
    }
    return stream;
  }

  /**
   * Closes the session: sends CLOSE_WEBTRANSPORT_SESSION with `closeCode` (a uint32, default 0)
   * and `reason`, ends the CONNECT stream and resets the session's streams.
   */
  close(closeInfo: Partial<WebTransportCloseInfo> = {}): void {
    const code = closeInfo.closeCode ?? 0;
    const reason = closeInfo.reason ?? "";
    if (!Number.isInteger(code) || code < 0 || code > 0xffffffff) {
      throw new RangeError("closeCode must be an integer in 0..2^32-1");
    }
    if (this.#state === "closed") return;
    if (this.#state === "connecting") {
      this._fail(new WebTransportError("the session was closed before it was established", { source: "session" }));
      return;
    }
    const connect = this.#connect!;
    void writeFrame(connect, { type: "data", payload: encodeCloseCapsule(code, reason) }, true).catch(() => {});
    this.#end({
      closeCode: code,
      reason: new TextDecoder().decode(truncateReason(reason)), // what the peer gets
    });
  }

  // ---- internal: driven by the server and client modules -------------------------------

  /**
   * Internal: asks the peer to wind the session down (DRAIN_WEBTRANSPORT_SESSION), e.g. on server shutdown.
   * @ignore
   */
  _drain(): void {
    if (this.#state !== "connected") return;
    void writeFrame(this.#connect!, { type: "data", payload: encodeDrainCapsule() }).catch(() => {});
  }

  /**
   * Internal: the session is established on `link` as CONNECT stream `connect`; reads its capsules from `reader`.
   * @internal
   * @ignore
   */
  _attach(link: WebTransportLink, connect: QuicStream, reader: MessageReader): void {
    if (this.#state !== "connecting") {
      connect.reset(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
      return;
    }
    this.#link = link;
    this.#connect = connect;
    this.#id = Number(connect.id);
    this.#state = "connected";
    this.#datagrams.attach(link.h3.quic, this.#id);
    link.add(this.#id, this);
    this.#ready.resolve();
    void this.#readCapsules(reader);
  }

  /**
   * Internal: the session failed or was refused before or after it was established.
   * @ignore
   */
  _fail(error: unknown): void {
    if (this.#state === "closed") return;
    const wasConnecting = this.#state === "connecting";
    if (wasConnecting) this.#ready.reject(error);
    this.#closed.reject(error);
    this.#teardown(error, "error");
  }

  /**
   * Internal: the session's QUIC connection ended. A peer that closes the connection with an
   * application code and no close capsule first (Deno's WebTransport closes a session that way,
   * one session per connection) closed the session with that code; anything else broke it.
   * @ignore
   */
  _connectionClosed(close: CloseResult): void {
    if (this.#state === "connected" && close.source === "peer" && close.isApplicationError) {
      const code = close.code === BigInt(H3ErrorCode.H3_NO_ERROR) ? 0 : Number(close.code & 0xffffffffn);
      return this.#end({ closeCode: code, reason: close.reason });
    }
    this._fail(
      new WebTransportError(`the connection closed${close.reason ? `: ${close.reason}` : ""}`, { source: "session" }),
    );
  }

  /** The close code and reason of a clean end, once closed (a dedicated client connection closes with them). */
  get _closeInfo(): WebTransportCloseInfo | undefined {
    return this.#closeInfo;
  }

  /**
   * Internal: closes `conn`, the connection this session had to itself, with the session's close
   * code and reason as the application error (Deno's WebTransport reads a session's end from its
   * connection's; the code 0 stays 0, which HTTP/3 reads as no error, as any unknown code).
   * @ignore
   */
  _closeConnectionWithSession(conn: QuicConnection): void {
    const info = this.#closeInfo;
    void conn.close({ code: info?.closeCode ?? 0, reason: info?.reason ?? "" }).catch(() => {});
  }

  /** Internal: a datagram of this session arrived. */
  readonly _deliverDatagram = (payload: Uint8Array): void => this.#datagrams.deliver(payload);

  /**
   * Internal: a peer's stream of this session.
   * @internal
   * @ignore
   */
  _incoming(bidi: boolean, s: IncomingStream): void {
    if (this.#state !== "connected") {
      s.stream.stopSending(BigInt(WtErrorCode.SESSION_GONE));
      if (bidi) s.stream.reset(BigInt(WtErrorCode.SESSION_GONE));
      return;
    }
    this.#streams.add(s.stream);
    const readable = receiveStream(s.stream, s.read, s.rest, this.#streams);
    try {
      if (bidi) this.#bidiIn.enqueue({ readable, writable: sendStream(s.stream, this.#streams) });
      else this.#uniIn.enqueue(readable);
    } catch {
      // the application cancelled the incoming streams: refuse
      s.stream.stopSending(BigInt(WtErrorCode.SESSION_GONE));
    }
  }

  async #readCapsules(reader: MessageReader): Promise<void> {
    const parser = new CapsuleParser();
    const body = reader.body().getReader();
    try {
      for (;;) {
        const { value, done } = await body.read();
        if (done) {
          parser.end();
          return this.#end({ closeCode: 0, reason: "" }, true);
        }
        for (const capsule of parser.push(value)) {
          if (capsule.type === "close") return this.#end({ closeCode: capsule.code, reason: capsule.reason }, true);
          if (capsule.type === "drain") this.#draining.resolve();
        }
      }
    } catch (e) {
      if (this.#state === "closed") return;
      if (e instanceof H3Error) { // a malformed capsule: this session's error, nobody else's
        this.#connect!.stopSending(BigInt(e.code));
        this.#connect!.reset(BigInt(e.code));
        return this._fail(new WebTransportError(`session aborted: ${e.message}`, { source: "session" }));
      }
      this._fail(
        new WebTransportError(`the session's stream failed: ${(e as Error)?.message ?? e}`, { source: "session" }),
      );
    }
  }

  /** A clean end: `closed` resolves with `info`; the peer's end is answered with ours. */
  #end(info: WebTransportCloseInfo, byPeer = false): void {
    if (this.#state === "closed") return;
    if (byPeer) void this.#connect!.write(new Uint8Array(0), { fin: true }).catch(() => {});
    this.#closeInfo = info;
    this.#closed.resolve(info);
    this.#teardown(undefined, byPeer ? "peer" : "local");
  }

  #teardown(error: unknown, by: "local" | "peer" | "error"): void {
    this.#state = "closed";
    if (this.#id >= 0) this.#link?.remove(this.#id);
    for (const s of this.#streams.drain()) {
      const gone = BigInt(WtErrorCode.SESSION_GONE);
      if (s.bidirectional || !s.locallyInitiated) s.stopSending(gone);
      if (s.bidirectional || s.locallyInitiated) s.reset(gone);
    }
    const streamsError = error ?? new WebTransportError("the session closed", { source: "session" });
    for (const c of [this.#bidiIn, this.#uniIn]) {
      try {
        if (error) c.error(streamsError);
        else c.close();
      } catch {
        // already ended
      }
    }
    this.#datagrams.close(error);
    this._ended?.(by);
  }

  /**
   * Internal: called once the session has ended, closed by us (`close()`, its capsule sent),
   * by the peer, or broken: the client closes a dedicated connection, the server a connection
   * left with nothing else.
   * @ignore
   */
  _ended?: (by: "local" | "peer" | "error") => void;
}
