/**
 * The health, backups, and users & API keys pages through the dashboard's own forms: a health check run from the
 * page shows its real report; a backup taken and verified from the page; restore refused on a database that holds
 * data (409) and for a corrupt backup (422), both explained; users created, re-roled, disabled and enabled; an API
 * key created (its secret shown once) and revoked; and every control hidden from, and refused to, lower roles.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { tableFileKey } from "../../core/backups/manifest.js";
import type { User } from "../../core/schemas/auth.js";
import type { TaskRecord } from "../../core/schemas/tasks.js";
import { getPage, htmxPost, logIn, logInAs, textOf } from "./dashboard-support.js";
import { drainOutbox } from "./drain-outbox.js";
import { freshState } from "./fresh-state.js";
import { bearer, call, loginAs, postJson } from "./http.js";
import { waitForStatus } from "./task-support.js";

beforeEach(freshState);

const account = () => env.ACCOUNT_DO.get(env.ACCOUNT_DO.idFromName("default"));
const has = (html: string, id: string): boolean => html.includes(`id="${id}"`);

function taskIdIn(html: string): string {
  const id = /data-task-id="(tsk_[0-9a-f]{32})"/.exec(html)?.[1];
  if (id === undefined) throw new Error(`no task id in ${textOf(html)}`);
  return id;
}

async function adminToken(): Promise<string> {
  return (await loginAs()).access_token;
}

describe("health page", () => {
  it("runs a health check from the page and then shows its report, checks and remediation", async () => {
    const admin = await logIn();
    const empty = await getPage(admin, "/system/health");
    expect(empty.status).toBe(200);
    expect(textOf(empty.html)).toContain("No health check has run yet");
    expect(has(empty.html, "health-run-button")).toBe(true);

    const run = await htmxPost(admin, "/system/health/run", {}, { currentUrl: "/system/health" });
    expect(run.status, run.html).toBe(200);
    expect(textOf(run.html)).toContain("Health check queued as task");
    const taskId = taskIdIn(run.html);
    const done = await waitForStatus(taskId, ["succeeded", "failed", "dead"]);
    expect(done.status).toBe("succeeded");
    const reportId = (done.result as { reportId: number; status: string }).reportId;

    const page = await getPage(admin, "/system/health");
    const text = textOf(page.html);
    expect(text).toContain(`Latest report #${reportId}`);
    for (const check of ["d1", "r2.backups", "account", "queue.backlog", "feed.XAUUSD", "model.XAUUSD"]) expect(text).toContain(check);
    expect(text).toContain("trading ACTIVE: account opened");
    expect(text).toMatch(/\d+ ms/);
    expect(text).toContain(`Decided by task ${taskId} (trigger api)`);
    expect(text).toContain("Public probe (GET /health)");
    expect(text).toContain("HTTP 200");
    // The worst status of the stored report is the one shown, and the probe reports the same check.
    const status = (done.result as { status: string }).status;
    expect(page.html).toMatch(new RegExp(`Status</dt><dd><span class="badge badge-\\w+">${status}</span>`));

    const history = await getPage(admin, "/system/health/history", { htmx: true });
    expect(history.html).toMatch(/^<div id="health-history"[^>]*hx-trigger="every 15s"/);
    expect(textOf(history.html)).toContain(status);
    const other = ["ok", "degraded", "critical"].find((s) => s !== status);
    const filtered = await getPage(admin, `/system/health/history?status=${other}`, { htmx: true });
    expect(textOf(filtered.html)).toContain(`No ${other} reports.`);
  });

  it("shows a viewer the health page without the run button and refuses its run", async () => {
    const viewer = await logInAs("viewer");
    const page = await getPage(viewer, "/system/health");
    expect(page.status).toBe(200);
    expect(has(page.html, "health-run-button")).toBe(false);
    const run = await htmxPost(viewer, "/system/health/run");
    expect(run.status).toBe(403);
    const tasks = await call("/api/v1/tasks?type=health_check");
    expect(((await tasks.json()) as { tasks: TaskRecord[] }).tasks).toEqual([]);
  });
});

describe("backups page", () => {
  it("takes a backup from the page, lists it with its figures, shows its manifest and verifies it", async () => {
    const admin = await logIn();
    const page = await getPage(admin, "/backups");
    expect(textOf(page.html)).toContain("No backup has been taken yet.");
    expect(has(page.html, "take-backup-button")).toBe(true);

    const take = await htmxPost(admin, "/backups", { reason: "before the drill", includeModels: "on" });
    expect(take.status, take.html).toBe(202);
    expect(take.headers.get("hx-trigger")).toBe("backups-changed");
    const done = await waitForStatus(taskIdIn(take.html), ["succeeded", "failed", "dead"]);
    expect(done.status).toBe("succeeded");
    const backupId = (done.result as { backupId: string }).backupId;

    const list = await getPage(admin, "/backups/list", { htmx: true });
    const listText = textOf(list.html);
    expect(listText).toContain(backupId);
    expect(listText).toContain("before the drill");
    expect(listText).toContain("completed");
    expect(listText).toContain("not verified");
    expect(listText).toMatch(/\d+(\.\d)? (B|KiB)/);

    const detail = await getPage(admin, `/backups/${backupId}`);
    expect(detail.status).toBe(200);
    const detailText = textOf(detail.html);
    expect(detailText).toContain("Table files of the backup");
    for (const table of ["users", "audit_log", "tasks"]) expect(detailText).toContain(table);
    expect(has(detail.html, "restore-backup-button")).toBe(true);
    expect(detail.html).toContain(`pattern="${backupId}"`);
    expect(detail.html).toContain("hx-confirm=");

    const verified = await htmxPost(admin, `/backups/${backupId}/verify`);
    expect(verified.status, verified.html).toBe(200);
    expect(textOf(verified.html)).toMatch(new RegExp(`Backup ${backupId} verified at .*Every file matches the manifest\\.`));
    const after = textOf((await getPage(admin, "/backups/list", { htmx: true })).html);
    expect(after).not.toContain("not verified");
    expect(after).toMatch(/ ok \d{4}-\d{2}-\d{2} /);
  });

  it("explains a restore refused on a database that holds data (409) and on a corrupt backup (422)", async () => {
    const admin = await logIn();
    // Data of this deployment: a risk event in D1.
    expect((await postJson("/api/v1/risk/emergency-stop", { reason: "seed" }, bearer(await adminToken()))).status).toBe(200);
    await drainOutbox(account(), () => account().outboxPending());
    const done = await waitForStatus(taskIdIn((await htmxPost(admin, "/backups", { includeModels: "on" })).html), ["succeeded", "failed", "dead"]);
    const backupId = (done.result as { backupId: string }).backupId;

    const unconfirmed = await htmxPost(admin, `/backups/${backupId}/restore`, { confirm: "" });
    expect(unconfirmed.status).toBe(400);
    expect(textOf(unconfirmed.html)).toContain("Type the backup id");
    const mistyped = await htmxPost(admin, `/backups/${backupId}/restore`, { confirm: "bkp_20200101T000000Z_00000000" });
    expect(mistyped.status).toBe(400);
    expect(textOf(mistyped.html)).toMatch(/Restore refused ?: confirm must repeat the backup id/);

    const notEmpty = await htmxPost(admin, `/backups/${backupId}/restore`, { confirm: backupId });
    expect(notEmpty.status, notEmpty.html).toBe(409);
    const notEmptyText = textOf(notEmpty.html);
    expect(notEmptyText).toContain("Restore refused: the database is not empty.");
    expect(notEmptyText).toMatch(/risk_events \d+/);

    await env.BACKUPS.put(tableFileKey(backupId, "risk_events"), "not gzip at all");
    const corrupt = await htmxPost(admin, `/backups/${backupId}/verify`);
    expect(corrupt.status).toBe(200);
    expect(textOf(corrupt.html)).toContain(`Backup ${backupId} is corrupt`);
    expect(textOf(corrupt.html)).toContain(tableFileKey(backupId, "risk_events"));
    const refused = await htmxPost(admin, `/backups/${backupId}/restore`, { confirm: backupId });
    expect(refused.status).toBe(422);
    expect(textOf(refused.html)).toContain("Restore refused: the backup is corrupt.");
    expect(textOf(refused.html)).toContain(tableFileKey(backupId, "risk_events"));
    expect(textOf((await getPage(admin, "/backups/list", { htmx: true })).html)).toContain("corrupt");
  });

  it("lets a viewer read backups without take, verify or restore controls, and refuses its forms", async () => {
    const admin = await logIn();
    const done = await waitForStatus(taskIdIn((await htmxPost(admin, "/backups", {})).html), ["succeeded", "failed", "dead"]);
    const backupId = (done.result as { backupId: string }).backupId;
    const viewer = await logInAs("viewer");
    const page = await getPage(viewer, "/backups");
    expect(textOf(page.html)).toContain(backupId);
    expect(has(page.html, "take-backup-button")).toBe(false);
    expect(page.html).not.toContain("/verify");
    const detail = await getPage(viewer, `/backups/${backupId}`);
    expect(detail.status).toBe(200);
    expect(textOf(detail.html)).toContain("Table files of the backup");
    expect(has(detail.html, "restore-backup-button")).toBe(false);
    expect(has(detail.html, "verify-backup-button")).toBe(false);
    for (const path of ["/backups", `/backups/${backupId}/verify`, `/backups/${backupId}/restore`]) {
      expect((await htmxPost(viewer, path, { confirm: backupId })).status, path).toBe(403);
    }
    expect((await getPage(viewer, "/backups/bkp_20200101T000000Z_00000000")).status).toBe(404);
  });
});

describe("users and API keys page", () => {
  async function users(): Promise<User[]> {
    const response = await call("/api/v1/users", {}, bearer(await adminToken()));
    return ((await response.json()) as { users: User[] }).users;
  }

  it("creates a user, changes its role, disables and enables it", async () => {
    const admin = await logIn();
    const created = await htmxPost(admin, "/admin/users", { username: "desk-anna", password: "anna-password-0123", role: "viewer" });
    expect(created.status, created.html).toBe(201);
    expect(created.headers.get("hx-trigger")).toBe("users-changed");
    expect(textOf(created.html)).toContain("User desk-anna created with the role viewer.");
    expect(textOf((await getPage(admin, "/admin/users/list", { htmx: true })).html)).toContain("desk-anna");
    const anna = (await users()).find((u) => u.username === "desk-anna");
    expect(anna).toMatchObject({ role: "viewer", disabled: false });

    const promoted = await htmxPost(admin, `/admin/users/${anna!.id}/update`, { action: "role", role: "trader" });
    expect(promoted.status, promoted.html).toBe(200);
    expect(textOf(promoted.html)).toContain("desk-anna is now trader");
    expect((await users()).find((u) => u.id === anna!.id)?.role).toBe("trader");

    const disabled = await htmxPost(admin, `/admin/users/${anna!.id}/update`, { action: "disable" });
    expect(textOf(disabled.html)).toContain("desk-anna is disabled");
    expect((await users()).find((u) => u.id === anna!.id)?.disabled).toBe(true);
    expect((await postJson("/auth/login", { username: "desk-anna", password: "anna-password-0123" }, "anonymous")).status).not.toBe(200);
    const disabledList = (await getPage(admin, "/admin/users/list", { htmx: true })).html;
    expect(textOf(disabledList)).toMatch(/desk-anna .*disabled/);
    expect(disabledList).toContain('aria-label="Enable desk-anna"');
    expect(disabledList).not.toContain('aria-label="Disable desk-anna"');

    const enabled = await htmxPost(admin, `/admin/users/${anna!.id}/update`, { action: "enable" });
    expect(textOf(enabled.html)).toContain("desk-anna is enabled again");
    expect((await postJson("/auth/login", { username: "desk-anna", password: "anna-password-0123" }, "anonymous")).status).toBe(200);

    const audit = textOf((await getPage(admin, "/admin/users/audit", { htmx: true })).html);
    expect(audit).toContain("POST /api/v1/users");
    expect(audit).toContain("PATCH /api/v1/users/:id");
  });

  it("shows the API's field errors for a bad user, a taken name, and refuses an admin demoting themself", async () => {
    const admin = await logIn();
    const bad = await htmxPost(admin, "/admin/users", { username: "x", password: "short", role: "viewer" });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('id="new-user-password-error"');
    expect(bad.html).toContain('id="new-user-username-error"');
    expect(textOf(bad.html)).toContain("at least 12 characters");
    expect(bad.html).toContain('value="x"');
    expect((await users()).map((u) => u.username)).not.toContain("x");

    await htmxPost(admin, "/admin/users", { username: "desk-ben", password: "ben-password-0123", role: "viewer" });
    const taken = await htmxPost(admin, "/admin/users", { username: "Desk-Ben", password: "ben-password-0123", role: "viewer" });
    expect(taken.status).toBe(409);
    expect(textOf(taken.html)).toMatch(/Creating the user refused ?: username 'desk-ben' is taken/);

    const self = (await users()).find((u) => u.role === "admin")!;
    const list = (await getPage(admin, "/admin/users/list", { htmx: true })).html;
    const selfRow = list.slice(list.indexOf(`data-user-id="${self.id}"`), list.indexOf("</tr>", list.indexOf(`data-user-id="${self.id}"`)));
    expect(textOf(selfRow)).toContain("you");
    expect(selfRow).not.toContain("Change role");
    expect(selfRow).not.toContain("Disable");
    const demoted = await htmxPost(admin, `/admin/users/${self.id}/update`, { action: "role", role: "viewer" });
    expect(demoted.status).toBe(422);
    expect(textOf(demoted.html)).toContain("an admin cannot disable or demote themselves");
  });

  it("creates an API key, shows it once, and revokes it", async () => {
    const admin = await logIn();
    const created = await htmxPost(admin, "/admin/users/keys", { name: "MT5 bridge London", role: "trader", scopes: "read" });
    expect(created.status, created.html).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    expect(textOf(created.html)).toContain("Copy it now, it is not shown again");
    const key = /id="new-api-key"[^>]*value="(ak_[^"]+)"|value="(ak_[^"]+)"[^>]*id="new-api-key"/.exec(created.html)?.slice(1).find(Boolean);
    expect(key).toBeDefined();
    expect((await call("/api/v1/backups", {}, { headers: { "x-api-key": key! } })).status).toBe(200);

    const list = await getPage(admin, "/admin/users/keys", { htmx: true });
    expect(textOf(list.html)).toContain("MT5 bridge London");
    expect(list.html).not.toContain(key!);
    expect((await getPage(admin, "/admin/users")).html).not.toContain(key!);

    const row = list.html.split("<tr data-key-id=").find((part) => part.includes("MT5 bridge London"));
    const keyId = /^"([^"]+)"/.exec(row ?? "")?.[1];
    expect(keyId).toBeDefined();
    const revoked = await htmxPost(admin, `/admin/users/keys/${keyId}/revoke`);
    expect(revoked.status, revoked.html).toBe(200);
    expect(textOf(revoked.html)).toContain("API key “MT5 bridge London”");
    expect(textOf(revoked.html)).toContain("is revoked");
    expect((await call("/api/v1/backups", {}, { headers: { "x-api-key": key! } })).status).toBe(401);
    expect(textOf((await getPage(admin, "/admin/users/keys", { htmx: true })).html)).toMatch(/MT5 bridge London .*revoked/);
  });

  it("shows the API's error for a key without scopes", async () => {
    const admin = await logIn();
    const refused = await htmxPost(admin, "/admin/users/keys", { name: "no scopes", role: "viewer" });
    expect(refused.status).toBe(400);
    expect(textOf(refused.html)).toContain("Creating the API key refused");
    expect(refused.html).toMatch(/<small class="field-error">[^<]+<\/small>/);
    expect(textOf((await getPage(admin, "/admin/users/keys", { htmx: true })).html)).not.toContain("no scopes");
  });

  it("refuses every users and keys form to a trader", async () => {
    const trader = await logInAs("trader");
    for (const path of ["/admin/users", "/admin/users/keys", "/admin/users/some-id/update", "/admin/users/keys/some-id/revoke"]) {
      expect((await htmxPost(trader, path, { username: "sneaky", password: "sneaky-password-0123", role: "admin", action: "role" })).status, path).toBe(403);
    }
    expect((await getPage(trader, "/admin/users/audit", { htmx: true })).status).toBe(403);
    expect((await users()).map((u) => u.username)).not.toContain("sneaky");
  });
});
