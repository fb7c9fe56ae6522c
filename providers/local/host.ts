/**
 * What real nodes need of this machine (`kuar:local.realNodes` > 0), checked while the config is
 * validated, before any resource: Linux, root, the Debian packages and the toolchain's node
 * binaries. Plain functions over an injectable view of the machine, tested directly.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { configPath } from "../../config/path.js";
import { toolchainBin } from "./kwok.js";

/** The bits of the machine the checks look at. */
export interface HostView {
  platform: NodeJS.Platform;
  /** Effective uid, or undefined where the platform has none. */
  uid: number | undefined;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** Where the toolchain links its binaries. */
  bin: string;
  /** Directory relative image paths are taken from (the project directory). */
  cwd: string;
}

export function thisHost(): HostView {
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    exists: existsSync,
    isDirectory: (p) => existsSync(p) && statSync(p).isDirectory(),
    bin: toolchainBin(),
    cwd: process.cwd(),
  };
}

/** Debian's containernetworking-plugins install here. */
export const CNI_BIN_DIR = "/usr/lib/cni";
/** Programs real nodes run from Debian packages, with the package that ships each. */
export const DEBIAN_PROGRAMS: { path: string; pkg: string }[] = [
  { path: "/usr/bin/containerd", pkg: "containerd" },
  { path: "/usr/bin/containerd-shim-runc-v2", pkg: "containerd" },
  { path: "/usr/bin/ctr", pkg: "containerd" },
  { path: `${CNI_BIN_DIR}/bridge`, pkg: "containernetworking-plugins" },
  { path: `${CNI_BIN_DIR}/host-local`, pkg: "containernetworking-plugins" },
  { path: `${CNI_BIN_DIR}/loopback`, pkg: "containernetworking-plugins" },
  { path: "/usr/sbin/iptables", pkg: "iptables" },
];
/** Programs `npm run toolchain -- --with-real-nodes` builds. */
export const TOOLCHAIN_PROGRAMS = ["kubelet", "kube-proxy", "runc", "local-path-provisioner"];

export interface HostProblem {
  path: (string | number)[];
  input: unknown;
  message: string;
  fix: string;
}

/** Everything missing for `realNodes` real nodes; empty when there are none or all is in place. */
export function realNodeProblems(realNodes: number, host: HostView): HostProblem[] {
  if (realNodes === 0) return [];
  const off = "Or run the quick start without real nodes: pulumi config set --path 'kuar:local.realNodes' 0";
  if (host.platform !== "linux") {
    return [
      {
        path: ["realNodes"],
        input: realNodes,
        message: `real nodes run a kubelet, containerd and runc, which need Linux; this machine runs ${host.platform}`,
        fix: off + ".",
      },
    ];
  }
  const problems: HostProblem[] = [];
  if (host.uid !== 0) {
    problems.push({
      path: ["realNodes"],
      input: realNodes,
      message: `real nodes need root (they create a network bridge, iptables rules and container cgroups); this runs as uid ${host.uid ?? "unknown"}`,
      fix: `Run kuar as root (sudo -E npm run up). ${off}.`,
    });
  }
  const missingPkgs = [...new Set(DEBIAN_PROGRAMS.filter((p) => !host.exists(p.path)).map((p) => p.pkg))];
  if (missingPkgs.length > 0) {
    const paths = DEBIAN_PROGRAMS.filter((p) => !host.exists(p.path)).map((p) => p.path);
    problems.push({
      path: ["realNodes"],
      input: realNodes,
      message: `real nodes need ${paths.join(", ")}, which are missing`,
      fix: `Install them: apt-get install ${missingPkgs.join(" ")}. ${off}.`,
    });
  }
  const missingBins = TOOLCHAIN_PROGRAMS.filter((b) => !host.exists(join(host.bin, b)));
  if (missingBins.length > 0) {
    problems.push({
      path: ["realNodes"],
      input: realNodes,
      message: `the toolchain has not built ${missingBins.join(", ")} (looked in ${host.bin})`,
      fix: `Run: npm run toolchain -- --with-real-nodes. ${off}.`,
    });
  }
  return problems;
}

/** An image reference as manifests write it: `[registry/]path[:tag][@sha256:...]`. */
export const IMAGE_REF =
  /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Absolute path of an image archive or layout given in config. */
export function imagePath(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** Problems with `kuar:local.images`: bad references, missing archives, directories that are no OCI layout. */
export function imageProblems(images: Record<string, string>, realNodes: number, host: HostView): HostProblem[] {
  const problems: HostProblem[] = [];
  const entries = Object.entries(images);
  if (entries.length > 0 && realNodes === 0) {
    problems.push({
      path: ["realNodes"],
      input: realNodes,
      message: `is 0, but kuar:local.images lists ${entries.length} image(s) to import into real nodes`,
      fix: "Add real nodes: pulumi config set --path 'kuar:local.realNodes' 1, or remove kuar:local.images.",
    });
  }
  for (const [ref, path] of entries) {
    const at = ["images", ref];
    if (!IMAGE_REF.test(ref)) {
      problems.push({
        path: at,
        input: ref,
        message: 'is not an image reference such as "redis:8.6.6-alpine" or "registry.k8s.io/pause:3.10"',
        fix: `Use the image name exactly as the manifests write it: pulumi config set --path 'kuar:local.images["${ref}"]' <archive>, after removing this key.`,
      });
      continue;
    }
    const full = imagePath(path, host.cwd);
    const setIt = `pulumi config set --path '${configPath(["local", ...at])}' <path of an OCI archive (.tar) or layout directory>`;
    if (!host.exists(full)) {
      problems.push({
        path: at,
        input: path,
        message: `no file or directory at ${full}`,
        fix: `Build or copy the image there, or ${setIt}.`,
      });
    } else if (host.isDirectory(full) && !host.exists(join(full, "index.json"))) {
      problems.push({
        path: at,
        input: path,
        message: `${full} is a directory without index.json, so not an OCI image layout`,
        fix: `Point it at an OCI layout (oci-layout, index.json, blobs/) or an archive of one: ${setIt}.`,
      });
    }
  }
  return problems;
}
