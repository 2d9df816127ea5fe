export * from "./data-dir-lock.ts";
export * from "./open-database.ts";
export * from "./schema/index.ts";
export type * from "./types.ts";
