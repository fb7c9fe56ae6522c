/**
 * The real nodes' pod network on this machine: one bridge, forwarding only on it, a routing table
 * that reaches the bridge and nothing else (unreachable for every other destination), and a DNAT
 * so pods reach the API server, which listens on 127.0.0.1 only. Teardown removes all of it and
 * the iptables chains kubelet and kube-proxy wrote.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { BRIDGE, KUBERNETES_SERVICE_IP, POD_CIDR, ROUTE_TABLE, RULE_PRIORITY } from "./real-node-config.js";
import { sh, succeeds } from "./daemon.js";

const NAT_CHAIN = "KUAR-PODS";
const FILTER_CHAIN = "KUAR-FORWARD";

/** The iptables rules kuar owns: [table, chain, rule...] in the order they are added. */
export function kuarRules(apiServerPort: number): { table: string; chain: string; rule: string[] }[] {
  return [
    {
      table: "nat",
      chain: NAT_CHAIN,
      rule: [
        "-d",
        `${KUBERNETES_SERVICE_IP}/32`,
        "-p",
        "tcp",
        "--dport",
        "443",
        "-j",
        "DNAT",
        "--to-destination",
        `127.0.0.1:${apiServerPort}`,
      ],
    },
    { table: "filter", chain: FILTER_CHAIN, rule: ["-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT"] },
    { table: "filter", chain: FILTER_CHAIN, rule: ["-j", "DROP"] },
  ];
}

/** Jumps from the built-in chains into kuar's, each inserted first. */
export const JUMPS: { table: string; chain: string; rule: string[] }[] = [
  { table: "nat", chain: "PREROUTING", rule: ["-i", BRIDGE, "-j", NAT_CHAIN] },
  { table: "filter", chain: "FORWARD", rule: ["-i", BRIDGE, "-j", FILTER_CHAIN] },
  { table: "filter", chain: "FORWARD", rule: ["-o", BRIDGE, "-j", FILTER_CHAIN] },
];

/** Creates or repairs the bridge, its addresses, routes and rules (idempotent). */
export async function ensurePodNetwork(gateways: string[], apiServerPort: number): Promise<void> {
  if (!(await succeeds("ip", ["link", "show", BRIDGE]))) await sh("ip", ["link", "add", BRIDGE, "type", "bridge"]);
  for (const gw of gateways) await sh("ip", ["addr", "replace", `${gw}/24`, "dev", BRIDGE]);
  await sh("ip", ["link", "set", BRIDGE, "up"]);
  // Forwarding on the bridge only (the per-device switch), and 127.0.0.1 as a DNAT target for it.
  await writeFile(`/proc/sys/net/ipv4/conf/${BRIDGE}/forwarding`, "1");
  await writeFile(`/proc/sys/net/ipv4/conf/${BRIDGE}/route_localnet`, "1");

  await sh("ip", ["route", "replace", POD_CIDR, "dev", BRIDGE, "table", String(ROUTE_TABLE)]);
  await sh("ip", ["route", "replace", "unreachable", "default", "table", String(ROUTE_TABLE)]);
  const rule = ["from", POD_CIDR, "lookup", String(ROUTE_TABLE), "priority", String(RULE_PRIORITY)];
  if (!(await sh("ip", ["rule", "show", "priority", String(RULE_PRIORITY)])).trim())
    await sh("ip", ["rule", "add", ...rule]);

  for (const [table, chain] of [
    ["nat", NAT_CHAIN],
    ["filter", FILTER_CHAIN],
  ] as const) {
    if (!(await succeeds("iptables", ["-t", table, "-n", "-L", chain])))
      await sh("iptables", ["-t", table, "-N", chain]);
    await sh("iptables", ["-t", table, "-F", chain]);
  }
  for (const r of kuarRules(apiServerPort)) await sh("iptables", ["-t", r.table, "-A", r.chain, ...r.rule]);
  for (const j of JUMPS) {
    if (!(await succeeds("iptables", ["-t", j.table, "-C", j.chain, ...j.rule]))) {
      await sh("iptables", ["-t", j.table, "-I", j.chain, "1", ...j.rule]);
    }
  }
}

