export { type AppDeps, buildApp } from "./app.ts";
export { type Env, parseEnv } from "./env.ts";
