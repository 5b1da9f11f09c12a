/**
 * Backups (`/backups`): the registry (time, kind, status, tables, rows, size, verification), refreshed every 15 s,
 * and each backup's manifest (`/backups/{id}`). Admins take a backup (a data_backup task), verify one (the outcome
 * with every problem found), and restore one into an empty database behind a strong confirmation; the API's
 * refusals (409 database not empty, 422 corrupt or failed backup) are explained where the action was asked.
 */
import { z } from "zod";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BackupProblemSchema, type BackupProblem } from "../../../core/backups/verification.js";
import { backupIdTimeMs } from "../../../core/backups/manifest.js";
import { formatBytes, formatNumber, formatUtc } from "../../../core/display/format.js";
import {
  BACKUP_STATUSES,
  BackupDetailSchema,
  BackupIdSchema,
  BackupPageSchema,
  BackupTaskCreatedSchema,
  BackupVerificationSchema,
  RestoreResultSchema,
  type BackupRecord,
  type BackupStatus,
  type BackupVerification,
  type RestoreResult,
} from "../../../core/schemas/backups.js";
import { allows } from "../../http/access.js";
import { withQuery, type ApiFailure } from "../api-client.js";
import { ApiError, Badge, Field, FilterSelect, FilterToolbar, ListPager, Notice, Num, Panel, Refused, Stat, Table, Time, ValueBadge, type ListFragment, type Tone } from "../components.js";
import { isHtmx, type DashboardContext } from "../page-access.js";
import { render, type Pages } from "../pages.js";

const READ = { role: "viewer", scope: "read" } as const;
const ADMIN = { role: "admin" } as const;

const PAGE_PATH = "/backups";
const LIST_PATH = "/backups/list";
/** A backup's page; the pattern keeps it apart from the list fragment. */
const DETAIL_PATH = "/backups/:id{bkp_[0-9A-Za-z_]+}";
const VERIFY_PATH = "/backups/:id{bkp_[0-9A-Za-z_]+}/verify";
const RESTORE_PATH = "/backups/:id{bkp_[0-9A-Za-z_]+}/restore";

/** The registry list, refreshed and filtered in place. */
const LIST: ListFragment = { id: "backup-list", page: PAGE_PATH, fragment: LIST_PATH };

/** Backups per page of the list. */
const LIST_PAGE_SIZE = 25;
/** The event the list reloads on after an action changed the registry. */
const CHANGED_EVENT = "backups-changed";

const STATUS_TONE: Record<BackupStatus, Tone> = { running: "info", completed: "ok", failed: "bad", deleted: "neutral" };

const ListQuerySchema = z.object({
  status: z.enum(BACKUP_STATUSES).optional().catch(undefined),
  before: BackupIdSchema.optional().catch(undefined),
});
type ListQuery = z.infer<typeof ListQuerySchema>;

const TakeFormSchema = z.object({
  includeModels: z.string().optional(),
  reason: z.string().max(2_000).optional(),
});

const RestoreFormSchema = z.object({ confirm: z.string().max(200).default("") });

/** What a 409 restore refusal names: the tables that hold rows. */
const NotEmptyDetailsSchema = z.object({ tables: z.array(z.object({ name: z.string(), rows: z.number() })) });
/** What a 422 restore or verify refusal of a corrupt backup names: its problems. */
const ProblemsDetailsSchema = z.object({ problems: z.array(BackupProblemSchema) });

const backupHref = (id: string): string => `/backups/${id}`;

function Bytes(props: { bytes: number | null }) {
  return <span class="num">{formatBytes(props.bytes)}</span>;
}

function VerificationCell(props: { backup: BackupRecord }) {
  const { verifyStatus, verifiedAtMs } = props.backup;
  if (verifyStatus === null) return <span class="muted">not verified</span>;
  return (
    <>
      <Badge tone={verifyStatus === "ok" ? "ok" : "bad"}>{verifyStatus}</Badge> <Time ms={verifiedAtMs} />
    </>
  );
}

