/**
 * The kuar:RaspberryPiHost dynamic provider (loaded by common/dynamic.ts at run time): prepares one
 * Pi for k3s (hostname, /etc/hosts, cgroup flags and the reboot they need, ip_forward) and stages the
 * air-gap files. It depends on no other resource, so every host is prepared in parallel before the
 * first server installs. A fresh host costs three commands (probe, one prep script, the probe after
 * the reboot); a prepared one, one probe. The session stays open for the host's node step, with
 * the last probe when nothing was sent after it (pool.ts), so that step need not probe again.
 */
import type * as pulumi from "@pulumi/pulumi";
import { loadBundle, type Bundle } from "./bundle.js";
import { diffInputs } from "./diff.js";
import { inputProblems, type HostSpec } from "./inventory.js";
import { probe, type HostFacts } from "./probe.js";
import { payload, scriptCommand } from "./script.js";
import {
  brief,
  defaultSessionOptions,
  HostKeyMismatchError,
  openSession,
  OutcomeUnknownError,
  release,
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

/** Prep rounds: a dropped connection or a reboot costs one each. */
const MAX_ROUNDS = 5;

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
  const { session: s } = await openSession("host", h.host, h.nodeName, opts, h.progressUrn);
  let ok = false;
  // The facts describe the host as it is now only when nothing was sent after the probe.
  let current = true;
  let facts: HostFacts | undefined;
  try {
    const bundle = await loadBundle(h.airgapBundleDir, h.arch);
    s.step("probe");
    facts = await probe(s, h, bundle);
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
        s.step("prep", plan.actions.map((a) => a.step).join(", "));
        try {
          current = false;
          await s.run("prep", scriptCommand(plan.script), { stdin: payload(plan.script, plan.files), changing: true });
          s.counters.mutations += plan.actions.length;
          changed = true;
        } catch (e) {
          if (!(e instanceof OutcomeUnknownError)) throw e;
          s.log("prep", `${brief(e)}; probing the host again before changing anything`);
          s.step("probe", "after a dropped connection");
          // The lost script may have scheduled a reboot: wait for it rather than fail on a Pi that is booting.
          facts = plan.reboot ? await waitReboot(s, facts.bootId, h, bundle, true) : await probe(s, h, bundle);
          current = true;
          if (facts.bootId !== bootAtStart) rebooted = true;
          continue;
        }
      }
      if (!plan.reboot) break;
      if (plan.script === "" || facts.rebootPending) s.log("reboot", `waiting for the pending reboot (${plan.why})`);
      s.step("reboot wait", plan.why ?? "");
      facts = await waitReboot(s, facts.bootId, h, bundle);
      current = true;
      rebooted = true;
    }
    if (!changed && !rebooted) s.log("done", "already prepared; nothing changed");
    s.step("prepared", changed || rebooted ? "" : "nothing changed");
    ok = true;
    return { ...h, machine: facts.machine };
  } finally {
    if (ok) release(s, "host", current ? facts : undefined);
    else s.close();
  }
}

/** Refresh: the host is still there and prepared (a probe, or the node step's if fresh), else it reads as gone. */
export async function readHost(id: string, props: HostOutputs, opts = defaultSessionOptions()) {
  const taken = await openSession("host", props.host, props.nodeName, opts, props.progressUrn);
  const s = taken.session;
  let f: HostFacts | undefined;
  try {
    const bundle = await loadBundle(props.airgapBundleDir, props.arch);
    f = taken.facts ?? (await probe(s, props, bundle));
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
    // Facts taken from the pool keep their age: only a probe of this call is handed on.
    release(s, "host", taken.facts ? undefined : f);
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
