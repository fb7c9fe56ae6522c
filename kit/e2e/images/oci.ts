/**
 * Writes an OCI image archive (an OCI image layout, tarred) from a root filesystem directory:
 * one gzip'd layer, an image config carrying the entrypoint/user/workdir contract, a manifest
 * and an index naming the image, as `ctr images import` reads it.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

export interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Env?: string[];
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
}

/** `redis:8` -> `docker.io/library/redis:8`; references with a registry stay as they are. */
export function fullName(ref: string): string {
  const first = ref.split("/")[0]!;
  if (ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) return ref;
  return `docker.io/${ref.includes("/") ? "" : "library/"}${ref}`;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Builds `out` (a .tar) holding the image `ref` made of `rootfs`. Files keep their numeric owners. */
export function writeOciArchive(ref: string, rootfs: string, config: ImageConfig, out: string): void {
  // Reproducible layer: sorted names, fixed times, numeric owners as staged.
  const layer = execFileSync(
    "tar",
    [
      "--sort=name",
      "--mtime=@0",
      "--numeric-owner",
      "--format=posix",
      "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
      "-C",
      rootfs,
      "-cf",
      "-",
      ".",
    ],
    { maxBuffer: 1 << 30 },
  );
  const gz = gzipSync(layer, { level: 6 });
  const layout = mkdtempSync(join(tmpdir(), "kuar-oci-"));
  try {
    const blobs = join(layout, "blobs", "sha256");
    mkdirSync(blobs, { recursive: true });
    const put = (b: Buffer) => {
      const d = sha(b);
      writeFileSync(join(blobs, d), b);
      return { digest: `sha256:${d}`, size: b.length };
    };
    const layerDesc = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...put(gz) };
    const cfg = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: config,
        rootfs: { type: "layers", diff_ids: [`sha256:${sha(layer)}`] },
        history: [{ created_by: "kuar test image builder (test/e2e/images)" }],
      }),
    );
    const configDesc = { mediaType: "application/vnd.oci.image.config.v1+json", ...put(cfg) };
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: configDesc,
        layers: [layerDesc],
      }),
    );
    const manifestDesc = { mediaType: "application/vnd.oci.image.manifest.v1+json", ...put(manifest) };
    const tag = ref.includes(":") ? ref.slice(ref.lastIndexOf(":") + 1) : "latest";
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
      join(layout, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          {
            ...manifestDesc,
            platform: { architecture: "amd64", os: "linux" },
            annotations: { "io.containerd.image.name": fullName(ref), "org.opencontainers.image.ref.name": tag },
          },
        ],
      }),
    );
    mkdirSync(dirname(out), { recursive: true });
    execFileSync("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "-C", layout, "-cf", out, "."]);
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}
