CREATE TABLE `fills` (
	`id` text PRIMARY KEY NOT NULL,
	`position_id` text NOT NULL,
	`account_id` text NOT NULL,
	`symbol` text NOT NULL,
	`side` text NOT NULL,
	`kind` text NOT NULL,
	`lots` real NOT NULL,
	`ts_ms` integer NOT NULL,
	`quote_price` real NOT NULL,
	`price` real NOT NULL,
	`slippage_usd` real NOT NULL,
	`commission_usd` real NOT NULL,
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `fills_by_position` ON `fills` (`position_id`);--> statement-breakpoint
CREATE TABLE `risk_events` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`ts_ms` integer NOT NULL,
	`kind` text NOT NULL,
	`severity` text NOT NULL,
	`symbol` text,
	`code` text,
	`message` text NOT NULL,
	`context` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `risk_events_by_time` ON `risk_events` (`ts_ms`,`id`);--> statement-breakpoint
CREATE INDEX `risk_events_by_severity_time` ON `risk_events` (`severity`,`ts_ms`,`id`);--> statement-breakpoint
CREATE TABLE `signals` (
	`id` text PRIMARY KEY NOT NULL,
	`symbol` text NOT NULL,
	`timeframe` text NOT NULL,
	`ts_ms` integer NOT NULL,
	`role` text NOT NULL,
	`model_version` text NOT NULL,
	`action` text NOT NULL,
	`confidence` real NOT NULL,
	`probabilities` text NOT NULL,
	`regime` text NOT NULL,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `signals_by_symbol_time` ON `signals` (`symbol`,`ts_ms`);--> statement-breakpoint
CREATE TABLE `trades` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`symbol` text NOT NULL,
	`side` text NOT NULL,
	`lots` real NOT NULL,
	`units` real NOT NULL,
	`entry_ts_ms` integer NOT NULL,
	`entry_price` real NOT NULL,
	`exit_ts_ms` integer NOT NULL,
	`exit_price` real NOT NULL,
	`exit_reason` text NOT NULL,
	`stop_price` real,
	`initial_stop_price` real,
	`target_price` real,
	`gross_pnl_usd` real NOT NULL,
	`commission_usd` real NOT NULL,
	`slippage_usd` real NOT NULL,
	`net_pnl_usd` real NOT NULL,
	`mae_usd` real NOT NULL,
	`mfe_usd` real NOT NULL,
	`r_multiple` real,
	`holding_ms` integer NOT NULL,
	`strategy` text NOT NULL,
	`signal_ts_ms` integer,
	`model_version` text,
	`confidence` real,
	`regime` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `trades_by_exit` ON `trades` (`exit_ts_ms`,`id`);--> statement-breakpoint
CREATE INDEX `trades_by_symbol_exit` ON `trades` (`symbol`,`exit_ts_ms`,`id`);