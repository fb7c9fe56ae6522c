/**
 * The Raspberry Pi inventory (`kuar:raspberrypi`): which hosts, how to reach them over SSH, which
 * key each must present, and what each becomes in the k3s cluster. See docs/targets/raspberrypi.md.
 */
import { z } from "zod";
import { dnsLabel, labels } from "../../config/fields.js";
import { k3sVersion } from "../../config/versions.js";
import { fix } from "../../config/toolkit.js";

/** An IPv4 address or a DNS name such as `pi1.lan`. */
export const address = z
  .string()
  .regex(
    /^(?:(?:\d{1,3}\.){3}\d{1,3}|[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*)$/,
    {
      message: 'expected an IPv4 address or a host name such as "192.168.1.21" or "pi1.lan"',
      ...fix("Use the address your DHCP server reserves for this Pi."),
    },
  );

export const host = z.strictObject({
  /** IPv4 address or DNS name the Pi is reachable at (reserve it in DHCP). */
  address,
  /** SSH port. @default 22 */
  port: z.int().min(1).max(65535).default(22),
  /** Login user; must run `sudo -n` without a password. @default "pi" */
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/, { message: "expected a Unix user name" })
    .default("pi"),
  /** Private key file, read on this machine at run time (never stored in state). Exclusive with `agent`. */
  privateKeyPath: z.string().min(1).optional(),
  /** Authenticate through the SSH agent at $SSH_AUTH_SOCK instead of a key file. @default false */
  agent: z.boolean().default(false),
  /** The Pi's pinned host key: the `ssh-ed25519 AAAA...` line from `ssh-keyscan -t ed25519 <address>`. Required unless allowTofu. */
  hostKey: z.string().optional(),
  /** Role in the cluster. Servers run the control plane (1, or an odd number from 3 for HA). @default "agent" */
  role: z.enum(["server", "agent"]).default("agent"),
  /** Kubernetes node name and hostname. @default derived from the address, e.g. "pi-192-168-1-21" or "pi1" */
  nodeName: dnsLabel.optional(),
  /** Extra node labels (set at registration through k3s `node-label`). @default none */
  labels: labels.default({}),
  /** CPU architecture of the OS (64-bit Raspberry Pi OS is arm64). @default "arm64" */
  arch: z.enum(["arm64", "amd64"]).default("arm64"),
});
export type HostSettings = z.output<typeof host>;

