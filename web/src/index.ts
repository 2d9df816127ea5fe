export { SUMMARY_TTL_MS } from "./cache-summary.ts";
export { type DashboardOptions, registerDashboard } from "./register-dashboard.ts";
