/**
 * The kuar:RaspberryPiNode dynamic provider (loaded by common/dynamic.ts at run time): k3s on one
 * prepared Pi. `diff` compares inputs only, so an unchanged stack never opens a connection;
 * `create`/`update` send one script that installs, restarts or leaves k3s as it is (k3s.ts), or
 * nothing at all when the host step's probe of a moment ago, on the same open session, shows the
 * node converged; `delete` drains the node through a remaining server and runs the k3s uninstall
 * script.
 */
import type * as pulumi from "@pulumi/pulumi";
import { loadBundle } from "./bundle.js";
import { diffInputs } from "./diff.js";
import { inputProblems, type NodeInputs, type Peer } from "./inventory.js";
import { k3sScript, nodeFromFacts } from "./k3s.js";
import { k3sVersionOf, probe } from "./probe.js";
import type { Phase } from "./progress.js";
import { parseReport, payload, scriptCommand, shellQuote } from "./script.js";
import {
  brief,
  defaultSessionOptions,
  openSession,
  OutcomeUnknownError,
  release,
  Session,
  UnreachableError,
  type SessionOptions,
} from "./ssh.js";

export interface NodeOutputs extends NodeInputs {
  /** k3s.yaml as the server wrote it (servers only; empty on agents). Secret. */
  kubeconfig: string;
  installedVersion: string;
  /** `uname -m` of the host. */
  machine: string;
}

const MAX_ROUNDS = 4;

/** Runs the node script until it reports nothing missing; never re-sends it blindly after a drop. */
async function converge(s: Session, n: NodeInputs, rotateFrom?: string): Promise<Record<string, string>> {
  const bundle = await loadBundle(n.airgapBundleDir, n.arch);
  const ready = { readyTimeoutMs: s.tuning.readyTimeoutMs, readyPollMs: s.tuning.readyPollMs };
  let shipBundle = false;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const { script, files } = k3sScript(n, {
      ...(bundle ? { bundle } : {}),
      ...(rotateFrom ? { rotateFrom } : {}),
      shipBundle,
      ...ready,
    });
    let report: Record<string, string>;
    try {
      const out = await s.run("k3s", scriptCommand(script), {
        stdin: payload(script, files),
        changing: true,
        onStep: (p) => s.step(p as Phase, stepDetail(n, p)),
      });
      report = parseReport(out.stdout);
    } catch (e) {
      if (!(e instanceof OutcomeUnknownError)) throw e;
      s.log("k3s", `${brief(e)}; checking the host before sending anything again`);
      const check = k3sScript(n, { ...(bundle ? { bundle } : {}), check: true, ...ready }).script;
      const r = parseReport((await s.run("check", scriptCommand(check), { stdin: check })).stdout);
      const left = `${r["need"] ?? ""} ${r["changes"] ?? ""}`.trim();
      if (!left) {
        s.log("check", "the interrupted run had finished; nothing to send again");
        return { ...r, changes: "(finished before the connection dropped)" };
      }
      s.log("check", `still to do: ${left}; sending the node script again`);
      continue;
    }
    if (report["need"]?.trim()) {
      s.log("k3s", `the host lacks the staged ${report["need"].trim()}; sending it from the air-gap bundle`);
      shipBundle = true;
      continue;
    }
    return report;
  }
  throw new Error(
    `${s.label}: k3s did not settle after ${MAX_ROUNDS} rounds (dropped connections). Check the Pi's network, then run pulumi up again.`,
  );
}

/**
 * Brings k3s on one host to the wanted state in one command when nothing goes wrong.
 * `previousToken` is the token in state: when it differs, the first server rotates the cluster's
 * token (the others only restart with the new one, after it in the server chain).
 */
