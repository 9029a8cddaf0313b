/**
 * Headless Chromium (Debian's `chromium`) as an independent HTTP/3 client: it loads a page
 * from one of our servers over QUIC (forced for the test origin, the certificate pinned by its
 * SPKI hash) and the page writes its results into the DOM, which `--dump-dom` prints. See
 * ../shared/reference/chromium.md for why each flag is there. Chromium's exit status says
 * nothing: verdicts come from the DOM.
 *
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function find(): string | undefined {
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

const binary = find();

/** Why the Chromium cases are skipped, or "" when it is installed. */
export const chromiumMissing: string = binary
  ? ""
  : "chromium missing (Debian package chromium; scripts/setup installs it)";

/** base64 SHA-256 of the certificate's SubjectPublicKeyInfo, for `--ignore-certificate-errors-spki-list`. */
export function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

/**
 * Loads `https://localhost:PORT<path>` in headless Chromium over QUIC and returns the DOM after
 * the page's scripts ran (at most `budgetMs` of virtual time) and what Chromium logged.
 */
export async function loadInChromium(
  port: number,
  path: string,
  certPem: string,
  budgetMs = 10_000,
  extraArgs: string[] = [],
): Promise<{ dom: string; log: string }> {
  if (!binary) throw new Error(chromiumMissing);
  const profile = mkdtempSync(join(tmpdir(), "coquic-chromium-"));
  try {
    let dom = "", log = "";
    await new Promise<void>((resolve, reject) => {
      const child = spawn(binary, [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        `--origin-to-force-quic-on=localhost:${port}`,
        `--ignore-certificate-errors-spki-list=${spkiHash(certPem)}`,
        "--host-resolver-rules=MAP localhost 127.0.0.1, MAP * ~NOTFOUND",
        `--virtual-time-budget=${budgetMs}`,
        ...extraArgs,
        "--dump-dom",
        `https://localhost:${port}${path}`,
      ], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.on("data", (c: Uint8Array) => (dom += new TextDecoder().decode(c)));
      child.stderr!.on("data", (c: Uint8Array) => (log += new TextDecoder().decode(c)));
      const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`chromium timed out:\n${log}`))), 60_000);
      child.on("exit", () => (clearTimeout(timer), resolve()));
      child.on("error", (e) => (clearTimeout(timer), reject(e)));
    });
    return { dom, log };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
