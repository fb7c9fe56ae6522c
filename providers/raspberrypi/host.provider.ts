/**
 * The kuar:RaspberryPiHost dynamic provider (loaded by common/dynamic.ts at run time): prepares one
 * Pi for k3s (hostname, /etc/hosts, cgroup flags and the reboot they need, ip_forward) and stages the
 * air-gap files. It depends on no other resource, so every host is prepared in parallel before the
 * first server installs. A fresh host costs three commands (probe, one prep script, the probe after
 * the reboot); a prepared one, one probe.
 */
import type * as pulumi from "@pulumi/pulumi";
import { loadBundle, type Bundle } from "./bundle.js";
import { diffInputs } from "./diff.js";
import { inputProblems, type HostSpec } from "./inventory.js";
import { parseProbe, probeScript, type HostFacts } from "./probe.js";
import { payload, scriptCommand } from "./script.js";
import {
  brief,
  defaultSessionOptions,
  HostKeyMismatchError,
  OutcomeUnknownError,
  Session,
  sleep,
  UnreachableError,
  type SessionOptions,
} from "./ssh.js";
import { planPrep } from "./steps.js";

export interface HostOutputs extends HostSpec {
  /** `uname -m` of the host. */
  machine: string;
}

const ARCH_OF_MACHINE: Record<string, "arm64" | "amd64"> = { aarch64: "arm64", arm64: "arm64", x86_64: "amd64" };
/** Prep rounds: a dropped connection or a reboot costs one each. */
const MAX_ROUNDS = 5;

/** One read-only round trip; checks the architecture. */
export async function probe(s: Session, h: HostSpec, bundle?: Bundle): Promise<HostFacts> {
  const script = probeScript({ hashBinary: !!bundle, ...(bundle?.images ? { imagesFile: bundle.images.name } : {}) });
  const f = parseProbe((await s.run("probe", scriptCommand(script), { stdin: script })).stdout);
  const arch = ARCH_OF_MACHINE[f.machine];
  if (!arch) {
    throw new Error(
      `${s.label}: runs a ${f.machine || "unknown"} kernel; k3s on kuar needs a 64-bit OS. Flash Raspberry Pi OS Lite (64-bit) and try again.`,
    );
  }
  if (arch !== h.arch) {
    throw new Error(
      `${s.label}: is ${arch} (uname -m ${f.machine}) but its arch setting is "${h.arch}". Set it with pulumi config set --path 'kuar:raspberrypi.hosts[<index>].arch' ${arch}.`,
    );
  }
  return f;
}

/**
 * Waits for boot_id to change, reconnecting with short timeouts; returns the new boot's probe.
 * With `unlessNotPending` (the outcome of the script is unknown), a probe of the same boot that
 * shows no scheduled reboot returns at once: the script never got that far.
 */
async function waitReboot(
  s: Session,
  before: string,
  h: HostSpec,
  bundle?: Bundle,
  unlessNotPending = false,
): Promise<HostFacts> {
  s.close();
  const t = s.tuning;
  const deadline = Date.now() + t.rebootTimeoutMs;
  await sleep(t.rebootDelayMs);
  for (;;) {
    try {
      await s.connect(1);
      const f = await probe(s, h, bundle);
      if (f.bootId && f.bootId !== before) {
        s.log("reboot", "back up");
        return f;
      }
      if (unlessNotPending && !f.rebootPending) return f;
      s.close();
    } catch (e) {
      if (e instanceof HostKeyMismatchError) throw e;
    }
    if (Date.now() > deadline) {
      throw new UnreachableError(
        `${s.label} did not come back within ${Math.round(t.rebootTimeoutMs / 1000)} s of a reboot. Check its power and SD card (a monitor shows boot errors), then run pulumi up again.`,
      );
    }
    await sleep(t.rebootPollMs);
  }
}

/**
 * Brings one host to the prepared state. Every round starts from a probe: after a dropped
 * connection nothing is sent again until a new probe shows what the lost command did.
 */
