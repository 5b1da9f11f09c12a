/** The dashboard: every page module registered on one router, which the app mounts beside the API. */
import type { AppFetch } from "./api-client.js";
import { Pages } from "./pages.js";
import { analyticsPages } from "./pages/analytics.js";
import { backupsPages } from "./pages/backups.js";
import { healthPages } from "./pages/health.js";
import { instrumentPages } from "./pages/instrument.js";
import { modelsPages } from "./pages/models.js";
import { overviewPages } from "./pages/overview.js";
import { riskPages } from "./pages/risk.js";
import { sessionPages } from "./pages/session.js";
import { tasksPages } from "./pages/tasks.js";
import { tradesPages } from "./pages/trades.js";
import { usersPages } from "./pages/users.js";

export function dashboardRoutes(appFetch: AppFetch): Pages["app"] {
  const pages = new Pages(appFetch);
  for (const register of [sessionPages, overviewPages, instrumentPages, tradesPages, analyticsPages, modelsPages, tasksPages, healthPages, backupsPages, riskPages, usersPages]) {
    register(pages);
  }
  return pages.app;
}
