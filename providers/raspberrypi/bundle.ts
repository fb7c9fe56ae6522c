/**
 * The air-gap bundle on the machine running Pulumi: install.sh, the k3s binary for an
 * architecture (`k3s-arm64`, or `k3s`), and optionally the images tarball, with their hashes.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { PayloadFile } from "./script.js";

/** A bundle file as a payload (its `tmp` is set by whoever ships it). */
export type BundleFile = Omit<PayloadFile, "tmp">;

export interface Bundle {
  installScript: BundleFile;
  binary: BundleFile;
  images?: BundleFile & { name: string };
}

const BINARIES: Record<string, string[]> = { arm64: ["k3s-arm64", "k3s"], amd64: ["k3s"] };

function bundleFiles(dir: string, arch: string) {
  const binary = BINARIES[arch]!.map((b) => join(dir, b)).find(existsSync);
  const images = ["tar.zst", "tar.gz", "tar"]
    .map((ext) => `k3s-airgap-images-${arch}.${ext}`)
    .find((f) => existsSync(join(dir, f)));
  const installScript = existsSync(join(dir, "install.sh")) ? join(dir, "install.sh") : undefined;
  return { binary, installScript, images };
}

/** What is wrong with a bundle directory for an architecture, or undefined. */
export function bundleProblem(dir: string, arch: string): string | undefined {
  if (!existsSync(dir)) return `the air-gap bundle directory ${dir} does not exist on this machine.`;
  const f = bundleFiles(dir, arch);
  if (f.binary && f.installScript) return undefined;
  return (
    `the air-gap bundle ${dir} lacks ${[!f.installScript && "install.sh", !f.binary && BINARIES[arch]!.join(" or ")].filter(Boolean).join(" and ")} for ${arch}. ` +
    `Download them from https://github.com/k3s-io/k3s/releases (and https://get.k3s.io as install.sh) into that directory.`
  );
}

const hashes = new Map<string, string>();
async function describe(path: string): Promise<BundleFile> {
  const st = statSync(path);
  const key = `${path}:${st.size}:${st.mtimeMs}`;
  let hex = hashes.get(key);
  if (!hex) {
    const h = createHash("sha256");
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    hex = h.digest("hex");
    hashes.set(key, hex);
  }
  return { size: st.size, sha256: hex, source: { localFile: path } };
}

export async function loadBundle(dir: string | undefined, arch: string): Promise<Bundle | undefined> {
  if (!dir) return undefined;
  const problem = bundleProblem(dir, arch);
  if (problem) throw new Error(problem);
  const f = bundleFiles(dir, arch);
  return {
    installScript: await describe(f.installScript!),
    binary: await describe(f.binary!),
    ...(f.images ? { images: { ...(await describe(join(dir, f.images))), name: f.images } } : {}),
  };
}
