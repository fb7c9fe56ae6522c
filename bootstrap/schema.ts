/** Stack config for add-ons (`kuar:addons`). Owned by bootstrap/. */
import { z } from "zod";

export const addonsSchema = z.strictObject({});
export type AddonsConfig = z.output<typeof addonsSchema>;
