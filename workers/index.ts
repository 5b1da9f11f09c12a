/** Worker entry: HTTP (API), queue consumer and cron; exports the Durable Object classes. */
import { createApp } from "./app.js";
import { onSchedule } from "./cron/schedules.js";
import { consumeTasks } from "./tasks/consumer.js";

export { AccountDO } from "../durable-objects/account-do.js";
export { InstrumentDO } from "../durable-objects/instrument-do.js";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, _ctx) => consumeTasks(batch, env),
  scheduled: (controller, env, _ctx) => onSchedule(controller, env),
} satisfies ExportedHandler<Env, unknown>;
