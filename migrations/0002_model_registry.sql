CREATE TABLE `models` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`symbol` text NOT NULL,
	`timeframe` text NOT NULL,
	`version` text NOT NULL,
	`model_kind` text NOT NULL,
	`status` text NOT NULL,
	`feature_spec` text NOT NULL,
	`input_width` integer NOT NULL,
	`label` text NOT NULL,
	`class_labels` text NOT NULL,
	`held_out` text NOT NULL,
	`parent_version` text,
	`onnx_sha256` text NOT NULL,
	`onnx_bytes` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	`uploaded_at_ms` integer NOT NULL,
	`uploaded_by` text NOT NULL,
	`deployed_at_ms` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `models_symbol_version` ON `models` (`symbol`,`version`);--> statement-breakpoint
CREATE INDEX `models_by_slot` ON `models` (`symbol`,`timeframe`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `models_one_champion` ON `models` (`symbol`,`timeframe`) WHERE status = 'champion';--> statement-breakpoint
CREATE UNIQUE INDEX `models_one_shadow` ON `models` (`symbol`,`timeframe`) WHERE status = 'shadow';--> statement-breakpoint
CREATE TABLE `model_deployments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`symbol` text NOT NULL,
	`timeframe` text NOT NULL,
	`sequence` integer NOT NULL,
	`event` text NOT NULL,
	`model_id` integer NOT NULL,
	`replaced_model_id` integer,
	`previous_champion_event_id` integer,
	`actor` text NOT NULL,
	`reason` text,
	`decision` text,
	`at_ms` integer NOT NULL,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`replaced_model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_deployments_slot_sequence` ON `model_deployments` (`symbol`,`timeframe`,`sequence`);--> statement-breakpoint
CREATE INDEX `model_deployments_by_symbol` ON `model_deployments` (`symbol`,`id`);--> statement-breakpoint
