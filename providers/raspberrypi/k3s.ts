/**
 * k3s on a prepared host as one script (with the token and config.yaml on stdin): it compares what
 * is there with what is wanted, and installs, restarts or does nothing. A converged node costs this
 * one read-mostly command; `check` mode only reports what it would change (used after a dropped
 * connection, before anything is sent again).
 */
import { stringify } from "yaml";
import type { Bundle } from "./bundle.js";
import type { NodeInputs, NodeSpec } from "./inventory.js";
import type { HostFacts } from "./probe.js";
import { KUBECONFIG_PATH } from "./kubeconfig.js";
import { contentFile, prelude, sha256, shellQuote, tmpBeside, STATE_DIR, type PayloadFile } from "./script.js";
import { CONFIG_PATH, INSTALL_SCRIPT_PATH, STAGED_BINARY, TOKEN_PATH } from "./steps.js";

const OLD_TOKEN_TMP = "/etc/rancher/k3s/.token-old.kuar-tmp";

/** k3s's config.yaml for a node. Holds no secret: the token lives in its own file. */
export function renderK3sConfig(n: NodeSpec): string {
  const cfg: Record<string, unknown> = { "node-name": n.nodeName, "token-file": TOKEN_PATH };
  if (n.role === "server") cfg["write-kubeconfig-mode"] = "0600";
  if (n.clusterInit) cfg["cluster-init"] = true;
  if (n.serverUrl) cfg["server"] = n.serverUrl;
  if (n.tlsSans.length) cfg["tls-san"] = n.tlsSans;
  if (n.role === "server" && n.disable.length) cfg["disable"] = n.disable;
  const labels = Object.entries(n.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  if (labels.length) cfg["node-label"] = labels;
  return `# Managed by kuar (providers/raspberrypi); changes here are overwritten.\n${stringify(cfg)}`;
}

/** What a probe says about a node: installed at which release, and whether the node script would change nothing. */
export interface NodeState {
  installed: boolean;
  version?: string;
  converged: boolean;
  kubeconfig: string;
  machine: string;
}

/**
 * The node as a probe saw it (probe.ts), decided the way the node script decides (below): an
 * install is needed when the role's uninstall script is missing, the release differs or (with a
 * bundle) the binary differs; a restart when the token or config.yaml differ; and the script
 * would first ask for the bundle when install.sh differs. Converged means none of these.
 */
export function nodeFromFacts(f: HostFacts, n: NodeInputs, bundle?: Bundle): NodeState {
  const installed = n.role === "server" ? f.serverInstalled : f.agentInstalled;
  const kubeconfig = n.role === "server" ? (f.kubeconfig ?? "") : "";
  const converged =
    installed &&
    f.k3sVersion === n.k3sVersion &&
    f.tokenSha256 === sha256(n.token) &&
    f.configSha256 === sha256(renderK3sConfig(n)) &&
    (!bundle || (f.k3sSha256 === bundle.binary.sha256 && f.installScriptSha256 === bundle.installScript.sha256)) &&
    (n.role === "agent" || kubeconfig !== "");
  return { installed, ...(f.k3sVersion ? { version: f.k3sVersion } : {}), converged, kubeconfig, machine: f.machine };
}

export interface K3sScriptOptions {
  bundle?: Bundle;
  /** Ship the binary and install.sh (the host step did not stage them). */
  shipBundle?: boolean;
  /** Report what would change; change nothing. */
  check?: boolean;
  /**
   * The cluster's current token, when `n.token` replaces it: this (first) server runs
   * `k3s token rotate` before writing the new token; every node then restarts with the new one.
   */
  rotateFrom?: string;
  readyTimeoutMs: number;
  readyPollMs: number;
}

/** The node script and its payload. */
export function k3sScript(n: NodeInputs, o: K3sScriptOptions): { script: string; files: PayloadFile[] } {
  const q = shellQuote;
  const config = renderK3sConfig(n);
  const files: PayloadFile[] = [];
  const lines: string[] = [prelude({ lock: true })];
  const act = (what: string, ...cmds: string[]) =>
    o.check ? [`changes="$changes ${what}"`] : [...cmds, `changes="$changes ${what}"`];
  const uninstaller = n.role === "server" ? "/usr/local/bin/k3s-uninstall.sh" : "/usr/local/bin/k3s-agent-uninstall.sh";
  lines.push(
    `changes=''`,
    `need=''`,
    // The release before any change (the binary may be replaced below).
    `cur=$(/usr/local/bin/k3s --version 2>/dev/null | head -n1 | sed -n 's/.*\\(v[0-9][0-9.]*+k3s[0-9]*\\).*/\\1/p')`,
  );
  if (!o.check) {
    files.push(contentFile(tmpBeside(TOKEN_PATH), n.token), contentFile(tmpBeside(CONFIG_PATH), config));
    if (o.rotateFrom) files.push(contentFile(OLD_TOKEN_TMP, o.rotateFrom));
    if (o.bundle && o.shipBundle) {
      files.push({ ...o.bundle.binary, tmp: tmpBeside(STAGED_BINARY) });
      files.push({ ...o.bundle.installScript, tmp: tmpBeside(INSTALL_SCRIPT_PATH) });
    }
    lines.push("umask 077", ...files.map((f) => `rx ${q(f.tmp)} ${f.size} ${f.sha256}`), "umask 022");
    if (o.bundle && o.shipBundle)
      lines.push(
        `place ${q(tmpBeside(STAGED_BINARY))} ${STAGED_BINARY} 755`,
        `place ${q(tmpBeside(INSTALL_SCRIPT_PATH))} ${INSTALL_SCRIPT_PATH} 755`,
      );
  }
  const bin = o.bundle?.binary.sha256;
  if (o.bundle) {
    // What only kuar can bring: reported before anything changes, so kuar resends with the files.
    lines.push(
      `if [ "$(sha /usr/local/bin/k3s)" != ${bin} ] && [ "$(sha ${STAGED_BINARY})" != ${bin} ]; then need="$need binary"; fi`,
      `if [ "$(sha ${INSTALL_SCRIPT_PATH})" != ${o.bundle.installScript.sha256} ]; then need="$need install-script"; fi`,
      `if [ -n "$need" ]; then v need "$need"; exit 0; fi`,
      `bin=no`,
      `if [ "$(sha /usr/local/bin/k3s)" != ${bin} ]; then bin=yes; ${act("binary", `copyin ${STAGED_BINARY} /usr/local/bin/k3s 755 ${bin}`).join("; ")}; fi`,
    );
  } else lines.push("bin=no");
  if (o.rotateFrom && !o.check) {
    // k3s token rotate reads the current token from K3S_TOKEN; --new-token has no env or file form
    // (k3s pkg/cli/cmds/token.go), so the new token is on k3s's own argv for this one call.
    // The marker (named by the new token's hash) keeps a run that lost its connection between
    // the rotation and the token file from rotating a second time with the old token.
    const done = `${STATE_DIR}/rotated-${sha256(n.token).slice(0, 16)}`;
    lines.push(
      `if [ "$(sha ${TOKEN_PATH})" = ${sha256(o.rotateFrom)} ] && [ ! -e ${done} ]; then`,
      `  K3S_TOKEN="$(cat ${OLD_TOKEN_TMP})" k3s token rotate --new-token "$(cat ${q(tmpBeside(TOKEN_PATH))})" > ${STATE_DIR}/rotate.log 2>&1 || { tail -n 5 ${STATE_DIR}/rotate.log >&2; fail "k3s token rotate failed; the cluster keeps its old token"; }`,
      `  : > ${done}`,
      `  changes="$changes rotate"`,
      "fi",
    );
  }
  for (const [what, path, content] of [
    ["token", TOKEN_PATH, n.token],
    ["config", CONFIG_PATH, config],
  ] as const) {
    lines.push(
      `if [ "$(sha ${path})" != ${sha256(content)} ]; then ${act(what, `place ${q(tmpBeside(path))} ${path} 600`).join("; ")}; fi`,
    );
  }
  const env = [
    ...(o.bundle ? ["INSTALL_K3S_SKIP_DOWNLOAD=true"] : []),
    `INSTALL_K3S_VERSION=${q(n.k3sVersion)}`,
    `INSTALL_K3S_EXEC=${n.role}`,
    ...(n.role === "agent" && n.serverUrl ? [`K3S_URL=${q(n.serverUrl)}`, `K3S_TOKEN_FILE=${TOKEN_PATH}`] : []),
  ].join(" ");
  const url = q(`https://raw.githubusercontent.com/k3s-io/k3s/${n.k3sVersion}/install.sh`);
  const tmpInstall = q(tmpBeside(INSTALL_SCRIPT_PATH));
  const runInstall = (extra: string) =>
    `env ${env}${extra} sh ${INSTALL_SCRIPT_PATH} > ${STATE_DIR}/install.log 2>&1 || { tail -n 5 ${STATE_DIR}/install.log >&2; fail "k3s's install.sh failed (full log: ${STATE_DIR}/install.log)"; }`;
  // Step markers for kuar's progress lines (ssh.ts reads them as they are printed).
  const joins = !!n.serverUrl;
  lines.push(
    `if [ ! -x ${uninstaller} ] || [ "$cur" != ${q(n.k3sVersion)} ] || [ $bin = yes ]; then`,
    ...act(
      "install",
      `echo 'kuar-step ${joins ? "join" : "install"}'`,
      ...(o.bundle
        ? []
        : [
            `mkdir -p ${INSTALL_SCRIPT_PATH.replace(/\/[^/]+$/, "")}; TMPS="$TMPS ${tmpInstall}"`,
            `curl -sfL --retry 3 -o ${tmpInstall} ${url} || fail "cannot download ${url}"`,
            `place ${tmpInstall} ${INSTALL_SCRIPT_PATH} 755`,
          ]),
      runInstall(""),
    ),
    `elif [ -n "$changes" ]; then`,
    // The install script skips the restart when only config.yaml or the token changed.
    ...act("restart", `echo 'kuar-step ${joins ? "join" : "install"}'`, runInstall(" INSTALL_K3S_FORCE_RESTART=true")),
    "fi",
  );
  if (n.role === "server" && !o.check) {
    const tries = Math.max(1, Math.ceil(o.readyTimeoutMs / o.readyPollMs));
    lines.push(
      `if [ -n "$changes" ]; then i=0; echo 'kuar-step ready'`,
      `  until [ "$(k3s kubectl get node ${q(n.nodeName)} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; do`,
      `    i=$((i+1)); [ $i -lt ${tries} ] || fail "node ${n.nodeName} is not Ready ${Math.round(o.readyTimeoutMs / 1000)} s after installing k3s; check sudo journalctl -u k3s"`,
      `    sleep ${o.readyPollMs / 1000}`,
      "  done",
      "fi",
    );
  }
  lines.push(
    `v changes "$changes"`,
    `v k3sVersion "$(/usr/local/bin/k3s --version 2>/dev/null | head -n1)"`,
    `v machine "$(uname -m)"`,
    `[ -x ${uninstaller} ] && v installed yes`,
    `v before "$cur"`,
    ...(n.role === "server"
      ? [`[ -r ${KUBECONFIG_PATH} ] && printf 'kubeconfig=%s\\n' "$(base64 < ${KUBECONFIG_PATH} | tr -d '\\n')"`]
      : []),
    "exit 0",
    "",
  );
  return { script: lines.join("\n"), files };
}