export async function applyNode(
  n: NodeInputs,
  opts: SessionOptions = defaultSessionOptions(),
  previousToken?: string,
): Promise<NodeOutputs> {
  const { session: s, facts } = await openSession("node", n.host, n.nodeName, opts, n.progressUrn);
  let ok = false;
  try {
    const rotate = n.role === "server" && !n.serverUrl && previousToken && previousToken !== n.token;
    if (facts && !rotate) {
      const st = nodeFromFacts(facts, n, await loadBundle(n.airgapBundleDir, n.arch));
      if (st.converged) {
        s.log("done", "already converged (the host step's probe shows it); nothing sent");
        s.step("ready", `k3s ${n.k3sVersion} ${n.role}, unchanged`);
        ok = true;
        return { ...n, kubeconfig: st.kubeconfig, installedVersion: st.version!, machine: st.machine };
      }
    }
    s.log("k3s", `k3s ${n.k3sVersion} ${n.role}: checking and converging in one script`);
    if (rotate) s.log("token", "the cluster token changed: rotating it on the first server (k3s token rotate)");
    const r = await converge(s, n, rotate ? previousToken : undefined);
    const changes = (r["changes"] ?? "").trim();
    const version = k3sVersionOf(r["k3sVersion"]);
    if (changes && !changes.startsWith("(")) {
      s.counters.mutations += changes.split(/\s+/).length;
      if (/\binstall\b/.test(changes))
        s.log("install", `k3s ${k3sVersionOf(r["before"]) ?? "absent"} -> ${n.k3sVersion} (${n.role}): ${changes}`);
      else s.log("k3s", `changed: ${changes}`);
    } else if (!changes) s.log("done", "already converged; nothing changed");
    if (version !== n.k3sVersion) {
      throw new Error(
        `${s.label}: k3s reports ${version ?? "no version"} after installing, but k3sVersion is ${n.k3sVersion}.` +
          (n.airgapBundleDir
            ? ` The binary in ${n.airgapBundleDir} is another release; put the ${n.k3sVersion} binary there.`
            : ""),
      );
    }
    if (n.role === "server" && !r["kubeconfig"])
      throw new Error(
        `${s.label}: k3s is installed but /etc/rancher/k3s/k3s.yaml is missing. Check sudo journalctl -u k3s.`,
      );
    s.step("ready", `k3s ${version} ${n.role}${changes ? `: ${changes}` : ", unchanged"}`);
    ok = true;
    return {
      ...n,
      kubeconfig: n.role === "server" ? (r["kubeconfig"] ?? "") : "",
      installedVersion: version,
      machine: r["machine"]?.trim() ?? "",
    };
  } finally {
    if (ok) release(s, "node");
    else s.close();
  }
}

/** What a step marker of the node script means for this node. */
function stepDetail(n: NodeInputs, phase: string): string {
  if (phase === "join") return `${n.role} joining ${n.serverUrl ?? ""}`.trim();
  if (phase === "install") return `k3s ${n.k3sVersion} ${n.role}`;
  if (phase === "ready") return `waiting for node ${n.nodeName} to be Ready`;
  return "";
}

/**
 * Refresh: what is really on the host, read-only (one probe, or the host step's if it is fresh).
 * A host whose k3s is gone reads as gone, so the next `up` installs it again; a host running
 * another k3s release reports that release, so the next `up` sees the difference and brings it back.
 * The probe is handed on, so a refresh costs one command per host.
 */
export async function readNode(
  id: string,
  props: NodeOutputs,
  opts: SessionOptions = defaultSessionOptions(),
): Promise<{ id: string; props: Partial<NodeOutputs> }> {
  const taken = await openSession("node", props.host, props.nodeName, opts, props.progressUrn);
  const s = taken.session;
  let probed: Awaited<ReturnType<typeof probe>> | undefined;
  try {
    const bundle = await loadBundle(props.airgapBundleDir, props.arch);
    const f = taken.facts ?? (probed = await probe(s, props, bundle));
    const st = nodeFromFacts(f, props, bundle);
    if (!st.installed || !st.version) {
      s.log("read", `k3s ${props.role} is not installed; the next up installs it`);
      return { id: "", props: {} };
    }
    if (st.version !== props.k3sVersion) s.log("read", `runs k3s ${st.version}, not ${props.k3sVersion}`);
    return {
      id,
      props: {
        ...props,
        k3sVersion: st.version,
        installedVersion: st.version,
        machine: st.machine || props.machine,
        kubeconfig: st.kubeconfig,
      },
    };
  } finally {
    release(s, "node", probed);
  }
}

