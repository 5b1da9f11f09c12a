/** The processor of every queue-run task type (model_training is run by the Node trainer daemon instead). */
import type { TaskType } from "../../../core/schemas/tasks.js";
import type { TaskProcessor } from "../processor.js";
import { runBacktestTask } from "./backtest.js";
import { runDataBackup } from "./data-backup.js";
import { runDatabaseMaintenance } from "./database-maintenance.js";
import { runHealthCheckTask } from "./health-check.js";
import { runModelDeploy } from "./model-deploy.js";
import { runModelEvaluation } from "./model-evaluation.js";
import { runNotification } from "./notification.js";
import { runSystemCleanup } from "./system-cleanup.js";

export type QueueTaskType = Exclude<TaskType, "model_training">;

export const PROCESSORS: { readonly [T in QueueTaskType]: TaskProcessor<T> } = {
  model_deploy: runModelDeploy,
  model_evaluation: runModelEvaluation,
  data_backup: runDataBackup,
  health_check: runHealthCheckTask,
  system_cleanup: runSystemCleanup,
  database_maintenance: runDatabaseMaintenance,
  backtest: runBacktestTask,
  notification: runNotification,
};
