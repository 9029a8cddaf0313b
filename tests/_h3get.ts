// HTTP/3 GETs on a QuicConnection the test holds (fetch() hides its connections): what the
// interop cases need to act on the connection mid-download (key update, migration).
import { H3Connection, type H3Options, MessageReader } from "../http3/connection.ts";
import type { QuicConnection } from "../mod.ts";

/** Starts HTTP/3 on a client `quic` connection; `get(path)` downloads one resource. */
export async function h3Client(quic: QuicConnection, authority: string) {
  const h3 = new H3Connection(quic, false, {} as H3Options);
  await h3.start();
  (async () => {
    for await (const s of quic) if (!s.bidirectional) void h3.acceptUniStream(s).catch(() => {});
  })();
  return {
    /** GETs `path`; `onChunk` sees the byte count so far after each chunk. */
    async get(path: string, onChunk?: (received: number) => void): Promise<{ status: number; body: Uint8Array }> {
      const stream = await quic.createStream();
      const reader = new MessageReader(h3, stream);
      await h3.writeHeaders(stream, [[":method", "GET"], [":scheme", "https"], [":authority", authority], [
        ":path",
        path,
      ]], true);
      const block = await reader.headers();
      const status = Number(block?.find((f) => f.name === ":status")?.value);
      const chunks: Uint8Array[] = [];
      let received = 0;
      for await (const chunk of reader.body()) {
        chunks.push(chunk);
        received += chunk.length;
        onChunk?.(received);
      }
      const body = new Uint8Array(received);
      let at = 0;
      for (const c of chunks) (body.set(c, at), at += c.length);
      return { status, body };
    },
  };
}
