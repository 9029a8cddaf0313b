// Headless Chromium against our serve() over HTTP/3: the page, a 4 MiB download checked by
// SHA-256 in the page, a 1 MiB upload echoed back, 50 concurrent requests on the one
// connection, and the protocol the browser says it used (nextHopProtocol "h3"). Results are
// read from the DOM Chromium dumps, never from its exit status.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "./_harness.ts";
import { serve } from "../http3/mod.ts";
import { chromiumMissing, loadInChromium } from "./_chromium.ts";
import { pattern } from "./_pair.ts";

const BLOB = pattern(4 << 20, 21);
const sha256hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const PAGE = `<!doctype html><meta charset="utf-8"><title>coquic h3</title><pre id="out">running</pre>
<script type="module">
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const out = {};
try {
  const blob = await (await fetch("/blob")).arrayBuffer();
  out.blobLength = blob.byteLength;
  out.blobSha256 = hex(await crypto.subtle.digest("SHA-256", blob));
  const upload = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0xff);
  const echoed = await (await fetch("/echo", { method: "POST", body: upload })).arrayBuffer();
  out.echoSha256 = hex(await crypto.subtle.digest("SHA-256", echoed));
  out.uploadSha256 = hex(await crypto.subtle.digest("SHA-256", upload));
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch("/n/" + i).then((r) => r.text())));
  out.manyOk = many.every((t, i) => t === "n=" + i);
  out.protocols = [...new Set(performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation")).map((e) => e.nextHopProtocol))];
} catch (e) {
  out.error = String(e);
}
document.getElementById("out").textContent = "RESULT " + JSON.stringify(out);
</script>`;

test(
  "chromium: a page, a 4 MiB download, a 1 MiB upload echoed and 50 concurrent requests over our HTTP/3",
  async () => {
    const server = await serve({ hostname: "127.0.0.1", port: 0 }, async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
      if (path === "/blob") return new Response(BLOB as Uint8Array<ArrayBuffer>);
      if (path === "/echo") return new Response(new Uint8Array(await req.arrayBuffer()));
      const m = /^\/n\/(\d+)$/.exec(path);
      if (m) return new Response(`n=${m[1]}`);
      return new Response("not found", { status: 404 });
    });
    try {
      const { dom, log } = await loadInChromium(server.addr.port, "/", server.certificatePem);
      const m = /RESULT (\{.*\})/.exec(dom);
      assert.ok(m, `no result in the DOM; chromium said:\n${log.slice(-2000)}\nDOM:\n${dom.slice(0, 500)}`);
      const r = JSON.parse(m[1].replaceAll("&quot;", '"'));
      assert.equal(r.error, undefined);
      assert.equal(r.blobLength, BLOB.length);
      assert.equal(r.blobSha256, sha256hex(BLOB));
      assert.equal(r.echoSha256, r.uploadSha256);
      assert.equal(r.manyOk, true);
      assert.deepEqual(r.protocols, ["h3"]);
    } finally {
      await server.shutdown({ timeoutMs: 1000 });
    }
  },
  { skip: chromiumMissing || undefined, timeout: 90_000 },
);