/** Drains the node and deletes its Node object through the first other server that answers. */
async function drain(n: NodeInputs, opts: SessionOptions): Promise<void> {
  // State written before peers existed names one server as drainVia.
  const legacy = (n as { drainVia?: Peer }).drainVia;
  const peers = (n.peers ?? (legacy ? [legacy] : [])).filter((p) => p.nodeName !== n.nodeName);
  const name = shellQuote(n.nodeName);
  for (const p of peers) {
    const s = new Session(p.host, p.nodeName, opts);
    try {
      await s.connect(2);
      s.log("drain", `draining ${n.nodeName}`);
      const d = await s.run(
        "drain",
        `sudo -n k3s kubectl drain ${name} --ignore-daemonsets --delete-emptydir-data --force --timeout=120s`,
        { allowFailure: true },
      );
      if (d.code !== 0 && !/not ?found/i.test(d.stderr))
        s.log("drain", `drain did not finish (${brief(d.stderr.trim().split("\n").pop())}); removing the node anyway`);
      // Deleting a server's Node object also removes its embedded etcd member (k3s's etcd controller).
      await s.run("drain", `sudo -n k3s kubectl delete node ${name} --ignore-not-found`, { allowFailure: true });
      return;
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      s.log("drain", `${p.nodeName} does not answer; trying the next server`);
    } finally {
      s.close();
    }
  }
  if (peers.length)
    opts.logger(
      `kuar raspberrypi ${n.nodeName} ${n.host.address} drain: no server answered; its Node object stays until you run kubectl delete node ${n.nodeName}`,
    );
}

/** Drains the node through another server, then uninstalls k3s from the host. */
export async function removeNode(n: NodeInputs, opts: SessionOptions = defaultSessionOptions()): Promise<void> {
  await drain(n, opts);
  const s = new Session(n.host, n.nodeName, opts);
  try {
    await s.connect();
  } catch (e) {
    if (e instanceof UnreachableError) {
      throw new UnreachableError(
        `${e.message} If this Pi is gone for good, drop it from the stack state instead: pulumi state delete <urn of its kuar:RaspberryPiNode ${n.nodeName}>.`,
      );
    }
    throw e;
  }
  try {
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const present = await s.run(
        "uninstall",
        "ls /usr/local/bin/k3s-agent-uninstall.sh /usr/local/bin/k3s-uninstall.sh 2>/dev/null",
        { allowFailure: true },
      );
      const scripts = present.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      if (scripts.length === 0) {
        if (round === 1) s.log("uninstall", "k3s is not installed; nothing to do");
        return;
      }
      try {
        for (const script of scripts) {
          s.log("uninstall", script);
          await s.run("uninstall", `sudo -n ${shellQuote(script)}`, { changing: true });
          s.counters.mutations++;
        }
      } catch (e) {
        if (!(e instanceof OutcomeUnknownError)) throw e;
        s.log("uninstall", `${brief(e)}; looking again before running anything`);
      }
    }
  } finally {
    s.close();
  }
}

export function nodeProvider(opts: SessionOptions = defaultSessionOptions()): pulumi.dynamic.ResourceProvider {
  return {
    async check(_olds: NodeInputs, news: NodeInputs) {
      return { inputs: news, failures: inputProblems("node", news) };
    },
    async diff(_id: string, olds: NodeOutputs, news: NodeInputs) {
      const d = diffInputs(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>);
      return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: d.deleteBeforeReplace };
    },
    async create(inputs: NodeInputs) {
      refuse(inputs);
      return { id: inputs.nodeName, outs: await applyNode(inputs, opts) };
    },
    async update(_id: string, olds: NodeOutputs, news: NodeInputs) {
      refuse(news);
      return { outs: await applyNode(news, opts, olds.token) };
    },
    async read(id: string, props: NodeOutputs) {
      return readNode(id, props, opts);
    },
    async delete(_id: string, props: NodeOutputs) {
      await removeNode(props, opts);
    },
  };
}

function refuse(n: NodeInputs): void {
  const p = inputProblems("node", n);
  if (p.length) throw new Error(p.map((x) => x.reason).join("\n"));
}

export const provider = nodeProvider();
