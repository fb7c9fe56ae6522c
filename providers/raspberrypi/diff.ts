/**
 * The dynamic providers' diff: inputs only, so an unchanged stack never opens a connection.
 */

/** Node fields whose change replaces the node (uninstall, then install), rather than updating it. */
export const NODE_REPLACE_KEYS = ["nodeName", "role"] as const;
/** Outputs, and inputs that say nothing about the host (where step lines go). */
const OUTPUT_KEYS = new Set(["kubeconfig", "installedVersion", "machine", "progressUrn"]);

/** A dynamic-provider diff that never touches a host: equal inputs mean no change at all. */
export function diffInputs(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  replaceKeys: readonly string[] = NODE_REPLACE_KEYS,
) {
  const keys = new Set(
    [...Object.keys(olds), ...Object.keys(news)].filter((k) => !OUTPUT_KEYS.has(k) && k !== "__provider"),
  );
  const changed = [...keys].filter((k) => canonical(olds[k]) !== canonical(news[k])).sort();
  const replaces = changed.filter((k) => replaceKeys.includes(k));
  return { changes: changed.length > 0, replaces, changed, deleteBeforeReplace: true };
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}
