export * from "./data-dir-lock.ts";
export * from "./open-database.ts";
export * from "./prepared-query.ts";
export * from "./schema/index.ts";
export * from "./session-locks.ts";
export type * from "./types.ts";
