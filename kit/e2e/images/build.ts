/**
 * The images the real-node tier needs, built here from what this machine's package registries
 * offer (nothing can be pulled), each laid out to honour its upstream image's contract:
 *
 * - registry.k8s.io/pause:3.10.1: pause.c from k8s.io/kubernetes v1.34.4 (build/pause/linux),
 *   static, at /pause, user 65535:65535, entrypoint ["/pause"] (build/pause/Dockerfile).
 * - registry.k8s.io/coredns/coredns:v1.12.4: CoreDNS v1.12.4 built from its module by the
 *   toolchain, at /coredns with the CA bundle, user nonroot (65532), workdir /, entrypoint
 *   ["/coredns"], ports 53/tcp+udp (its Dockerfile at v1.12.4; the file capability upstream adds
 *   is left out, kuar serves DNS on 1053).
 * - redis:8.6.6-alpine: Debian's redis-server (7.0.15) laid out like the official image
 *   (redis/docker-library-redis alpine/Dockerfile at v8.6.6): user redis 999 in group 1000, /data
 *   owned by it as workdir (no VOLUME, as upstream), binaries in /usr/local/bin, entrypoint
 *   docker-entrypoint.sh (written here), cmd ["redis-server"], port 6379.
 * - busybox:1.37.0 (local-path-provisioner's helper): Debian's busybox-static.
 *
 * Stand-ins are named by the references kuar's manifests use, so the manifests stay unchanged;
 * the versions inside differ where the registries here only offer others (see docs/targets/local.md).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { images } from "../../../config/versions.js";
import { writeOciArchive } from "./oci.js";

/** Copies an executable (following links) to the same path in `rootfs`, with every shared library ldd lists. */
export function copyWithLibs(rootfs: string, exe: string, dest = exe): void {
  put(rootfs, exe, dest);
  let out: string;
  try {
    out = execFileSync("ldd", [exe], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return; // static
  }
  for (const m of out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) put(rootfs, m[1]!, m[1]!);
}

function put(rootfs: string, src: string, dest: string): void {
  const target = join(rootfs, dest);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(src, target);
  chmodSync(target, 0o755);
}

function files(rootfs: string, entries: Record<string, string>): void {
  for (const [path, body] of Object.entries(entries)) {
    mkdirSync(dirname(join(rootfs, path)), { recursive: true });
    writeFileSync(join(rootfs, path), body);
  }
}

/** The entrypoint behaviour of docker-library/redis (7.2/alpine at e9204996), in our own words. */
export const REDIS_ENTRYPOINT = [
  "#!/bin/sh",
  "set -e",
  "# An option or a .conf file as first argument means: run redis-server with it.",
  'case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac',
  "# Started as root: hand the working directory to redis and run again as redis.",
  'if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then',
  "  find . ! -user redis -exec chown redis {} +",
  '  exec gosu redis "$0" "$@"',
  "fi",
  "# Private files unless a umask other than the default was chosen.",
  'if [ "$(umask)" = 0022 ]; then umask 0077; fi',
  'exec "$@"',
  "",
].join("\n");

function pause(rootfs: string, kubeSrc: string): ImageSpec {
  execFileSync("gcc", [
    "-Os",
    "-Wall",
    "-Werror",
    "-static",
    "-DVERSION=v3.10.1-kuar",
    "-o",
    join(rootfs, "pause"),
    join(kubeSrc, "build/pause/linux/pause.c"),
  ]);
  return { ref: images.pause, config: { User: "65535:65535", Entrypoint: ["/pause"] } };
}

function coredns(rootfs: string, bin: string): ImageSpec {
  put(rootfs, join(bin, "coredns"), "/coredns");
  put(rootfs, "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt");
  chmodSync(join(rootfs, "etc/ssl/certs/ca-certificates.crt"), 0o644);
  files(rootfs, {
    "/etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    "/etc/group": "root:x:0:\nnonroot:x:65532:\n",
  });
  return {
    ref: images.coredns,
    config: {
      User: "65532:65532",
      WorkingDir: "/",
      Entrypoint: ["/coredns"],
      ExposedPorts: { "53/tcp": {}, "53/udp": {} },
    },
  };
}

const SHELL_TOOLS = [
  "/bin/sh",
  "/usr/bin/env",
  "/usr/bin/id",
  "/usr/bin/find",
  "/bin/chown",
  "/bin/cp",
  "/bin/sed",
  "/bin/grep",
  "/usr/bin/head",
  "/bin/hostname",
  "/usr/bin/timeout",
  "/bin/cat",
  "/bin/ls",
  "/bin/mkdir",
  "/bin/rm",
  "/bin/sleep",
];

function redis(rootfs: string): ImageSpec {
  for (const t of SHELL_TOOLS) copyWithLibs(rootfs, t);
  copyWithLibs(rootfs, "/usr/bin/redis-server", "/usr/local/bin/redis-server");
  copyWithLibs(rootfs, "/usr/bin/redis-cli", "/usr/local/bin/redis-cli");
  copyWithLibs(rootfs, "/usr/sbin/gosu", "/usr/local/bin/gosu");
  // One binary; it acts as Sentinel or as a checker by the name it is started as (as upstream installs it).
  for (const link of ["redis-sentinel", "redis-check-aof", "redis-check-rdb"])
    symlinkSync("redis-server", join(rootfs, "usr/local/bin", link));
  files(rootfs, {
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nredis:x:999:1000:redis:/home/redis:/sbin/nologin\n",
    "/etc/group": "root:x:0:\nredis:x:1000:redis\n",
    "/usr/local/bin/docker-entrypoint.sh": REDIS_ENTRYPOINT,
  });
  chmodSync(join(rootfs, "usr/local/bin/docker-entrypoint.sh"), 0o755);
  mkdirSync(join(rootfs, "data"));
  chownSync(join(rootfs, "data"), 999, 1000);
  mkdirSync(join(rootfs, "tmp"), { mode: 0o1777 });
  chmodSync(join(rootfs, "tmp"), 0o1777);
  return {
    ref: images.redis,
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      WorkingDir: "/data",
      Entrypoint: ["docker-entrypoint.sh"],
      Cmd: ["redis-server"],
      ExposedPorts: { "6379/tcp": {} },
    },
  };
}

