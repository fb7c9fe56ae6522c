import { z } from "zod";
import { defineTarget } from "../target.js";

// Placeholder until the target lands: the schema accepts nothing, create refuses.
export const settings = z.strictObject({});

export const target = defineTarget({
  name: "aks",
  description: "aks (in progress)",
  settings,
  create() {
    throw new Error("the aks target is not built yet");
  },
});
