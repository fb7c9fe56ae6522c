/** The quick start's shape with every workload on: what e2e and bench deploy. */
export const fullConfig: Record<string, unknown> = {
  target: "local",
  local: { nodes: 3 },
  workloads: { kuard: { enabled: true }, parse: { enabled: true }, ghost: { enabled: true }, redis: { enabled: true } },
};