export const settings = z
  .strictObject({
    /** Cluster name: kubeconfig context and cluster identifier. @default "kuar-<stack>" */
    clusterName: dnsLabel.optional(),
    /** The Pis, in join order: the first server initialises the cluster. */
    hosts: z.array(host).min(1, {
      message: "must list at least one host",
      ...fix("Add your Pis under kuar:raspberrypi.hosts (see stacks/Pulumi.homelab.yaml)."),
    }),
    /** k3s release installed on every node. @default the pin in config/versions.json */
    k3sVersion: z
      .string()
      .regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, {
        message: 'expected a k3s release such as "v1.34.1+k3s1"',
        ...fix("Pick a release from https://github.com/k3s-io/k3s/releases."),
      })
      .default(k3sVersion),
    /** Directory on this machine with `install.sh`, the `k3s-arm64` (or `k3s`) binary and optionally the images tarball, for Pis without internet. @default none: the Pis download k3s */
    airgapBundleDir: z.string().min(1).optional(),
    /** Extra names or addresses for the API server certificate (each server's address is always included). @default [] */
    tlsSans: z.array(z.string().min(1)).default([]),
    /**
     * The URL clients (the kubeconfig, Pulumi) use to reach the API server, e.g. a kube-vip or
     * load balancer address or a DNS name in front of HA servers. Its host is added to the
     * certificate's names. @default "https://<first server address>:6443"
     */
    apiServerEndpoint: z
      .string()
      .refine((u) => /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(u), {
        message: 'expected an https URL such as "https://k8s.home.arpa:6443"',
        ...fix("Give the scheme, the host and optionally the port; no path."),
      })
      .optional(),
    /**
     * Packaged k3s components the servers do not deploy (k3s `disable`). kuar's bootstrap brings
     * MetalLB (k3s's servicelb would answer for the same LoadBalancer Services) and Envoy Gateway
     * (instead of Traefik); keep one of them by removing it here, e.g. when you turn that add-on off.
     * @default ["servicelb", "traefik"]
     */
    disable: z
      .array(z.enum(["servicelb", "traefik", "metrics-server", "local-storage", "coredns"]))
      .default(["servicelb", "traefik"]),
    /** Accept and log whatever host key a host without `hostKey` presents (trust on first use). @default false */
    allowTofu: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    const problem = (path: (string | number)[], input: unknown, message: string, text: string) =>
      ctx.addIssue({ code: "custom", path, input, message, ...fix(text) });

    const seenAddress = new Map<string, number>();
    const seenName = new Map<string, number>();
    for (const [i, h] of s.hosts.entries()) {
      if (h.hostKey === undefined ? !s.allowTofu : parseHostKey(h.hostKey) === undefined) {
        problem(
          ["hosts", i, "hostKey"],
          h.hostKey ?? "",
          'expected an "ssh-ed25519 AAAA..." line',
          `Run ssh-keyscan -t ed25519 ${h.address} on a trusted network and paste the ed25519 line.`,
        );
      }
      if (!h.privateKeyPath === !h.agent) {
        problem(
          ["hosts", i, h.privateKeyPath ? "agent" : "privateKeyPath"],
          h.privateKeyPath ?? h.agent,
          "expected exactly one way to authenticate: privateKeyPath or agent: true",
          "Set privateKeyPath to your key file (e.g. ~/.ssh/id_ed25519), or agent: true to use ssh-agent.",
        );
      }
      const where = `${h.address}:${h.port}`;
      const a = seenAddress.get(where);
      if (a !== undefined) {
        problem(["hosts", i, "address"], h.address, `is already used by hosts[${a}]`, "Each Pi appears once.");
      } else seenAddress.set(where, i);
      const name = nodeNameOf(h);
      const n = seenName.get(name);
      if (n !== undefined) {
        problem(
          ["hosts", i, "nodeName"],
          h.nodeName ?? name,
          `is the same node name as hosts[${n}] ("${name}"); k3s rejects duplicate node names`,
          "Give each host its own nodeName.",
        );
      } else seenName.set(name, i);
    }

    // Reported at `hosts` (the wizard's "which are servers?" question owns that path).
    const servers = s.hosts.filter((h) => h.role === "server").length;
    if (servers === 0) {
      problem(
        ["hosts"],
        s.hosts,
        "has no host with role server, and a cluster needs one",
        'Set role: "server" on the first host (or on three for high availability).',
      );
    } else if (servers > 1 && (servers < 3 || servers % 2 === 0)) {
      problem(
        ["hosts"],
        s.hosts,
        `has ${servers} servers; embedded etcd needs a majority, so use 1 server, or an odd number from 3 for high availability`,
        servers === 2
          ? "Make one server an agent, or add a third server."
          : "Make one server an agent, or add one more server.",
      );
    }
  });
export type RaspberryPiSettings = z.output<typeof settings>;

/** Accepts `ssh-ed25519 AAAA... [comment]` or a raw ssh-keyscan line `<host> ssh-ed25519 AAAA...`. */
export function parseHostKey(line: string): { type: "ssh-ed25519"; base64: string } | undefined {
  const parts = line.trim().split(/\s+/);
  const at = parts.indexOf("ssh-ed25519");
  const b64 = at >= 0 ? parts[at + 1] : undefined;
  if (at > 1 || !b64 || !/^AAAA[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, "base64");
  if (blob.length < 4) return undefined;
  // The blob starts with the length-prefixed algorithm name, then a 32-byte key.
  const len = blob.readUInt32BE(0);
  if (blob.subarray(4, 4 + len).toString() !== "ssh-ed25519" || blob.length !== 4 + len + 4 + 32) return undefined;
  return { type: "ssh-ed25519", base64: b64 };
}

/** The node name a host gets when none is given: stable under reordering the inventory. */
export function nodeNameOf(h: Pick<HostSettings, "address" | "nodeName">): string {
  if (h.nodeName) return h.nodeName;
  if (/^(\d{1,3}\.){3}\d{1,3}$/.test(h.address)) return `pi-${h.address.replace(/\./g, "-")}`;
  return h.address.split(".")[0]!.toLowerCase();
}
