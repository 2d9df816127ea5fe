export { type DashboardOptions, registerDashboard } from "./register-dashboard.ts";
