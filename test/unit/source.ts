/** Reading the repository's own source for layout tests: files, code without comments, relative imports. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const root = join(import.meta.dirname, "..", "..");

/** The .ts files under `dir`, as repository paths. */
export function files(dir: string): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .filter((n) => n.endsWith(".ts"))
    .map((n) => join(dir, n));
}

/** The code of a file without its comments (so prose may mention what the code must not name). */
export function code(file: string): string {
  return readFileSync(join(root, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1");
}

/** The file's relative imports (static and dynamic), as repository paths. */
export function imports(file: string): string[] {
  return [...code(file).matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)].map((m) =>
    relative(root, resolve(dirname(join(root, file)), m[1]!)),
  );
}

/** The string literals of a file's code. */
export function literals(file: string): string[] {
  return [...code(file).matchAll(/(["'`])((?:(?!\1)[^\\\n]|\\.)*)\1/g)].map((m) => m[2]!);
}
