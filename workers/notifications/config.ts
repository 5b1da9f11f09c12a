/** The notification configuration of this isolate, parsed once from NOTIFICATIONS. */
import { parseNotificationConfig, type NotificationConfig } from "../../core/notifications/config.js";
import { platformOf } from "../platform.js";

const cache = new WeakMap<object, NotificationConfig>();

/**
 * Reads and validates NOTIFICATIONS once per isolate (per `env` object, as platformOf does); a bad value throws a
 * ConfigError naming each problem, on every call, until the variable is fixed.
 */
export function notificationConfigOf(env: Env): NotificationConfig {
  const cached = cache.get(env);
  if (cached) return cached;
  const config = parseNotificationConfig(platformOf(env).config.tasks.notificationsJson);
  cache.set(env, config);
  return config;
}
