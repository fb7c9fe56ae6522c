/**
 * One maintenance window shape for every cloud: when the cloud may upgrade the control plane
 * and nodes. Each target turns it into its API's form (AKS maintenanceConfigurations, GKE
 * maintenancePolicy) and adds its own rules.
 */
import { z } from "zod";

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const maintenanceWindow = z.strictObject({
  /** "Daily", or the one weekday the window recurs on. @default "Sunday" */
  day: z.enum(["Daily", ...WEEKDAYS]).default("Sunday"),
  /** Start of the window in UTC, "HH:MM". @default "02:00" */
  startTime: z
    .string()
    .refine((s) => /^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(s), {
      message: 'expected a 24-hour UTC time such as "02:00"',
      params: { fix: 'Write two-digit hours and minutes, e.g. "22:30".' },
    })
    .default("02:00"),
  /** Length of the window in hours (clouds need at least 4). @default 4 */
  durationHours: z.int().min(4).max(24).default(4),
});
export type MaintenanceWindow = z.output<typeof maintenanceWindow>;

/** Hours of maintenance the window allows in any `days`-day span (the fewest occurrences counted). */
export function hoursIn(w: MaintenanceWindow, days: number): number {
  const occurrences = w.day === "Daily" ? days : Math.floor(days / 7);
  return occurrences * w.durationHours;
}
