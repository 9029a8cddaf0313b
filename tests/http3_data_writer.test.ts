// DATA frames of a message body: one frame per chunk, large payloads handed on by reference.
import assert from "node:assert/strict";
import { DATA_HEAD_BYTES, DATA_PIECE_BYTES, writeData } from "../http3/data_writer.ts";
import { FrameReader } from "../http3/frame_reader.ts";
import { writeBody } from "../http3/connection.ts";
import type { H3Connection } from "../http3/connection.ts";
import type { QuicStream } from "../quic/mod.ts";
import { test } from "./_h3_test.ts";
import { pattern } from "./_pair.ts";

/** A stream that records what is written to it (and with FIN). */
function recorder() {
  const writes: { bytes: Uint8Array; fin: boolean }[] = [];
  const stream = {
    write: (bytes: Uint8Array, options: { fin?: boolean } = {}) => {
      writes.push({ bytes, fin: options.fin === true });
      return Promise.resolve();
    },
  } as unknown as QuicStream;
  return { stream, writes };
}

/** The DATA payloads the written bytes parse into. */
function dataFrames(writes: { bytes: Uint8Array }[]): Uint8Array[] {
  const reader = new FrameReader({ maxFrameSize: 1 << 16 });
  const frames: Uint8Array[][] = [];
  for (const w of writes) {
    for (const ev of reader.push(w.bytes)) {
      if (ev.kind === "header") frames.push([]);
      else if (ev.kind === "data") frames[frames.length - 1].push(ev.chunk.slice());
      else assert.fail(`unexpected ${ev.kind} event`);
    }
  }
  assert.ok(reader.atFrameBoundary, "the writes end inside a frame");
  return frames.map((parts) => Buffer.concat(parts));
}

test("http3 DATA: a large chunk is one frame, its bytes after the first ones written by reference", async () => {
  const size = 3 * DATA_PIECE_BYTES + 12345;
  const payload = pattern(size);
  const { stream, writes } = recorder();
  await writeData(stream, payload);
  const frames = dataFrames(writes);
  assert.equal(frames.length, 1);
  assert.ok(Buffer.from(frames[0]).equals(Buffer.from(payload)));
  // the header leaves with the first bytes; no later write copies the payload
  assert.equal(writes[0].bytes.length - DATA_HEAD_BYTES <= 9, true);
  assert.equal(writes.length, 1 + Math.ceil((size - DATA_HEAD_BYTES) / DATA_PIECE_BYTES));
  for (const w of writes.slice(1)) {
    assert.equal(w.bytes.buffer, payload.buffer, "a piece was copied");
    assert.ok(w.bytes.length <= DATA_PIECE_BYTES);
  }
});

test("http3 DATA: a small chunk is one write, an empty one none", async () => {
  const { stream, writes } = recorder();
  await writeData(stream, new Uint8Array([1, 2, 3]));
  await writeData(stream, new Uint8Array(0));
  assert.equal(writes.length, 1);
  assert.deepEqual([...writes[0].bytes], [0x00, 0x03, 1, 2, 3]);
});

test("http3 DATA: writeBody sends each body chunk as a frame, then FIN; a chunk that is not bytes fails", async () => {
  const { stream, writes } = recorder();
  const h3 = {} as H3Connection; // only trailers would need it
  const parts = [pattern(10), pattern(DATA_HEAD_BYTES + 5, 1), pattern(1, 2)];
  await writeBody(h3, stream, new Blob(parts as Uint8Array<ArrayBuffer>[]).stream());
  const frames = dataFrames(writes.filter((w) => w.bytes.length > 0));
  assert.ok(Buffer.concat(frames).equals(Buffer.concat(parts)));
  assert.deepEqual(writes.at(-1), { bytes: new Uint8Array(0), fin: true });
  const strings = new ReadableStream({ start: (c) => (c.enqueue("text"), c.close()) });
  await assert.rejects(
    writeBody(h3, recorder().stream, strings as unknown as ReadableStream<Uint8Array>),
    TypeError,
  );
});