export async function applyHost(h: HostSpec, opts: SessionOptions = defaultSessionOptions()): Promise<HostOutputs> {
  const s = new Session(h.host, h.nodeName, opts);
  try {
    await s.connect();
    const bundle = await loadBundle(h.airgapBundleDir, h.arch);
    let facts = await probe(s, h, bundle);
    if (!facts.cmdlinePath)
      s.log(
        "cmdline",
        "no cmdline.txt in /boot/firmware or /boot; not a Raspberry Pi OS boot partition, leaving the kernel command line alone",
      );
    let rebooted = false;
    let changed = false;
    const bootAtStart = facts.bootId;
    for (let round = 1; ; round++) {
      const plan = planPrep(facts, h, bundle);
      if (!plan.script && !plan.reboot) break;
      if (rebooted && plan.reboot && !plan.script) {
        throw new Error(
          `${s.label}: the memory cgroup is still not active after a reboot with ${facts.cmdlinePath} = "${facts.cmdline?.trim()}". Check that the file is the one the Pi boots from.`,
        );
      }
      if (round > MAX_ROUNDS)
        throw new Error(
          `${s.label}: host preparation did not settle after ${MAX_ROUNDS} rounds (still to do: ${plan.actions.map((a) => a.step).join(", ")}). Run pulumi up again; if it repeats, check the Pi's SD card.`,
        );
      for (const a of plan.actions) s.log(a.step, a.why);
      if (plan.script) {
        try {
          await s.run("prep", scriptCommand(plan.script), { stdin: payload(plan.script, plan.files), changing: true });
          s.counters.mutations += plan.actions.length;
          changed = true;
        } catch (e) {
          if (!(e instanceof OutcomeUnknownError)) throw e;
          s.log("prep", `${brief(e)}; probing the host again before changing anything`);
          // The lost script may have scheduled a reboot: wait for it rather than fail on a Pi that is booting.
          facts = plan.reboot ? await waitReboot(s, facts.bootId, h, bundle, true) : await probe(s, h, bundle);
          if (facts.bootId !== bootAtStart) rebooted = true;
          continue;
        }
      }
      if (!plan.reboot) break;
      if (plan.script === "" || facts.rebootPending) s.log("reboot", `waiting for the pending reboot (${plan.why})`);
      facts = await waitReboot(s, facts.bootId, h, bundle);
      rebooted = true;
    }
    if (!changed && !rebooted) s.log("done", "already prepared; nothing changed");
    return { ...h, machine: facts.machine };
  } finally {
    s.close();
  }
}

/** Refresh: the host is still there and prepared (a probe), else it reads as gone. */
export async function readHost(id: string, props: HostOutputs, opts = defaultSessionOptions()) {
  const s = new Session(props.host, props.nodeName, opts);
  try {
    await s.connect();
    const bundle = await loadBundle(props.airgapBundleDir, props.arch);
    const f = await probe(s, props, bundle);
    const plan = planPrep(f, props, bundle);
    if (plan.actions.length || plan.reboot) {
      s.log(
        "read",
        `preparation drifted (${plan.actions.map((a) => a.step).join(", ") || "reboot pending"}); the next up redoes it`,
      );
      return { id: "", props: {} };
    }
    return { id, props: { ...props, machine: f.machine } };
  } finally {
    s.close();
  }
}

export function hostProvider(opts: SessionOptions = defaultSessionOptions()): pulumi.dynamic.ResourceProvider {
  return {
    async check(_olds: HostSpec, news: HostSpec) {
      return { inputs: news, failures: inputProblems("host", news) };
    },
    async diff(_id: string, olds: HostOutputs, news: HostSpec) {
      const d = diffInputs(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, []);
      return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: false };
    },
    async create(inputs: HostSpec) {
      refuse(inputs);
      return { id: inputs.nodeName, outs: await applyHost(inputs, opts) };
    },
    async update(_id: string, _olds: HostOutputs, news: HostSpec) {
      refuse(news);
      return { outs: await applyHost(news, opts) };
    },
    async read(id: string, props: HostOutputs) {
      return readHost(id, props, opts);
    },
    // Preparation stays (the hostname, the cgroup flags); the node step removes k3s.
    async delete() {},
  };
}

function refuse(h: HostSpec): void {
  const p = inputProblems("host", h);
  if (p.length) throw new Error(p.map((x) => x.reason).join("\n"));
}

export const provider = hostProvider();