/**
 * From `iptables-save` output: the commands that remove every chain matching `owned` (jumps into
 * them from other chains first, then flush, then delete), per table.
 */
export function chainRemovals(save: string, owned: (chain: string) => boolean): string[][] {
  const out: string[][] = [];
  let table = "";
  const chains: string[] = [];
  const flushAndDelete = () => {
    for (const c of chains) out.push(["-t", table, "-F", c]);
    for (const c of chains) out.push(["-t", table, "-X", c]);
    chains.length = 0;
  };
  for (const line of save.split("\n")) {
    if (line.startsWith("*")) {
      table = line.slice(1).trim();
    } else if (line.startsWith(":")) {
      const name = line.slice(1).split(" ")[0]!;
      if (owned(name)) chains.push(name);
    } else if (line.startsWith("-A ")) {
      const parts = line.split(" ");
      const chain = parts[1]!;
      const target = parts[parts.indexOf("-j") + 1] ?? parts[parts.indexOf("-g") + 1];
      if (!owned(chain) && target !== undefined && owned(target))
        out.push(["-t", table, "-D", chain, ...splitRule(line.slice(3 + chain.length + 1))]);
    } else if (line.startsWith("COMMIT")) {
      flushAndDelete();
    }
  }
  return out;
}

/** iptables-save quotes comments; turn a saved rule back into argv. */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(rule); m; m = re.exec(rule))
    args.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  return args;
}

/** Chains of kuar, kubelet and kube-proxy (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-SERVICES, ...). */
export const ownedChain = (c: string) => c.startsWith("KUBE-") || c.startsWith("KUAR-");

export async function removeChains(): Promise<void> {
  for (const tool of ["iptables", "ip6tables"]) {
    if (!(await succeeds(tool, ["--version"]))) continue;
    const save = await sh(`${tool}-save`, []);
    for (const args of chainRemovals(save, ownedChain)) await sh(tool, args).catch(() => undefined);
  }
}

/** Removes the veths on the bridge, the bridge, the rule and the table's routes. */
export async function removePodNetwork(): Promise<void> {
  await removeChains();
  if (await succeeds("ip", ["link", "show", BRIDGE])) {
    const veths = (await sh("ip", ["-o", "link", "show", "master", BRIDGE]))
      .split("\n")
      .map((l) => l.split(": ")[1]?.split("@")[0])
      .filter((n): n is string => !!n);
    for (const v of veths) await sh("ip", ["link", "del", v]).catch(() => undefined);
    await sh("ip", ["link", "del", BRIDGE]);
  }
  while ((await sh("ip", ["rule", "show", "priority", String(RULE_PRIORITY)])).trim()) {
    await sh("ip", ["rule", "del", "priority", String(RULE_PRIORITY)]);
  }
  await sh("ip", ["route", "flush", "table", String(ROUTE_TABLE)]).catch(() => undefined);
}

/** Network namespaces by path; removes the ones still there. */
export async function removeNetns(paths: string[]): Promise<void> {
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const name = p.split("/").pop()!;
    if (p.startsWith("/var/run/netns/") || p.startsWith("/run/netns/"))
      await sh("ip", ["netns", "delete", name]).catch(() => undefined);
  }
}

/** What is left of the pod network and the owned chains: empty when the machine is clean. */
export async function podNetworkLeftovers(): Promise<string[]> {
  const left: string[] = [];
  if (await succeeds("ip", ["link", "show", BRIDGE])) left.push(`bridge ${BRIDGE}`);
  if ((await sh("ip", ["rule", "show", "priority", String(RULE_PRIORITY)])).trim())
    left.push(`ip rule ${RULE_PRIORITY}`);
  if ((await sh("ip", ["route", "show", "table", String(ROUTE_TABLE)]).catch(() => "")).trim())
    left.push(`routes in table ${ROUTE_TABLE}`);
  for (const tool of ["iptables-save", "ip6tables-save"]) {
    const save = await sh(tool, []).catch(() => "");
    for (const line of save.split("\n"))
      if (line.startsWith(":") && ownedChain(line.slice(1).split(" ")[0]!))
        left.push(`${tool}: chain ${line.slice(1).split(" ")[0]}`);
  }
  return left;
}
