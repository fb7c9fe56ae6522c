/**
 * Stacks created before the node provider was renamed to node.provider.ts store this path in their
 * state (Pulumi runs a removed resource's delete with the provider recorded for it).
 */
export { provider } from "./node.provider.js";
