/** Stack config for workloads (`kuar:workloads`). Owned by workloads/. */
import { z } from "zod";

export const workloadsSchema = z.strictObject({});
export type WorkloadsConfig = z.output<typeof workloadsSchema>;
