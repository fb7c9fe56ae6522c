/**
 * Azure region names and VM size facts, used to catch typos before Azure does (a misspelt
 * region otherwise fails minutes into `pulumi up`, after the resource group exists).
 */
import { closest } from "../../config/errors.js";

/** Public Azure regions (`az account list-locations --query '[].name'`), as of 2026. */
export const AZURE_REGIONS = [
  "australiacentral",
  "australiacentral2",
  "australiaeast",
  "australiasoutheast",
  "austriaeast",
  "belgiumcentral",
  "brazilsouth",
  "brazilsoutheast",
  "canadacentral",
  "canadaeast",
  "centralindia",
  "centralus",
  "centraluseuap",
  "chilecentral",
  "denmarkeast",
  "eastasia",
  "eastus",
  "eastus2",
  "eastus2euap",
  "francecentral",
  "francesouth",
  "germanynorth",
  "germanywestcentral",
  "indonesiacentral",
  "israelcentral",
  "italynorth",
  "japaneast",
  "japanwest",
  "jioindiacentral",
  "jioindiawest",
  "koreacentral",
  "koreasouth",
  "malaysiawest",
  "mexicocentral",
  "newzealandnorth",
  "northcentralus",
  "northeurope",
  "norwayeast",
  "norwaywest",
  "polandcentral",
  "qatarcentral",
  "southafricanorth",
  "southafricawest",
  "southcentralus",
  "southeastasia",
  "southindia",
  "spaincentral",
  "swedencentral",
  "swedensouth",
  "switzerlandnorth",
  "switzerlandwest",
  "uaecentral",
  "uaenorth",
  "uksouth",
  "ukwest",
  "westcentralus",
  "westeurope",
  "westindia",
  "westus",
  "westus2",
  "westus3",
] as const;

/** The shape of a region's programmatic name: lowercase letters, then optional digits and letters. */
export const REGION_NAME = /^[a-z]{4,}[a-z0-9]*$/;

/**
 * Whether `name` looks like a misspelling of a known region. An unknown name that only differs
 * in its digits (`westus4`) is taken as a region newer than this list, not a typo.
 */
export function regionTypo(name: string): string | undefined {
  if ((AZURE_REGIONS as readonly string[]).includes(name)) return undefined;
  const guess = closest(name, AZURE_REGIONS);
  if (guess === undefined) return undefined;
  const letters = (s: string) => s.replace(/[0-9]/g, "");
  return letters(guess) === letters(name) ? undefined : guess;
}

/** `"West Europe"` -> `"westeurope"`: the display name most people copy from the portal. */
export function regionFromDisplayName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * Azure VM size names: `Standard_<family><vCPUs>[-<constrained vCPUs>]<features>[_<accelerator>][_v<n>]`,
 * e.g. `Standard_D4ps_v5`, `Standard_E8-4ds_v5`, `Standard_NC24ads_A100_v4`.
 */
export const VM_SIZE = /^Standard_([A-Z]+)(\d+)(-\d+)?([a-z]*)(_[A-Za-z0-9]+)*$/;

/**
 * The CPU architecture of a VM size. The lowercase feature letters after the vCPU count carry a
 * `p` for Arm-based (Ampere Altra, Azure Cobalt) CPUs: `Standard_D4ps_v5` and `Standard_D4pds_v6`
 * are arm64, `Standard_D4s_v5` is amd64.
 */
export function archOfVmSize(vmSize: string): "amd64" | "arm64" {
  const features = VM_SIZE.exec(vmSize)?.[4] ?? "";
  return features.includes("p") ? "arm64" : "amd64";
}
