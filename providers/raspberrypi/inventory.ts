/**
 * The inventory as resources: which host gets which k3s role and configuration, and the inputs of
 * the two resources per host (kuar:RaspberryPiHost prepares it, kuar:RaspberryPiNode runs k3s).
 * Pure; `inputProblems` validates provider inputs again, since state or code can bypass the schema.
 */
import { z } from "zod";
import { dnsLabel, labels } from "../../config/fields.js";
import { endpointHost } from "./kubeconfig.js";
import { address, nodeNameOf, parseHostKey, type RaspberryPiSettings } from "./schema.js";

/** How to reach one host over SSH. */
export interface SshTarget {
  address: string;
  port: number;
  user: string;
  privateKeyPath?: string;
  agent: boolean;
  /** Pinned `ssh-ed25519 AAAA...` line; absent only when allowTofu. */
  hostKey?: string;
  allowTofu: boolean;
}

/** A server another node is drained through when it is removed. */
export interface Peer {
  host: SshTarget;
  nodeName: string;
}

/** Inputs of one kuar:RaspberryPiHost: host preparation, and staging of the air-gap files. */
export interface HostSpec {
  kind: "kuar:RaspberryPiHost";
  host: SshTarget;
  nodeName: string;
  arch: "arm64" | "amd64";
  k3sVersion: string;
  /** Absolute path of the air-gap bundle on the machine running Pulumi. */
  airgapBundleDir?: string;
  /** This resource's URN, so step lines appear on its row (progress.ts); never compared by diff. */
  progressUrn?: string;
}

/** Inputs of one kuar:RaspberryPiNode resource, without the token (added as a secret). */
export interface NodeSpec {
  kind: "kuar:RaspberryPiNode";
  host: SshTarget;
  nodeName: string;
  role: "server" | "agent";
  arch: "arm64" | "amd64";
  labels: Record<string, string>;
  k3sVersion: string;
  airgapBundleDir?: string;
  /** First server of an HA cluster: starts embedded etcd. */
  clusterInit: boolean;
  /** `https://<first server>:6443` for every node but the first server. */
  serverUrl?: string;
  tlsSans: string[];
  /** Packaged k3s components a server does not deploy (k3s `disable`). */
  disable: string[];
  /** The servers, in inventory order: a removed node is drained through the first one still there. */
  peers: Peer[];
  /** This resource's URN, so step lines appear on its row (progress.ts); never compared by diff. */
  progressUrn?: string;
}

export interface NodeInputs extends NodeSpec {
  /** The k3s cluster token. Secret. */
  token: string;
}

/**
 * One node per host, in the order the engine must run them: servers in inventory order (the
 * first initialises the cluster, the others join one at a time), then agents (in parallel).
 */
export function nodeSpecs(s: RaspberryPiSettings, bundleDir?: string): NodeSpec[] {
  const servers = s.hosts.filter((h) => h.role === "server");
  const agents = s.hosts.filter((h) => h.role === "agent");
  const first = servers[0]!;
  const ha = servers.length > 1;
  const peers = servers.map((h) => ({ host: sshTarget(s, h), nodeName: nodeNameOf(h) }));
  return [...servers, ...agents].map((h) => {
    const isFirst = h === first;
    return {
      kind: "kuar:RaspberryPiNode",
      host: sshTarget(s, h),
      nodeName: nodeNameOf(h),
      role: h.role,
      arch: h.arch,
      labels: h.labels,
      k3sVersion: s.k3sVersion,
      ...(bundleDir ? { airgapBundleDir: bundleDir } : {}),
      clusterInit: ha && isFirst,
      ...(isFirst ? {} : { serverUrl: `https://${first.address}:6443` }),
      // Every server's certificate names every server, so any of them can front the API.
      tlsSans:
        h.role === "server"
          ? unique([...servers.map((x) => x.address), ...s.tlsSans, ...endpointHost(s.apiServerEndpoint)])
          : [],
      disable: h.role === "server" ? [...s.disable].sort() : [],
      peers,
    };
  });
}

/** The host-preparation resource of a node. */
export function hostSpecOf(n: NodeSpec): HostSpec {
  return {
    kind: "kuar:RaspberryPiHost",
    host: n.host,
    nodeName: n.nodeName,
    arch: n.arch,
    k3sVersion: n.k3sVersion,
    ...(n.airgapBundleDir ? { airgapBundleDir: n.airgapBundleDir } : {}),
  };
}

function sshTarget(s: RaspberryPiSettings, h: RaspberryPiSettings["hosts"][number]): SshTarget {
  return {
    address: h.address,
    port: h.port,
    user: h.user,
    ...(h.privateKeyPath ? { privateKeyPath: h.privateKeyPath } : {}),
    agent: h.agent,
    ...(h.hostKey ? { hostKey: normalizeHostKey(h.hostKey) } : {}),
    allowTofu: s.allowTofu,
  };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** `ssh-ed25519 AAAA...`, dropping an ssh-keyscan host prefix or a comment. */
export function normalizeHostKey(line: string): string {
  const k = parseHostKey(line);
  return k ? `${k.type} ${k.base64}` : line.trim();
}

const target = z.object({
  address,
  port: z.int().min(1).max(65535),
  user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, { message: "expected a Unix user name" }),
  privateKeyPath: z.string().min(1).optional(),
  agent: z.boolean(),
  hostKey: z
    .string()
    .refine((k) => parseHostKey(k) !== undefined, { message: "expected an ssh-ed25519 key" })
    .optional(),
  allowTofu: z.boolean(),
});
const name = dnsLabel;
const hostInputs = z.object({
  host: target,
  nodeName: name,
  arch: z.enum(["arm64", "amd64"]),
  k3sVersion: z
    .string()
    .regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, { message: 'expected a k3s release such as "v1.34.1+k3s1"' }),
  airgapBundleDir: z.string().min(1).optional(),
  progressUrn: z.string().startsWith("urn:pulumi:").optional(),
});
const nodeInputs = hostInputs.extend({
  role: z.enum(["server", "agent"]),
  labels,
  clusterInit: z.boolean(),
  serverUrl: z
    .string()
    .regex(/^https:\/\/[A-Za-z0-9.-]+:\d{1,5}$/, { message: "expected https://<address>:<port>" })
    .optional(),
  tlsSans: z.array(z.string().regex(/^[A-Za-z0-9.:-]+$/, { message: "expected a host name or address" })),
  disable: z.array(z.enum(["traefik", "servicelb", "metrics-server", "local-storage", "coredns"])).default([]),
  peers: z.array(z.object({ host: target, nodeName: name })).default([]),
  token: z.string().min(1),
});

/**
 * Provider inputs checked again (the dynamic provider's `check`): values that reach a shell on a
 * host must be what the schema allows, whatever put them in the inputs (code, edited state).
 */
export function inputProblems(kind: "host" | "node", inputs: unknown): { property: string; reason: string }[] {
  const r = (kind === "host" ? hostInputs : nodeInputs).safeParse(inputs);
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    property: String(i.path[0] ?? ""),
    reason:
      `${i.path.join(".")}: ${i.message}, got ${JSON.stringify(valueAt(inputs, i.path))}. kuar refuses it before it reaches a shell on the host. ` +
      `Set a valid value in the stack config (e.g. pulumi config set --path 'kuar:raspberrypi.hosts[<index>].nodeName' pi-1) and run pulumi up again.`,
  }));
}

function valueAt(v: unknown, path: PropertyKey[]): unknown {
  let cur = v;
  for (const k of path) cur = cur && typeof cur === "object" ? (cur as Record<PropertyKey, unknown>)[k] : undefined;
  return cur;
}
