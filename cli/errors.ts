/**
 * Short, readable failures. The Automation API throws a CommandError whose message is
 * `code: -2\n stdout: \n stderr: ...` followed by the whole engine log, which kuar has already
 * streamed; printing it again doubles the log. This keeps the exit status and the engine's own
 * `error:` lines (or, failing those, the last lines of its output).
 */

/** Thrown for bad command-line input; the CLI prints it with the usage hint and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Thrown when kuar refuses to act (e.g. on a stack it did not create); exit 1, no trace. */
export class Refusal extends Error {
  override name = "Refusal";
}

interface ExecaLike {
  exitCode?: number;
  signal?: string;
  stdout?: string;
  stderr?: string;
  message?: string;
}

interface CommandErrorLike {
  name: string;
  commandResult?: { code: number; stdout: string; stderr: string; err?: ExecaLike };
}

function isCommandError(e: unknown): e is CommandErrorLike {
  return e instanceof Error && typeof (e as CommandErrorLike).commandResult === "object";
}

/** The engine's `error:` lines from a log (ANSI stripped, each once), at most `max`. */
export function errorLines(log: string, max = 8): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = log.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").map((l) => l.trimEnd());
  const picked: string[] = [];
  for (const l of lines) {
    const t = l.trim();
    if (!/^error:/i.test(t) && !/^kuar(:| found)/.test(t)) continue;
    if (!picked.includes(t)) picked.push(t);
  }
  return picked.slice(0, max);
}

/** One message for any failure: a short summary for the engine's, the message for the rest. */
export function describeError(e: unknown, what = "pulumi"): string {
  if (isCommandError(e)) {
    const r = e.commandResult!;
    const inner = r.err;
    const code = inner?.exitCode ?? (r.code === -2 ? undefined : r.code);
    const status = inner?.signal ? `stopped by ${inner.signal}` : code !== undefined ? `exit ${code}` : "failed";
    const log = `${inner?.stdout ?? r.stdout ?? ""}\n${inner?.stderr ?? r.stderr ?? ""}`;
    const lines = errorLines(log);
    const tail = lines.length
      ? lines
      : log
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean)
          .slice(-3);
    return `${what} ${status}${tail.length ? `:\n  ${tail.join("\n  ")}` : ""}\n(the full engine log is above)`;
  }
  return e instanceof Error ? e.message : String(e);
}
