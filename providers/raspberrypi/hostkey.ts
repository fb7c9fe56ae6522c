/**
 * Host keys for the Raspberry Pi inventory: reading one with `ssh-keyscan` and showing its
 * SHA256 fingerprint the way OpenSSH does, so the user can compare it with the Pi's own
 * (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the Pi's console) before pinning it.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import type { Keyscan } from "../setup.js";
import { parseHostKey } from "./schema.js";

/** `SHA256:<base64 of sha256(blob), unpadded>`, as `ssh-keygen -l` and ssh's prompts print it. */
export function fingerprint(blob: string | Buffer): string {
  const bytes = typeof blob === "string" ? Buffer.from(blob, "base64") : blob;
  return `SHA256:${createHash("sha256").update(bytes).digest("base64").replace(/=+$/, "")}`;
}

/** The fingerprint of an `ssh-ed25519 AAAA...` line, or the line itself when it does not parse. */
export function fingerprintOf(line: string): string {
  const k = parseHostKey(line);
  return k ? `ssh-ed25519 ${fingerprint(k.base64)}` : line;
}

/** The first ed25519 key in ssh-keyscan's output, as the `ssh-ed25519 AAAA...` line to pin. */
export function keyFromKeyscan(output: string): string | undefined {
  for (const line of output.split("\n")) {
    if (line.startsWith("#") || !line.trim()) continue;
    const k = parseHostKey(line);
    if (k) return `ssh-ed25519 ${k.base64}`;
  }
  return undefined;
}

/** Runs `ssh-keyscan -t ed25519 -p <port> <address>` with a short timeout. */
export const keyscan: Keyscan = (address, port) =>
  new Promise((resolve) => {
    execFile(
      "ssh-keyscan",
      ["-T", "5", "-t", "ed25519", "-p", String(port), address],
      { timeout: 10_000, encoding: "utf8" },
      (err, stdout, stderr) => {
        const key = keyFromKeyscan(stdout ?? "");
        if (key) return resolve({ key });
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === "ENOENT")
          return resolve({ error: "ssh-keyscan is not installed (Debian/Ubuntu: apt install openssh-client)" });
        resolve({
          error: `no ed25519 host key from ${address}:${port}${stderr?.trim() ? ` (${stderr.trim().split("\n").pop()})` : ""}`,
        });
      },
    );
  });
