CREATE TABLE `backups` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`schema_version` text,
	`tables` integer,
	`rows` integer,
	`bytes` integer,
	`model_files` integer,
	`manifest_sha256` text,
	`task_id` text,
	`reason` text,
	`created_at_ms` integer NOT NULL,
	`completed_at_ms` integer,
	`verified_at_ms` integer,
	`verify_status` text,
	`verify_detail` text,
	`restored_at_ms` integer,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `backups_by_created` ON `backups` (`created_at_ms`);--> statement-breakpoint
CREATE TABLE `notification_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at_ms` integer NOT NULL,
	`event` text NOT NULL,
	`severity` text NOT NULL,
	`channel` text NOT NULL,
	`channel_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`http_status` integer,
	`latency_ms` integer,
	`error` text,
	`task_id` text,
	`title` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notification_deliveries_by_channel_event` ON `notification_deliveries` (`channel`,`event`,`at_ms`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_by_time` ON `notification_deliveries` (`at_ms`);--> statement-breakpoint
CREATE TABLE `task_dependencies` (
	`task_id` text NOT NULL,
	`depends_on_id` text NOT NULL,
	PRIMARY KEY(`task_id`, `depends_on_id`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`depends_on_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `task_dependencies_by_dependency` ON `task_dependencies` (`depends_on_id`);--> statement-breakpoint
CREATE TABLE `task_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` text NOT NULL,
	`at_ms` integer NOT NULL,
	`kind` text NOT NULL,
	`from_status` text,
	`to_status` text,
	`attempt` integer NOT NULL,
	`actor` text NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `task_events_by_task` ON `task_events` (`task_id`,`id`);--> statement-breakpoint
CREATE INDEX `task_events_by_time` ON `task_events` (`at_ms`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`priority` integer NOT NULL,
	`payload` text NOT NULL,
	`dependency_policy` text NOT NULL,
	`attempts` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`run_after_ms` integer NOT NULL,
	`timeout_ms` integer NOT NULL,
	`lease_token` text,
	`lease_owner` text,
	`lease_expires_at_ms` integer,
	`result` text,
	`error` text,
	`parent_task_id` text,
	`dedupe_key` text,
	`created_by` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`started_at_ms` integer,
	`finished_at_ms` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_dedupe_key_unique` ON `tasks` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `tasks_by_created` ON `tasks` (`created_at_ms`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_by_status_type` ON `tasks` (`status`,`type`,`priority`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `tasks_by_lease` ON `tasks` (`status`,`lease_expires_at_ms`);