/** A short hash with the whole one in its title. */
function Hash(props: { sha256: string | null }) {
  if (props.sha256 === null) return <span class="muted">—</span>;
  return (
    <code title={props.sha256} class="hash">
      {props.sha256.slice(0, 12)}…
    </code>
  );
}

function failureStatus(failure: ApiFailure): ContentfulStatusCode {
  return failure.status as ContentfulStatusCode;
}

// ---------------------------------------------------------------------------------------------------------------
// The list

async function loadList(c: DashboardContext, query: ListQuery) {
  return c.get("api").get("/api/v1/backups", BackupPageSchema, { limit: LIST_PAGE_SIZE, status: query.status, before: query.before });
}

function BackupList(props: { query: ListQuery; result: Awaited<ReturnType<typeof loadList>>; canVerify: boolean }) {
  const { query, result } = props;
  return (
    <div id={LIST.id} hx-get={withQuery(LIST_PATH, query)} hx-trigger={`every 15s, ${CHANGED_EVENT} from:body`} hx-swap="outerHTML">
      <FilterToolbar list={LIST}>
        <FilterSelect label="Status" id="backup-status-filter" name="status" value={query.status} any="Any status" options={BACKUP_STATUSES} />
      </FilterToolbar>
      {!result.ok ? (
        <ApiError failure={result} what="the backups" />
      ) : (
        <>
          <Table
            caption="Backups, newest first"
            head={["Backup", "Kind", "Status", "Started", "Completed", "Tables", "Rows", "Size", "Model files", "Verification", ...(props.canVerify ? ["Actions"] : [])]}
            numeric={[5, 6, 7, 8]}
            empty={query.status ? `No ${query.status} backups${query.before ? " on this page" : ""}.` : "No backup has been taken yet."}
            rows={result.value.backups.map((backup) => (
              <tr>
                <th scope="row">
                  <a href={backupHref(backup.id)}>
                    <code>{backup.id}</code>
                  </a>
                  {backup.reason ? <div class="muted">{backup.reason}</div> : null}
                </th>
                <td>{backup.kind}</td>
                <td>
                  <ValueBadge value={backup.status} tones={STATUS_TONE} />
                  {backup.error ? <div class="muted">{backup.error}</div> : null}
                </td>
                <td>
                  <Time ms={backup.createdAtMs} />
                </td>
                <td>
                  <Time ms={backup.completedAtMs} />
                </td>
                <td class="num">
                  <Num value={backup.tables} decimals={0} />
                </td>
                <td class="num">
                  <Num value={backup.rows} decimals={0} />
                </td>
                <td class="num">
                  <Bytes bytes={backup.bytes} />
                </td>
                <td class="num">
                  <Num value={backup.modelFiles} decimals={0} />
                </td>
                <td>
                  <VerificationCell backup={backup} />
                </td>
                {props.canVerify ? (
                  <td>
                    {backup.status === "completed" ? (
                      <button
                        type="button"
                        class="button"
                        aria-label={`Verify ${backup.id}`}
                        hx-post={`${backupHref(backup.id)}/verify`}
                        hx-target="#backup-action-result"
                        hx-swap="innerHTML"
                      >
                        Verify
                      </button>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          />
          <ListPager
            list={LIST}
            label="Backup pages"
            filters={{ status: query.status }}
            cursor={{ name: "before", current: query.before, next: result.value.nextBefore }}
            older="Older backups"
          />
          {result.value.unregistered.length > 0 ? (
            <div class="alert alert-warn" role="status">
              <strong>In the bucket but not in the registry</strong> (e.g. after the database was lost); they can still be verified and
              restored:{" "}
              <ul>
                {result.value.unregistered.map((id) => (
                  <li>
                    <a href={backupHref(id)}>
                      <code>{id}</code>
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}

function TakeBackupForm() {
  return (
    <form hx-post={PAGE_PATH} hx-target="#backup-action-result" hx-swap="innerHTML">
      <div class="form-grid">
        <Field label="Reason (optional)" for="backup-reason" hint="Recorded on the backup, up to 500 characters.">
          <input id="backup-reason" name="reason" maxlength={500} autocomplete="off" />
        </Field>
        <div class="field">
          <span class="checkbox-field">
            <input type="checkbox" id="backup-include-models" name="includeModels" value="on" checked />
            <label for="backup-include-models">Copy the model files too</label>
          </span>
        </div>
      </div>
      <div class="actions">
        <button type="submit" class="button button-primary" id="take-backup-button">
          Take a backup now
        </button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Verification and restore outcomes

function ProblemsTable(props: { problems: readonly BackupProblem[]; caption: string }) {
  return (
    <Table
      caption={props.caption}
      head={["File", "Problem", "Expected", "Found", "Detail"]}
      empty="No problems."
      rows={props.problems.map((problem) => (
        <tr>
          <td>
            <code>{problem.key}</code>
          </td>
          <td>{problem.kind}</td>
          <td>{problem.expected === null ? <span class="muted">—</span> : <code>{String(problem.expected)}</code>}</td>
          <td>{problem.actual === null ? <span class="muted">—</span> : <code>{String(problem.actual)}</code>}</td>
          <td>{problem.message}</td>
        </tr>
      ))}
    />
  );
}

function VerificationOutcome(props: { verification: BackupVerification }) {
  const v = props.verification;
  if (v.status === "ok") {
    return (
      <Notice tone="ok">
        Backup <code>{v.backupId}</code> verified at <Time ms={v.checkedAtMs} />: {formatNumber(v.files, 0)} files, {formatNumber(v.rows, 0)} rows and{" "}
        {formatBytes(v.bytes)} read back in {formatNumber(v.durationMs, 0)} ms. Every file matches the manifest.
      </Notice>
    );
  }
  return (
    <>
      <Notice tone="bad">
        Backup <code>{v.backupId}</code> is <strong>corrupt</strong>: {v.problems.length} problem{v.problems.length === 1 ? "" : "s"} found at{" "}
        <Time ms={v.checkedAtMs} />. It cannot be restored.
      </Notice>
      <ProblemsTable problems={v.problems} caption={`Problems of backup ${v.backupId}`} />
    </>
  );
}

/** A refused verify or restore, explained: what the API said, and what its details name. */
function Refusal(props: { failure: ApiFailure; action: "verify" | "restore"; id: string }) {
  const { failure } = props;
  const notEmpty = NotEmptyDetailsSchema.safeParse(failure.error.details);
  const problems = ProblemsDetailsSchema.safeParse(failure.error.details);
  if (props.action === "restore" && failure.status === 409 && notEmpty.success) {
    return (
      <>
        <Notice tone="bad">
          <strong>Restore refused: the database is not empty.</strong> A backup is restored only into a fresh deployment's database. The API
          answered: {failure.error.message}
        </Notice>
        <Table
          caption="Tables that hold rows"
          head={["Table", "Rows"]}
          numeric={[1]}
          empty="No tables named."
          rows={notEmpty.data.tables.map((table) => (
            <tr>
              <td>
                <code>{table.name}</code>
              </td>
              <td class="num">
                <Num value={table.rows} decimals={0} />
              </td>
            </tr>
          ))}
        />
      </>
    );
  }
  if (failure.status === 422 && problems.success) {
    return (
      <>
        <Notice tone="bad">
          <strong>{props.action === "restore" ? "Restore refused: the backup is corrupt." : "The backup is corrupt."}</strong> The API answered:{" "}
          {failure.error.message}
        </Notice>
        <ProblemsTable problems={problems.data.problems} caption={`Problems of backup ${props.id}`} />
      </>
    );
  }
  return <Refused what={props.action === "restore" ? "Restore" : "Verification"} failure={failure} />;
}

function RestoreOutcome(props: { result: RestoreResult }) {
  const r = props.result;
  return (
    <>
      <Notice tone="ok">
        Backup <code>{r.backupId}</code> restored at <Time ms={r.restoredAtMs} />: {formatNumber(r.rows, 0)} rows into {r.tables.length} tables in{" "}
        {formatNumber(r.durationMs, 0)} ms ({formatNumber(r.statements, 0)} INSERT statements in {formatNumber(r.batches, 0)} batches); model files copied back{" "}
        {r.modelFiles.copied}, already present {r.modelFiles.present}. The users and
        sessions are now the backup's: log in again.
      </Notice>
      {r.registry === null ? (
        <Notice tone="warn">The data is restored, but the backup registry could not be brought in line with the bucket.</Notice>
      ) : null}
      <Table
        caption="Rows restored per table"
        head={["Table", "Rows inserted", "Bootstrap rows replaced"]}
        numeric={[1, 2]}
        empty="The backup held no tables."
        rows={r.tables.map((table) => (
          <tr>
            <td>
              <code>{table.name}</code>
            </td>
            <td class="num">
              <Num value={table.rows} decimals={0} />
            </td>
            <td class="num">
              <Num value={table.replacedRows} decimals={0} />
            </td>
          </tr>
        ))}
      />
    </>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The detail page

function DetailBody(props: { id: string; detail: z.infer<typeof BackupDetailSchema>; canAdmin: boolean }) {
  const { id, detail } = props;
  const backup = detail.backup;
  const lastProblems = backup?.verifyDetail ? ProblemsDetailsSchema.safeParse(backup.verifyDetail) : null;
  const restorable = detail.manifest !== null && (backup === null || backup.status === "completed");
  return (
    <div class="grid">
      <Panel title="Backup" id="backup-summary" wide>
        {backup === null ? (
          <Notice tone="warn">The registry has no row for this backup: only the BACKUPS bucket holds it (e.g. after the database was lost).</Notice>
        ) : (
          <dl class="stats">
            <Stat label="Status">
              <ValueBadge value={backup.status} tones={STATUS_TONE} />
            </Stat>
            <Stat label="Kind">{backup.kind}</Stat>
            <Stat label="Started">
              <Time ms={backup.createdAtMs} />
            </Stat>
            <Stat label="Completed">
              <Time ms={backup.completedAtMs} />
            </Stat>
            <Stat label="Tables">
              <Num value={backup.tables} decimals={0} />
            </Stat>
            <Stat label="Rows">
              <Num value={backup.rows} decimals={0} />
            </Stat>
            <Stat label="Size (compressed)">
              <Bytes bytes={backup.bytes} />
            </Stat>
            <Stat label="Model files">
              <Num value={backup.modelFiles} decimals={0} />
            </Stat>
            <Stat label="Schema version">{backup.schemaVersion ? <code class="hash">{backup.schemaVersion}</code> : <span class="muted">—</span>}</Stat>
            <Stat label="Last verification" hint={lastProblems?.success && lastProblems.data.problems.length > 0 ? `${lastProblems.data.problems.length} problems` : undefined}>
              <VerificationCell backup={backup} />
            </Stat>
            <Stat label="Restored here">
              <Time ms={backup.restoredAtMs} />
            </Stat>
            <Stat label="Task">{backup.taskId ? <code class="hash">{backup.taskId}</code> : <span class="muted">—</span>}</Stat>
          </dl>
        )}
        {backup?.reason ? <p>Reason: {backup.reason}</p> : null}
        {backup?.error ? <Notice tone="bad">Failed: {backup.error}</Notice> : null}
        {backup?.manifestSha256 ? (
          <p class="muted">
            Manifest SHA-256 <code class="hash-full">{backup.manifestSha256}</code>
          </p>
        ) : null}
      </Panel>
      <Panel title="Manifest" id="backup-manifest" wide>
        {detail.manifest === null ? (
          <p class="muted">
            {detail.manifestProblem
              ? `The stored manifest cannot be read: ${detail.manifestProblem}.`
              : "No manifest: the backup is still running, failed, or was deleted by retention."}
          </p>
        ) : (
          <>
            <p class="muted">
              Format {detail.manifest.formatVersion}, schema {detail.manifest.schemaVersion}, taken <Time ms={detail.manifest.createdAtMs} />. Tables in
              restore order.
            </p>
            <Table
              caption="Table files of the backup, in restore order"
              head={["Table", "Rows", "Size", "Columns", "SHA-256"]}
              numeric={[1, 2, 3]}
              empty="The backup holds no tables."
              rows={detail.manifest.tables.map((table) => (
                <tr>
                  <th scope="row">
                    <code>{table.name}</code>
                  </th>
                  <td class="num">
                    <Num value={table.rows} decimals={0} />
                  </td>
                  <td class="num">
                    <Bytes bytes={table.bytes} />
                  </td>
                  <td class="num" title={table.columns.join(", ")}>
                    <Num value={table.columns.length} decimals={0} />
                  </td>
                  <td>
                    <Hash sha256={table.sha256} />
                  </td>
                </tr>
              ))}
            />
            <h3>Model files</h3>
            <Table
              caption="Model files copied into the backup"
              head={["Model file", "Size", "SHA-256"]}
              numeric={[1]}
              empty="No model files were copied (none existed, or the backup was taken without them)."
              rows={detail.manifest.models.map((model) => (
                <tr>
                  <td>
                    <code>{model.sourceKey}</code>
                  </td>
                  <td class="num">
                    <Bytes bytes={model.bytes} />
                  </td>
                  <td>
                    <Hash sha256={model.sha256} />
                  </td>
                </tr>
              ))}
            />
          </>
        )}
      </Panel>
      {props.canAdmin ? (
        <Panel title="Verify" id="backup-verify" wide>
          <p>Re-reads and re-hashes every file of the backup and compares it with the manifest and the registry.</p>
          <div class="actions">
            <button type="button" class="button" id="verify-backup-button" hx-post={`${backupHref(id)}/verify`} hx-target="#backup-verify-result" hx-swap="innerHTML">
              Verify this backup
            </button>
          </div>
          <div id="backup-verify-result" aria-live="polite"></div>
        </Panel>
      ) : null}
      {props.canAdmin ? (
        <Panel title="Restore" id="backup-restore" wide>
          <div class="danger-zone">
            <p>
              Restores this backup into <strong>this database</strong>. The API verifies the backup first and refuses a corrupt one, and refuses a database
              whose tables already hold data: restore only into a fresh deployment. Afterwards the users and sessions are the backup's (log in again).
              Durable Object storage (ticks, bars, the account book) is not part of a backup.
            </p>
            {restorable ? (
              <form
                hx-post={`${backupHref(id)}/restore`}
                hx-target="#backup-restore-result"
                hx-swap="innerHTML"
                hx-confirm={`Restore backup ${id} into this database? This cannot be undone.`}
              >
                <Field label="Type the backup id to confirm" for="restore-confirm" hint={id}>
                  <input id="restore-confirm" name="confirm" required pattern={id} autocomplete="off" maxlength={200} />
                </Field>
                <div class="actions">
                  <button type="submit" class="button button-danger" id="restore-backup-button">
                    Restore this backup
                  </button>
                </div>
              </form>
            ) : (
              <p class="muted">This backup cannot be restored: it has no readable manifest or is not completed.</p>
            )}
            <div id="backup-restore-result" aria-live="polite"></div>
          </div>
        </Panel>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

export function backupsPages(pages: Pages): void {
  pages.get(PAGE_PATH, READ, async (c) => {
    const query = ListQuerySchema.parse(c.req.query());
    const result = await loadList(c, query);
    const principal = c.get("principal");
    const canTake = allows(principal, "POST /api/v1/backups");
    const canVerify = allows(principal, "POST /api/v1/backups/{id}/verify");
    return render(c, {
      title: "Backups",
      active: "backups",
      body: (
        <div class="grid">
          {canTake ? (
            <Panel title="Take a backup" id="backup-take" wide>
              <p class="muted">Runs a data_backup task: every D1 table (and, if chosen, the model files) into the BACKUPS bucket, manifest last.</p>
              <TakeBackupForm />
            </Panel>
          ) : null}
          <Panel title="Backups" id="backups-panel" wide>
            <div id="backup-action-result" aria-live="polite"></div>
            <BackupList query={query} result={result} canVerify={canVerify} />
          </Panel>
        </div>
      ),
    });
  });

  pages.get(LIST_PATH, READ, async (c) => {
    const query = ListQuerySchema.parse(c.req.query());
    const list = <BackupList query={query} result={await loadList(c, query)} canVerify={allows(c.get("principal"), "POST /api/v1/backups/{id}/verify")} />;
    if (!isHtmx(c)) return render(c, { title: "Backups", active: "backups", body: list });
    return c.html(list);
  });

  pages.get(DETAIL_PATH, READ, async (c) => {
    const id = c.req.param("id") ?? "";
    const detail = await c.get("api").get(`/api/v1/backups/${encodeURIComponent(id)}`, BackupDetailSchema);
    // The id has no break opportunity for a phone-width heading; its time (which the id names) does.
    const title = BackupIdSchema.safeParse(id).success ? `Backup of ${formatUtc(backupIdTimeMs(id))}` : "Backup";
    if (!detail.ok) {
      const status = detail.status === 404 || detail.status === 400 ? 404 : 502;
      return render(c, { title, active: "backups", body: <ApiError failure={detail} what={`backup ${id}`} /> }, status);
    }
    const canAdmin = allows(c.get("principal"), "POST /api/v1/backups/{id}/restore");
    return render(c, {
      title,
      active: "backups",
      body: (
        <>
          <p>
            <a href={PAGE_PATH}>← All backups</a>
          </p>
          <p>
            Backup <code class="hash-full">{id}</code>
          </p>
          <DetailBody id={id} detail={detail.value} canAdmin={canAdmin} />
        </>
      ),
    });
  });

  pages.post(PAGE_PATH, ADMIN, async (c) => {
    const form = TakeFormSchema.safeParse(await c.req.parseBody());
    if (!form.success) return c.html(<Notice tone="bad">The form was not understood; reload the page and try again.</Notice>, 400);
    const reason = form.data.reason?.trim() ?? "";
    const body = { includeModels: form.data.includeModels === "on", ...(reason === "" ? {} : { reason }) };
    const created = await c.get("api").send("POST", "/api/v1/backups", body, BackupTaskCreatedSchema);
    if (!created.ok) return c.html(<ApiError failure={created} />, failureStatus(created));
    const { task } = created.value;
    c.header("HX-Trigger", CHANGED_EVENT);
    return c.html(
      <Notice tone="ok">
        Backup queued as task <code class="hash" data-task-id={task.id}>{task.id}</code> ({body.includeModels ? "with" : "without"} model files). It appears in the list
        as running, then completed.
      </Notice>,
      202,
    );
  });

  pages.post(VERIFY_PATH, ADMIN, async (c) => {
    const id = c.req.param("id") ?? "";
    const verified = await c.get("api").send("POST", `/api/v1/backups/${encodeURIComponent(id)}/verify`, undefined, BackupVerificationSchema);
    c.header("HX-Trigger", CHANGED_EVENT);
    if (!verified.ok) return c.html(<Refusal failure={verified} action="verify" id={id} />, failureStatus(verified));
    return c.html(<VerificationOutcome verification={verified.value} />);
  });

  pages.post(RESTORE_PATH, ADMIN, async (c) => {
    const id = c.req.param("id") ?? "";
    const form = RestoreFormSchema.safeParse(await c.req.parseBody());
    const confirm = form.success ? form.data.confirm.trim() : "";
    if (confirm === "") {
      return c.html(<Notice tone="bad">Type the backup id ({id}) into the confirmation field to restore it.</Notice>, 400);
    }
    const restored = await c.get("api").send("POST", `/api/v1/backups/${encodeURIComponent(id)}/restore`, { confirm }, RestoreResultSchema);
    if (!restored.ok) return c.html(<Refusal failure={restored} action="restore" id={id} />, failureStatus(restored));
    return c.html(<RestoreOutcome result={restored.value} />);
  });
}
