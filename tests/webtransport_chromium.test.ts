// Headless Chromium's own WebTransport against our serve(): the page (served by the same
// server over HTTP/3) opens a session with the certificate pinned by serverCertificateHashes,
// echoes a bidirectional stream and a unidirectional stream, sends 100 datagrams and counts
// the echoes, sees the server's close code on a second session and closes the first with its
// own; results come back through the DOM.
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { test } from "./_harness.ts";
import { chromiumMissing, loadInChromium } from "./_chromium.ts";
import { readAll, writeAll, wtServer } from "./_wt.ts";
import type { WebTransportCloseInfo } from "../http3/webtransport/mod.ts";
import { generateDevCertificate } from "../mod.ts";

const page = (hashBase64: string) =>
  `<!doctype html><meta charset="utf-8"><title>coquic webtransport</title><pre id="out">running</pre>
<script type="module">
// A pending fetch holds Chromium's virtual clock (WebTransport traffic does not): /hold is
// answered once the results are posted to /result.
const hold = fetch("/hold");
const out = {};
const step = (name) => ((out.step = name), (document.getElementById("out").textContent = "PARTIAL " + JSON.stringify(out)));
const enc = new TextEncoder(), dec = new TextDecoder();
const hash = Uint8Array.from(atob("${hashBase64}"), (c) => c.charCodeAt(0));
const open = (path) => new WebTransport(location.origin + path, { serverCertificateHashes: [{ algorithm: "sha-256", value: hash }] });
try {
  const wt = open("/echo");
  await wt.ready;
  step("ready");
  out.ready = true;
  const bs = await wt.createBidirectionalStream();
  const w = bs.writable.getWriter();
  await w.write(enc.encode("hello from chromium"));
  await w.close();
  out.bidi = await new Response(bs.readable).text();
  step("bidi");
  const uni = await wt.createUnidirectionalStream();
  const uw = uni.getWriter();
  await uw.write(enc.encode("uni from chromium"));
  await uw.close();
  const { value: back } = await wt.incomingUnidirectionalStreams.getReader().read();
  out.uni = await new Response(back).text();
  step("uni");
  const dr = wt.datagrams.readable.getReader();
  const dw = wt.datagrams.writable.getWriter();
  const seen = new Set();
  const receiving = (async () => {
    for (;;) {
      const { value, done } = await dr.read();
      if (done) return;
      seen.add(dec.decode(value));
      if (seen.size === 100) return;
    }
  })();
  for (let i = 0; i < 100; i++) await dw.write(enc.encode("datagram " + i));
  // No page timers (the held virtual clock stops them): the server answers this stream a
  // moment after the datagrams, with how many it received.
  const sync = await wt.createBidirectionalStream();
  const sw = sync.writable.getWriter();
  await sw.write(enc.encode("datagrams sent"));
  await sw.close();
  const serverCount = new Response(sync.readable).text();
  await Promise.race([receiving, serverCount]);
  out.serverReceived = Number(await serverCount);
  out.datagrams = seen.size;
  step("datagrams");
  out.datagramsIntact = [...seen].every((s) => /^datagram \\d+$/.test(s));
  const second = open("/server-closes");
  await second.ready;
  step("second");
  out.serverClose = await second.closed;
  wt.close({ closeCode: 3003, reason: "chromium is done" });
  out.clientClose = await wt.closed;
  out.protocols = [...new Set(performance.getEntriesByType("navigation").map((e) => e.nextHopProtocol))];
} catch (e) {
  out.error = String(e);
}
await fetch("/result", { method: "POST", body: JSON.stringify(out) });
await hold;
document.getElementById("out").textContent = "RESULT " + JSON.stringify(out);
</script>`;

test(
  "chromium webtransport: bidi and uni echo, 100 datagrams, close codes both ways, against our serve()",
  async () => {
    // Chromium pins only ECDSA certificates valid at most 14 days (the dev certificate's default is 14 days + 1 h).
    const cert = await generateDevCertificate({ days: 10 });
    const hash = createHash("sha256").update(new X509Certificate(cert.certPem).raw).digest("base64");
    let serverSawClose: WebTransportCloseInfo | undefined;
    let resolvePosted!: (s: string) => void;
    const posted = new Promise<string>((r) => (resolvePosted = r));
    const server = await wtServer((wt, req) => {
      const path = new URL(req.url).pathname;
      if (path === "/server-closes") return wt.close({ closeCode: 4004, reason: "server is done" });
      let received = 0;
      void (async () => {
        const writer = wt.datagrams.writable.getWriter();
        for await (const d of wt.datagrams.readable) {
          received++;
          await writer.write(d).catch(() => {});
        }
      })().catch(() => {});
      void (async () => {
        for await (const bs of wt.incomingBidirectionalStreams) {
          const text = new TextDecoder().decode(await readAll(bs.readable));
          if (text === "datagrams sent") {
            await new Promise((r) => setTimeout(r, 500)); // late echoes still arrive
            await writeAll(bs.writable, new TextEncoder().encode(String(received)));
          } else await writeAll(bs.writable, new TextEncoder().encode(text));
        }
      })().catch(() => {});
      void wt.closed.then((c) => (serverSawClose = c), () => {});
      void (async () => {
        for await (const r of wt.incomingUnidirectionalStreams) {
          const text = new TextDecoder().decode(await readAll(r));
          await writeAll(await wt.createUnidirectionalStream(), new TextEncoder().encode(`echo: ${text}`));
        }
      })().catch(() => {});
    }, {
      cert,
      http: async (req) => {
        const path = new URL(req.url).pathname;
        if (path === "/hold") {
          await Promise.race([posted, new Promise((r) => setTimeout(r, 30_000))]);
          return new Response("released");
        }
        if (path === "/result") {
          resolvePosted(await req.text());
          return new Response("thanks");
        }
        return new Response(page(hash), { headers: { "content-type": "text/html; charset=utf-8" } });
      },
    });
    try {
      const { dom, log } = await loadInChromium(server.addr.port, "/", server.certPem, 15_000);
      const m = /RESULT (\{.*\})/.exec(dom);
      assert.ok(m, `no result in the DOM; chromium said:\n${log.slice(-2000)}\nDOM:\n${dom.slice(0, 500)}`);
      const r = JSON.parse(m[1].replaceAll("&quot;", '"').replaceAll("&amp;", "&"));
      console.log(`chromium webtransport: server got ${r.serverReceived} of 100 datagrams, ${r.datagrams} echoed back`);
      assert.equal(r.error, undefined);
      assert.equal(r.ready, true);
      assert.equal(r.bidi, "hello from chromium");
      assert.equal(r.uni, "echo: uni from chromium");
      assert.ok(r.serverReceived >= 50, `the server got only ${r.serverReceived} of 100 datagrams`);
      assert.ok(r.datagrams >= 50, `only ${r.datagrams} of 100 datagrams came back`);
      assert.equal(r.datagramsIntact, true);
      assert.deepEqual(r.serverClose, { closeCode: 4004, reason: "server is done" });
      assert.deepEqual(r.clientClose, { closeCode: 3003, reason: "chromium is done" });
      assert.deepEqual(r.protocols, ["h3"]);
      for (let i = 0; i < 50 && !serverSawClose; i++) await new Promise((res) => setTimeout(res, 20));
      assert.deepEqual(serverSawClose, { closeCode: 3003, reason: "chromium is done" });
    } finally {
      await server.shutdown({ timeoutMs: 1000 });
    }
  },
  { skip: chromiumMissing || undefined, timeout: 90_000 },
);
