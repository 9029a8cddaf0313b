/**
 * WebTransport echo and chat server, with the browser page it serves on the same port:
 * `/` is the page, `/echo` echoes every stream and datagram back, `/chat` relays each
 * datagram and each unidirectional stream's text to every session in the room.
 *
 *   deno run -A examples/webtransport_echo.ts [--port 4433]
 *   bun examples/webtransport_echo.ts
 *
 * Chromium needs QUIC forced for the origin and pins the certificate by hash (it accepts
 * ECDSA certificates valid at most 14 days, so the example makes one valid 10 days):
 *
 *   chromium --origin-to-force-quic-on=localhost:4433 https://localhost:4433/
 *     --ignore-certificate-errors-spki-list=<printed SPKI hash>
 *
 * Our own client (Deno, Bun, Node) pins it the same way, with the printed certificate hash:
 *
 *   new WebTransport("https://localhost:4433/echo", {
 *     serverCertificateHashes: [{ algorithm: "sha-256", value: <the hash's bytes> }],
 *   })
 */
import { parseArgs } from "node:util";
import { createHash, X509Certificate } from "node:crypto";
import { serve } from "../http3/mod.ts";
import {
  generateDevCertificate,
  isWebTransportRequest,
  upgradeWebTransport,
  type WebTransportSession,
} from "../mod.ts";

const { values } = parseArgs({
  // deno-lint-ignore no-explicit-any
  args: (globalThis as any).Deno?.args ?? process.argv.slice(2),
  options: { host: { type: "string", default: "127.0.0.1" }, port: { type: "string", default: "4433" } },
});

const cert = await generateDevCertificate({ days: 10 });
const der = new X509Certificate(cert.certPem);
const certHash = createHash("sha256").update(der.raw).digest("base64");
const spki = createHash("sha256").update(der.publicKey.export({ type: "spki", format: "der" })).digest("base64");

const page = `<!doctype html><meta charset="utf-8"><title>coquic WebTransport</title>
<h1>WebTransport over coquic</h1><pre id="log"></pre>
<input id="msg" placeholder="say something in the chat"><button id="send">send</button>
<script type="module">
const log = (s) => (document.getElementById("log").textContent += s + "\\n");
const hash = Uint8Array.from(atob("${certHash}"), (c) => c.charCodeAt(0));
const options = { serverCertificateHashes: [{ algorithm: "sha-256", value: hash }] };
const echo = new WebTransport(location.origin + "/echo", options);
await echo.ready;
const bs = await echo.createBidirectionalStream();
const w = bs.writable.getWriter();
await w.write(new TextEncoder().encode("hello over a stream"));
await w.close();
log("stream echo: " + (await new Response(bs.readable).text()));
const chat = new WebTransport(location.origin + "/chat", options);
await chat.ready;
log("joined the chat");
(async () => {
  for await (const d of chat.datagrams.readable) log("chat: " + new TextDecoder().decode(d));
})();
const writer = chat.datagrams.writable.getWriter();
document.getElementById("send").onclick = () => writer.write(new TextEncoder().encode(document.getElementById("msg").value));
</script>`;

const room = new Set<WritableStreamDefaultWriter<Uint8Array>>();

function echoSession(wt: WebTransportSession): void {
  void (async () => {
    for await (const bs of wt.incomingBidirectionalStreams) void bs.readable.pipeTo(bs.writable).catch(() => {});
  })().catch(() => {});
  void (async () => {
    for await (const r of wt.incomingUnidirectionalStreams) {
      void wt.createUnidirectionalStream().then((w) => r.pipeTo(w)).catch(() => {});
    }
  })().catch(() => {});
  void wt.datagrams.readable.pipeTo(wt.datagrams.writable).catch(() => {});
}

function chatSession(wt: WebTransportSession): void {
  const writer = wt.datagrams.writable.getWriter();
  room.add(writer);
  void wt.closed.catch(() => {}).finally(() => room.delete(writer));
  void (async () => {
    for await (const d of wt.datagrams.readable) for (const peer of room) void peer.write(d).catch(() => {});
  })().catch(() => {});
}

const server = await serve({
  hostname: values.host,
  port: Number(values.port),
  cert: cert.certPem,
  key: cert.keyPem,
  webTransport: { maxSessions: 8 },
}, (req) => {
  const path = new URL(req.url).pathname;
  if (!isWebTransportRequest(req)) {
    return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
  }
  if (path !== "/echo" && path !== "/chat") return new Response(null, { status: 404 }); // refuses the session
  const wt = upgradeWebTransport(req);
  void wt.ready.then(() => (path === "/echo" ? echoSession(wt) : chatSession(wt)));
  return new Response(null, { status: 200 });
});
console.log(
  `listening on https://localhost:${server.addr.port}/ (certificate sha-256 ${certHash}, SPKI hash ${spki}, base64)`,
);
