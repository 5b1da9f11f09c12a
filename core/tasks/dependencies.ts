/** When a task may run, judged from its dependencies' statuses. */
import { isTerminal, type TaskStatus } from "../schemas/tasks.js";

export type Readiness =
  | { readonly kind: "ready" }
  | { readonly kind: "waiting" }
  | { readonly kind: "blocked"; readonly dependencyId: string; readonly dependencyStatus: TaskStatus };

/**
 * ready: every dependency succeeded (or there are none) · blocked: one ended without succeeding (failed, dead or
 * cancelled), named · waiting: otherwise.
 * @example readiness([{ id: "a", status: "succeeded" }, { id: "b", status: "running" }]) // { kind: "waiting" }
 */
export function readiness(dependencies: readonly { readonly id: string; readonly status: TaskStatus }[]): Readiness {
  const blocker = dependencies.find((d) => isTerminal(d.status) && d.status !== "succeeded");
  if (blocker) return { kind: "blocked", dependencyId: blocker.id, dependencyStatus: blocker.status };
  return dependencies.every((d) => d.status === "succeeded") ? { kind: "ready" } : { kind: "waiting" };
}
