/**
 * The thin prompt layer. The flow asks through this interface; the real one is inquirer's
 * prompts, tests pass scripted answers. Every question carries an `id` so a script can answer
 * by name rather than by position.
 */
import { checkbox, confirm, input, password, select } from "@inquirer/prompts";

export type Validate<T> = (value: T) => true | string;

export interface TextQuestion {
  id: string;
  message: string;
  default?: string;
  validate?: Validate<string>;
}

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  checked?: boolean;
}

export interface Prompter {
  text(q: TextQuestion): Promise<string>;
  secret(q: TextQuestion): Promise<string>;
  confirm(q: { id: string; message: string; default: boolean }): Promise<boolean>;
  select<T>(q: { id: string; message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  multi<T>(q: { id: string; message: string; choices: Choice<T>[]; validate?: Validate<T[]> }): Promise<T[]>;
  /** Prints a line (explanations, preflight results). */
  say(line: string): void;
}

/** The configs handed to inquirer; exported so tests can render the very same prompt. */
export function inputConfig(q: TextQuestion) {
  return {
    message: q.message,
    ...(q.default !== undefined ? { default: q.default } : {}),
    ...(q.validate ? { validate: q.validate } : {}),
  };
}

export function inquirerPrompter(out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Prompter {
  return {
    text: (q) => input(inputConfig(q)),
    secret: (q) => password({ message: q.message, mask: "*", ...(q.validate ? { validate: q.validate } : {}) }),
    confirm: (q) => confirm({ message: q.message, default: q.default }),
    select: <T>(q: { message: string; choices: Choice<T>[]; default?: T }) =>
      select<T>({ message: q.message, choices: q.choices, ...(q.default !== undefined ? { default: q.default } : {}) }),
    multi: <T>(q: { message: string; choices: Choice<T>[]; validate?: Validate<T[]> }) =>
      checkbox<T>({
        message: q.message,
        choices: q.choices,
        ...(q.validate ? { validate: (items: readonly { value: T }[]) => q.validate!(items.map((i) => i.value)) } : {}),
      }),
    say: out,
  };
}