function busybox(rootfs: string): ImageSpec {
  put(rootfs, "/bin/busybox", "/bin/busybox");
  for (const applet of ["sh", "mkdir", "rm", "ls", "cat", "chmod", "sleep", "echo", "test"])
    symlinkSync("busybox", join(rootfs, "bin", applet));
  mkdirSync(join(rootfs, "tmp"), { mode: 0o1777 });
  return {
    ref: images.localPathHelper,
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
  };
}

export interface ImageSpec {
  ref: string;
  config: Parameters<typeof writeOciArchive>[2];
}

/**
 * The archive of one test image in `outDir`, named by its reference and config: an archive built
 * for another pin (its reference is inside it) or another layout is never reused.
 */
export function archivePath(outDir: string, name: string, spec: ImageSpec): string {
  const key = createHash("sha256")
    .update(JSON.stringify([spec.ref, spec.config]))
    .digest("hex")
    .slice(0, 12);
  return join(outDir, `${name}-${key}.tar`);
}

/** What building needs of this machine; empty when all is there. */
export function missingForImages(bin: string, kubeSrc: string): string[] {
  const need = [
    "/usr/bin/gcc",
    "/usr/bin/redis-server",
    "/usr/bin/redis-cli",
    "/bin/busybox",
    "/usr/sbin/gosu",
    join(bin, "coredns"),
    join(kubeSrc, "build/pause/linux/pause.c"),
  ];
  return need.filter((p) => !existsSync(p));
}

/** Builds every test image into `outDir` (skipping archives already there); returns `kuar:local.images`. */
export function buildTestImages(outDir: string, bin: string, kubeSrc: string): Record<string, string> {
  const builders: [string, (rootfs: string) => ImageSpec][] = [
    ["pause", (r) => pause(r, kubeSrc)],
    ["coredns", (r) => coredns(r, bin)],
    ["redis", redis],
    ["busybox", busybox],
  ];
  const out: Record<string, string> = {};
  for (const [name, build] of builders) {
    const rootfs = mkdtempSync(join(tmpdir(), `kuar-rootfs-${name}-`));
    try {
      const spec = build(rootfs);
      const archive = archivePath(outDir, name, spec);
      if (!existsSync(archive)) writeOciArchive(spec.ref, rootfs, spec.config, archive);
      out[spec.ref] = archive;
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }
  return out;
}
