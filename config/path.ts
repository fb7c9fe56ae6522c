/**
 * A config key path written the way `pulumi config set --path` reads it. Its own module, with no
 * imports, so that dynamic providers (which load it in a fresh process on every engine run) do
 * not pay for config/errors.ts's imports: the SDK's gRPC stack and zod, about a second.
 */

/**
 * `["gke", "nodePools", 1, "minNodes"]` -> `kuar:gke.nodePools[1].minNodes`, in the syntax of
 * `pulumi config set --path`: keys that are not plain names are quoted (`labels["example.com/team"]`).
 */
export function configPath(path: readonly PropertyKey[], namespace = "kuar"): string {
  let out = "";
  for (const [i, key] of path.entries()) {
    if (typeof key === "number") out += `[${key}]`;
    else if (i === 0) out += `${namespace}:${String(key)}`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(key))) out += `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || `${namespace}:`;
}
