/**
 * Holds a rendered pod to the recorded facts of its images (config/contracts/images/*.json):
 * what the runtime will exec, as which user, where it writes under a read-only root, which tools
 * its probes and scripts call, and which environment it reads. Pure: plain pod JSON in, a list of
 * problems out, so it is tested on its own (image-check.test.ts) and run over every workload.
 */
import type { ImageContract } from "../../../config/contracts/images/schema.js";

type Obj = Record<string, any>;

export interface PodUnderTest {
  /** For messages, e.g. "Deployment w-kuard". */
  owner: string;
  /** The pod spec as recorded. */
  spec: Obj;
  /** ConfigMap data by ConfigMap name, for scripts a container runs from a mounted file. */
  configMaps?: Record<string, Record<string, string>>;
}

const SHELLS = new Set(["sh", "bash", "/bin/sh", "/bin/bash"]);
const KEYWORDS_DROP = new Set(["if", "then", "else", "elif", "while", "until", "do", "!", "{", "time", "exec"]);
const KEYWORDS_SKIP = new Set(["for", "case", "fi", "done", "esac", "}", ";;"]);
const BUILTINS = new Set(
  "echo printf set unset export cd test [ [[ true false read shift exit return trap wait eval source . local : break continue".split(
    " ",
  ),
);
/** Wrappers whose next word (after numeric or flag arguments) is itself a command. */
const WRAPPERS = new Set(["timeout", "env", "nice", "nohup"]);

/** Commands a shell script runs: the first word of each simple command, in $(...) too. */
export function scriptCommands(script: string): string[] {
  const out: string[] = [];
  let text = script;
  for (;;) {
    const m = /\$\(([^()]*)\)/.exec(text);
    if (!m) break;
    out.push(...scriptCommands(m[1]!));
    text = text.slice(0, m.index) + "S" + text.slice(m.index + m[0].length);
  }
  text = text.replace(/'[^']*'/g, "Q").replace(/"(?:[^"\\]|\\.)*"/g, "Q");
  for (const segment of text.split(/\n|;|\||&&|&/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
    while (i < words.length && KEYWORDS_DROP.has(words[i]!)) i++;
    const w = words[i];
    if (w === undefined || KEYWORDS_SKIP.has(w) || BUILTINS.has(w)) continue;
    if (!/^[A-Za-z_./][A-Za-z0-9_./-]*$/.test(w)) continue;
    out.push(w);
    if (WRAPPERS.has(w)) {
      let j = i + 1;
      while (j < words.length && /^(-|\d)/.test(words[j]!)) j++;
      if (words[j] && /^[A-Za-z_./][A-Za-z0-9_./-]*$/.test(words[j]!)) out.push(words[j]!);
    }
  }
  return out;
}

function repoOf(image: string): { repo: string; tag: string } {
  const at = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  return at > slash ? { repo: image.slice(0, at), tag: image.slice(at + 1) } : { repo: image, tag: "latest" };
}

/** The record whose pin names this image's repository, and whether the tag is the pinned one. */
export function recordFor(
  image: string,
  records: Record<string, ImageContract>,
): { key: string; record: ImageContract; tagMatches: boolean } | undefined {
  const { repo, tag } = repoOf(image);
  for (const [key, record] of Object.entries(records)) {
    const pins = typeof record.pin === "string" ? [record.pin] : Object.values(record.pin);
    for (const pin of pins) {
      const p = repoOf(pin);
      if (p.repo === repo) return { key, record, tagMatches: p.tag === tag };
    }
  }
  return undefined;
}

const has = (tools: string[], prog: string) =>
  tools.includes(prog) || tools.some((t) => t.endsWith(`/${prog}`) || prog.endsWith(`/${t}`));

/** Literal env values that the image would misread, by how it parses them. */
export function valueProblem(parse: string, value: string): string | undefined {
  switch (parse) {
    case "presence":
      return ["", "false", "0", "no", "off"].includes(value.toLowerCase())
        ? `is read as on whenever it is set, so ${JSON.stringify(value)} turns it on; leave it unset instead`
        : undefined;
    case "comma-list":
      return /\s,|,\s/.test(value) ? "is split on ',' without trimming; remove the spaces" : undefined;
    case "json":
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return `is parsed as JSON and ${JSON.stringify(value)} is not JSON`;
      }
    case "number":
      return /^\d+$/.test(value) ? undefined : "must be a number";
    case "nconf":
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return `is JSON-parsed (nconf parseValues); write it as a JSON literal, ${JSON.stringify(JSON.stringify(value))}, so no value (12345, true, null, a quoted one) changes type or loses its quotes`;
      }
    default:
      return undefined;
  }
}

