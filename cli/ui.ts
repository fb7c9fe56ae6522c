/**
 * What the CLI prints: status lines on stderr (so stdout stays parseable: JSON, exports), colour
 * only when that stream is a terminal and NO_COLOR is unset, and progress for long steps.
 */
export interface Ui {
  /** A status line (stderr). */
  info(line: string): void;
  /** A warning line (stderr, yellow on a terminal). */
  warn(line: string): void;
  /** An error line (stderr, red on a terminal). */
  error(line: string): void;
  /** A result line (stdout). */
  out(line: string): void;
  /** A line on stderr as is (messages that carry their own prefix). */
  raw(line: string): void;
  /** Runs a long step, printing when it starts and how long it took. */
  step<T>(what: string, fn: () => T | Promise<T>): Promise<T>;
  /** Bold/dim/green/red/yellow text when colour is on. */
  paint(style: Style, text: string): string;
}

export type Style = "bold" | "dim" | "green" | "red" | "yellow" | "cyan";

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  green: [32, 39],
  red: [31, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Whether to colour a stream: a terminal, NO_COLOR unset, TERM not "dumb"; FORCE_COLOR forces it. */
export function colourOn(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  return isTTY === true && env["TERM"] !== "dumb";
}

export function paintWith(on: boolean): (style: Style, text: string) => string {
  return (style, text) => (on ? `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m` : text);
}

export interface UiStreams {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

export function createUi(s: UiStreams = { stdout: process.stdout, stderr: process.stderr }): Ui {
  const paint = paintWith(colourOn(s.stderr.isTTY, s.env));
  const now = s.now ?? Date.now;
  const err = (l: string) => s.stderr.write(`${l}\n`);
  return {
    info: (l) => err(`${paint("dim", "kuar:")} ${l}`),
    warn: (l) => err(`${paint("yellow", "kuar: warning:")} ${l}`),
    error: (l) => err(`${paint("red", "kuar: error:")} ${l}`),
    out: (l) => s.stdout.write(`${l}\n`),
    raw: err,
    paint,
    async step(what, fn) {
      const t = now();
      err(`${paint("cyan", "==>")} ${what}...`);
      try {
        const r = await fn();
        err(`${paint("green", "  ok")} ${what} (${((now() - t) / 1000).toFixed(1)}s)`);
        return r;
      } catch (e) {
        err(`${paint("red", "  failed")} ${what} after ${((now() - t) / 1000).toFixed(1)}s`);
        throw e;
      }
    },
  };
}
