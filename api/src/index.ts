export { type AppDeps, buildApp } from "./app.ts";
export { type Env, envSchema, parseEnv } from "./env.ts";
