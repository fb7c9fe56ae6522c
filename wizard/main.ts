/** Placeholder until the wizard lands. */
export async function main(_argv: string[]): Promise<number> {
  console.error("kuar init: the setup wizard is not built yet");
  return 2;
}