/** Every problem of one pod against the records of its images. */
export function checkPod(pod: PodUnderTest, records: Record<string, ImageContract>): string[] {
  const problems: string[] = [];
  const psc = pod.spec["securityContext"] ?? {};
  const volumes: Obj[] = pod.spec["volumes"] ?? [];
  const containers: Obj[] = [...(pod.spec["initContainers"] ?? []), ...(pod.spec["containers"] ?? [])];
  for (const c of containers) {
    const where = `${pod.owner}/${c["name"]}`;
    const found = recordFor(String(c["image"]), records);
    if (!found) {
      problems.push(`${where}: image ${c["image"]} has no record in config/contracts/images`);
      continue;
    }
    const { key, record } = found;
    const f = record.facts;
    const kuardColour = key === "kuard" && /^(blue|green)$/.test(repoOf(String(c["image"])).tag);
    if (!found.tagMatches && !kuardColour)
      problems.push(`${where}: image ${c["image"]} is not the pin the ${key} record describes`);
    const tools = f.tools.value;
    const entry = f.entrypoint.value;
    const mode = f.entrypointArgs.value;

    // What the runtime execs, and every program that runs in the container.
    const command: string[] | undefined = c["command"];
    const args: string[] | undefined = c["args"];
    const programs = new Set<string>();
    const scripts: string[] = [];
    const fromEntrypoint = (argv: string[]) => {
      if (!entry) return;
      programs.add(entry[0]!);
      if (mode.mode === "flags") return;
      if (argv[0]?.startsWith("-")) {
        if (mode.flagsGoTo) programs.add(mode.flagsGoTo);
        else problems.push(`${where}: ${entry.join(" ")} does not take flags, got ${argv[0]}`);
      } else if (argv[0]) {
        programs.add(argv[0]);
      }
    };
    let flagsOf: { prog: string; argv: string[] } | undefined;
    if (command?.length) {
      const prog = command[0]!;
      programs.add(prog);
      const rest = [...command.slice(1), ...(args ?? [])];
      flagsOf = { prog, argv: rest };
      if (SHELLS.has(prog)) {
        const script = rest[0] === "-c" ? rest[1] : scriptFromMount(rest[0], c, volumes, pod.configMaps);
        if (script === undefined) problems.push(`${where}: runs ${prog} ${rest[0]}, a script kuar cannot find`);
        else {
          scripts.push(script);
          for (const cmd of scriptCommands(script)) {
            programs.add(cmd);
            // The script hands its arguments to the image's entrypoint: it then runs as without a command.
            if (entry && cmd === entry[0] && /"\$@"/.test(script)) fromEntrypoint(args ?? f.cmd.value ?? []);
          }
        }
      }
    } else if (entry) {
      fromEntrypoint(args ?? f.cmd.value ?? []);
      flagsOf = { prog: entry[0]!, argv: args ?? [] };
    } else {
      const argv = args ?? f.cmd.value;
      if (!argv?.length)
        problems.push(`${where}: the image has no ENTRYPOINT or CMD and the container sets no command`);
      else if (argv[0]!.startsWith("-")) {
        problems.push(
          `${where}: the image has no ENTRYPOINT, so args ${JSON.stringify(argv)} make the runtime exec ${argv[0]}; set command to ${JSON.stringify(f.cmd.value)}`,
        );
      } else {
        programs.add(argv[0]!);
        flagsOf = { prog: argv[0]!, argv: argv.slice(1) };
      }
    }
    for (const p of programs)
      if (!has(tools, p)) problems.push(`${where}: runs ${p}, which the ${key} image does not have`);
    const known = flagsOf && f.flags?.value[flagsOf.prog];
    if (flagsOf && known) {
      for (const a of flagsOf.argv.filter((x) => x.startsWith("-"))) {
        if (!known.includes(a.split("=")[0]!)) problems.push(`${where}: ${flagsOf.prog} has no flag ${a}`);
      }
    }

    // Probes name tools the image has; their programs' writes count too.
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"].map((p) => c[p]).filter(Boolean)) {
      const exec: string[] | undefined = probe.exec?.command;
      if (!exec) continue;
      const cmds = SHELLS.has(exec[0]!) && exec[1] === "-c" ? [exec[0]!, ...scriptCommands(exec[2] ?? "")] : [exec[0]!];
      for (const p of cmds) {
        programs.add(p);
        if (!has(tools, p)) problems.push(`${where}: a probe runs ${p}, which the ${key} image does not have`);
      }
    }

    // The image's user.
    const csc = c["securityContext"] ?? {};
    const uid = csc.runAsUser ?? psc.runAsUser;
    const gid = csc.runAsGroup ?? psc.runAsGroup;
    const u = f.user.value;
    if (uid !== u.uid) problems.push(`${where}: runs as uid ${uid}, the ${key} image's user ${u.name} is ${u.uid}`);
    if (gid !== u.gid) problems.push(`${where}: runs as gid ${gid}, the ${key} image's group is ${u.gid}`);
    if (psc.fsGroup !== u.gid) problems.push(`${where}: fsGroup ${psc.fsGroup}, volumes must belong to group ${u.gid}`);

    // Every path a running program writes is writable under the read-only root.
    const env: Obj[] = c["env"] ?? [];
    const home = env.find((e) => e["name"] === "HOME")?.["value"] ?? f.defaultEnv?.value["HOME"] ?? "/";
    const mounts: Obj[] = (c["volumeMounts"] ?? []).filter((m: Obj) => !m["readOnly"]);
    if (csc.readOnlyRootFilesystem) {
      for (const p of programs) {
        for (const raw of f.writes.value[p] ?? []) {
          const path = raw.replace("$HOME", home);
          const ok = mounts.some(
            (m) => path === m["mountPath"] || path.startsWith(`${String(m["mountPath"]).replace(/\/$/, "")}/`),
          );
          if (!ok)
            problems.push(
              `${where}: ${p} writes ${path}, which is on the read-only root; mount an emptyDir or volume there`,
            );
        }
      }
    }
    for (const cap of f.fileCapabilities?.value ?? []) {
      const drop: string[] = csc.capabilities?.drop ?? [];
      const add: string[] = csc.capabilities?.add ?? [];
      if ((drop.includes("ALL") || drop.includes(cap)) && !add.includes(cap)) {
        problems.push(
          `${where}: the ${key} binary carries file capability ${cap}; exec fails unless capabilities.add has it`,
        );
      }
    }

    // Env names are ones the image (or kuar's own script in it) reads, with values it parses right.
    for (const group of f.envExclusive?.value ?? []) {
      const set = group.filter((n) => env.some((e) => e["name"] === n));
      if (set.length > 1)
        problems.push(`${where}: ${set.join(" and ")} are both set; the ${key} image exits when more than one is`);
    }
    const text = [...scripts, ...env.map((e) => (typeof e["value"] === "string" ? e["value"] : ""))].join("\n");
    const pattern = f.envPattern?.value;
    for (const e of env) {
      const name = String(e["name"]);
      const rec = f.env.value.find((x) => x.name === name);
      const byPattern =
        pattern && new RegExp(pattern.pattern).test(name) && pattern.topLevelKeys.includes(name.split("__")[0]!);
      const byScript = new RegExp(`\\$\\{?${name}\\b|process\\.env\\.${name}\\b`).test(text);
      if (!rec && !byPattern && !byScript)
        problems.push(`${where}: env ${name} is read by neither the ${key} image nor kuar's script`);
      const parse = rec?.parse ?? (byPattern ? pattern.parse : undefined);
      if (parse && typeof e["value"] === "string") {
        const bad = valueProblem(parse, e["value"]);
        if (bad) problems.push(`${where}: env ${name} ${bad}`);
      }
    }
  }
  return problems;
}

function scriptFromMount(
  file: string | undefined,
  c: Obj,
  volumes: Obj[],
  configMaps: Record<string, Record<string, string>> | undefined,
): string | undefined {
  if (!file) return undefined;
  for (const m of (c["volumeMounts"] ?? []) as Obj[]) {
    const dir = String(m["mountPath"]).replace(/\/$/, "");
    if (!file.startsWith(`${dir}/`)) continue;
    const cm = volumes.find((v) => v["name"] === m["name"])?.["configMap"]?.["name"];
    const data = cm && configMaps?.[cm];
    if (data) return data[file.slice(dir.length + 1)];
  }
  return undefined;
}
