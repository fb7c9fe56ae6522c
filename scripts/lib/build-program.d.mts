/** Types of build-program.mjs (plain JavaScript so that it runs without tsx). */
export declare const projectRoot: string;
/** Builds `entries` (relative to `root`) unless fresh; returns the directory holding them as `.js`. */
export declare function buildProgram(entries: string[], root?: string): Promise<string>;
/** A bare import of a package subpath, as a file path Node's ESM resolver accepts. */
export declare function externalPath(spec: string, importer: string): string;
