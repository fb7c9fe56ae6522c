/**
 * Every pinned version kuar uses, read from config/versions.json so the toolchain script
 * (bash) and the program (TypeScript) share one source of truth.
 */
import versions from "./versions.json" with { type: "json" };

export interface ChartPin {
  /** Helm repository URL (https:// or oci://). */
  repo: string;
  /** Chart name inside the repository. */
  chart: string;
  /** Exact chart version; never a range. */
  version: string;
}

export const toolchain = versions.toolchain;
export const images = versions.images;
export const charts: Record<keyof typeof versions.charts, ChartPin> = versions.charts;
export const k3sVersion = versions.k3s;
