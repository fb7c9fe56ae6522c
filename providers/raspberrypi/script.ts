/**
 * How kuar sends work to a host: one root shell script per command, on stdin, followed by the
 * files it installs. The command line holds only the script's length (never content or secrets):
 *
 *   sudo -n sh -c '... head -c <script bytes> > "$s"; exec sh "$s"'
 *
 * and the script reads each file with `head -c <size>` (GNU head reads exactly that many bytes from
 * a pipe; Raspberry Pi OS ships GNU coreutils). Every file lands in a temporary file beside its
 * target, is checked (size, sha256), gets its mode, and only then is renamed over the target, so
 * the old file survives every failure (a full disk, a dropped connection). Scripts serialise on a
 * lock in /var/lib/kuar, so a copy left running by a dropped connection finishes before the next
 * one looks at the host.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

export const STATE_DIR = "/var/lib/kuar";

/** A file shipped after the script: `source` is its content or a file on this machine. */
export interface PayloadFile {
  /** Where the script's `rx` puts it (a temporary file beside its target). */
  tmp: string;
  size: number;
  sha256: string;
  source: { content: string } | { localFile: string };
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Single-quotes a word for sh: every value kuar interpolates into a remote script goes through this. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A payload file from a string. */
export function contentFile(tmp: string, content: string): PayloadFile {
  return { tmp, size: Buffer.byteLength(content), sha256: sha256(content), source: { content } };
}

/**
 * Shell functions every script starts with. `rx <tmp> <size> <sha256>` receives the next payload
 * file; `place <tmp> <target> <mode>` moves a received file over its target and checks the mode;
 * `copyin <src> <target> <mode> <sha256>` does the same from a file already on the host; `fail`
 * ends the script with a message for kuar's error. Temporary files go when the script ends.
 */
export function prelude(opts: { lock: boolean }): string {
  return [
    "set -u",
    "umask 022",
    "trap '' HUP PIPE",
    `mkdir -p ${STATE_DIR}`,
    // $1 is the script itself (see scriptCommand): it goes too.
    'TMPS="${1:-}"',
    `trap 'rm -f $TMPS' EXIT`,
    `fail() { printf 'kuar: %s\\n' "$*" >&2; exit 1; }`,
    `sha() { if [ -r "$1" ]; then sha256sum < "$1" | cut -d' ' -f1; fi; }`,
    `v() { printf '%s=%s\\n' "$1" "$(printf '%s' "$2" | base64 | tr -d '\\n')"; }`,
    `rx() {`,
    `  mkdir -p "$(dirname "$1")" || fail "cannot create $(dirname "$1")"`,
    `  TMPS="$TMPS $1"`,
    `  head -c "$2" > "$1" || fail "writing $1 failed (disk full?)"`,
    `  [ "$(wc -c < "$1")" -eq "$2" ] || fail "$1: received $(wc -c < "$1") of $2 bytes (disk full, or the connection dropped)"`,
    `  [ "$(sha "$1")" = "$3" ] || fail "$1: content does not match what kuar sent"`,
    `}`,
    `place() {`,
    `  chmod "$3" "$1" && chown 0:0 "$1" || fail "cannot set mode $3 on $1"`,
    `  mv -f "$1" "$2" || fail "cannot move $1 over $2"`,
    `  [ "$(stat -c %a "$2")" = "$3" ] || fail "$2 has mode $(stat -c %a "$2"), not $3"`,
    `}`,
    `copyin() {`,
    `  t="$(dirname "$2")/.$(basename "$2").kuar-tmp"; TMPS="$TMPS $t"`,
    `  cp "$1" "$t" || fail "copying $1 to $t failed (disk full?); $2 is unchanged"`,
    `  [ "$(sha "$t")" = "$4" ] || fail "$t: copy of $1 does not match (disk full?); $2 is unchanged"`,
    `  place "$t" "$2" "$3"`,
    `}`,
    ...(opts.lock
      ? [
          `exec 9>>${STATE_DIR}/lock`,
          `flock -w 900 9 || fail "another kuar run on this host still holds ${STATE_DIR}/lock after 15 minutes"`,
        ]
      : []),
  ].join("\n");
}

/** The temporary name `rx` uses for a file beside `target`. */
export function tmpBeside(target: string): string {
  const at = target.lastIndexOf("/");
  return `${target.slice(0, at)}/.${target.slice(at + 1)}.kuar-tmp`;
}

/** The command line: runs the script that opens stdin as root. Holds no content. */
export function scriptCommand(script: string): string {
  const n = Buffer.byteLength(script);
  return `sudo -n sh -c 's=$(mktemp) && head -c ${n} > "$s" && exec sh "$s" "$s"'`;
}

/** stdin for scriptCommand: the script, then each payload file in order. */
export function payload(script: string, files: PayloadFile[]): () => Readable {
  return () =>
    Readable.from(
      (async function* () {
        yield Buffer.from(script);
        for (const f of files) {
          if ("content" in f.source) yield Buffer.from(f.source.content);
          else for await (const chunk of createReadStream(f.source.localFile)) yield chunk as Buffer;
        }
      })(),
    );
}

/** `key=<base64>` lines (what scripts print) as a record. */
export function parseReport(stdout: string): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([A-Za-z0-9]+)=(.*)$/.exec(line.trim());
    if (m) raw[m[1]!] = Buffer.from(m[2]!, "base64").toString("utf8");
  }
  return raw;
}
