CREATE TABLE `health_checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`checked_at_ms` integer NOT NULL,
	`status` text NOT NULL,
	`duration_ms` integer NOT NULL,
	`results` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `health_checks_by_time` ON `health_checks` (`checked_at_ms`);