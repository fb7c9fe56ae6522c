/**
 * A scripted Prompter for driving the whole wizard flow: answers by question id, a sequence
 * (`seq(...)`) for a question asked again (a rejected answer, a second host). Text answers go
 * through the question's own validate, exactly as inquirer does: a rejected one is recorded with
 * the error text shown, and the next answer in the sequence is tried.
 */
import type { PreflightDeps } from "../../../wizard/preflight.js";
import type { Choice, Prompter, TextQuestion } from "../../../wizard/prompts.js";

const SEQ = Symbol("seq");
export interface Seq {
  [SEQ]: unknown[];
}
export function seq(...values: unknown[]): Seq {
  return { [SEQ]: values };
}

export interface Asked {
  id: string;
  message: string;
  /** Error texts shown under the prompt for rejected answers, in order. */
  errors: string[];
}

export function scripted(script: Record<string, unknown>) {
  const asked: Asked[] = [];
  const said: string[] = [];
  const queues = new Map<string, unknown[]>();
  const has = (id: string) =>
    Object.prototype.hasOwnProperty.call(script, id) && (!isSeq(script[id]) || (queue(id).length ?? 0) > 0);
  function queue(id: string): unknown[] {
    if (!queues.has(id)) {
      const v = script[id];
      queues.set(id, isSeq(v) ? [...v[SEQ]] : [v]);
    }
    return queues.get(id)!;
  }
  const next = (id: string): unknown => {
    const q = queue(id);
    const v = q.length > 1 ? q.shift() : q[0];
    return v;
  };

  const text = async (q: TextQuestion): Promise<string> => {
    const entry: Asked = { id: q.id, message: q.message, errors: [] };
    asked.push(entry);
    for (let i = 0; i < 20; i++) {
      const raw = has(q.id) ? String(next(q.id)) : q.default;
      if (raw === undefined) throw new Error(`no scripted answer for "${q.id}" (${q.message}) and no default`);
      const ok = q.validate ? q.validate(raw) : true;
      if (ok === true) return raw;
      entry.errors.push(ok);
      if (!has(q.id) || !isSeq(script[q.id]))
        throw new Error(`"${q.id}": answer ${JSON.stringify(raw)} rejected: ${ok}`);
    }
    throw new Error(`"${q.id}" asked too often`);
  };

  const prompter: Prompter = {
    text,
    secret: text,
    async confirm(q) {
      asked.push({ id: q.id, message: q.message, errors: [] });
      return has(q.id) ? Boolean(next(q.id)) : q.default;
    },
    async select<T>(q: { id: string; message: string; choices: Choice<T>[]; default?: T }) {
      asked.push({ id: q.id, message: q.message, errors: [] });
      const v = has(q.id) ? next(q.id) : q.default;
      if (!q.choices.some((c) => c.value === v)) throw new Error(`"${q.id}": ${String(v)} is not a choice`);
      return v as T;
    },
    async multi<T>(q: { id: string; message: string; choices: Choice<T>[]; validate?: (v: T[]) => true | string }) {
      const entry: Asked = { id: q.id, message: q.message, errors: [] };
      asked.push(entry);
      for (let i = 0; i < 20; i++) {
        const v = (has(q.id) ? next(q.id) : q.choices.filter((c) => c.checked).map((c) => c.value)) as T[];
        const ok = q.validate ? q.validate(v) : true;
        if (ok === true) return v;
        entry.errors.push(ok);
        if (!isSeq(script[q.id])) throw new Error(`"${q.id}": ${JSON.stringify(v)} rejected: ${ok}`);
      }
      throw new Error(`"${q.id}" asked too often`);
    },
    say: (line) => said.push(line),
  };
  return { prompter, asked, said, errorsOf: (id: string) => asked.filter((a) => a.id === id).flatMap((a) => a.errors) };
}

function isSeq(v: unknown): v is Seq {
  return typeof v === "object" && v !== null && SEQ in v;
}

/** Preflight that starts nothing: every tool present, every probe succeeds; SSH checks as given. */
export function quietPreflight(sshChecks: PreflightDeps["sshChecks"] = async () => []): PreflightDeps {
  return {
    probe: async () => ({ code: 0, stdout: "", stderr: "", timedOut: false, missing: false }),
    which: () => true,
    exists: () => true,
    env: {},
    home: "/nonexistent",
    toolchainReady: () => true,
    sshChecks,
  };
}
