/**
 * Users and API keys (`/admin/users`, admins): the users (role, created, disabled) with create, change role, set
 * password, disable and enable; the API keys with create (the key itself shown once) and revoke; and the audit log
 * of state-changing calls, paged. Every change goes through the admin API, so it is validated and audited there.
 */
import { z } from "zod";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  API_KEY_SCOPES,
  AUDIT_OUTCOMES,
  ApiKeyCreatedSchema,
  ApiKeySchema,
  AuditPageSchema,
  ROLES,
  UserSchema,
  type ApiKey,
  type AuditEntry,
  type Role,
  type User,
} from "../../../core/schemas/auth.js";
import { withQuery, type ApiFailure, type ApiResult } from "../api-client.js";
import {
  Age,
  ApiError,
  Badge,
  FilterSelect,
  FilterToolbar,
  ListPager,
  Notice,
  Panel,
  Refused,
  Table,
  Time,
  validationIssues,
  ValueBadge,
  type ListFragment,
  type Tone,
} from "../components.js";
import { isHtmx, type DashboardContext } from "../page-access.js";
import { render, type Pages } from "../pages.js";

const ADMIN = { role: "admin" } as const;

const PAGE_PATH = "/admin/users";
const USERS_LIST_PATH = "/admin/users/list";
const USER_UPDATE_PATH = "/admin/users/:id/update";
const KEYS_PATH = "/admin/users/keys";
const KEY_REVOKE_PATH = "/admin/users/keys/:id/revoke";
const AUDIT_PATH = "/admin/users/audit";

/** The audit log, refreshed and filtered in place. */
const AUDIT: ListFragment = { id: "audit-log", page: PAGE_PATH, fragment: AUDIT_PATH };

/** Audit entries per page. */
const AUDIT_PAGE_SIZE = 25;
const USERS_CHANGED = "users-changed";
const KEYS_CHANGED = "keys-changed";

const ROLE_TONE: Record<Role, Tone> = { viewer: "neutral", trader: "info", admin: "warn" };
const OUTCOME_TONE: Record<(typeof AUDIT_OUTCOMES)[number], Tone> = { success: "ok", denied: "warn", failed: "bad" };
const SCOPE_HINTS: Record<(typeof API_KEY_SCOPES)[number], string> = {
  read: "read data",
  ingest: "send ticks (bridges)",
  trade: "place and close orders (bots)",
  models: "manage the model registry (the trainer)",
};

const UsersAnswerSchema = z.object({ users: z.array(UserSchema) });
const KeysAnswerSchema = z.object({ keys: z.array(ApiKeySchema) });

const userUpdatePath = (id: string): string => `/admin/users/${encodeURIComponent(id)}/update`;
const keyRevokePath = (id: string): string => `${KEYS_PATH}/${encodeURIComponent(id)}/revoke`;

/** The API's `{ path, message }` validation issues, by field. */
function issuesByField(failure: ApiFailure | undefined): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  if (failure === undefined) return byField;
  for (const issue of validationIssues(failure)) byField.set(issue.path, [...(byField.get(issue.path) ?? []), issue.message]);
  return byField;
}

/** A choice of role with `role` selected; `label` names it when no <label> does (in a table row). */
function RoleSelect(props: { id: string; role: string; label?: string }) {
  return (
    <select id={props.id} name="role" {...(props.label === undefined ? {} : { "aria-label": props.label })}>
      {ROLES.map((role) => (
        <option value={role} selected={props.role === role}>
          {role}
        </option>
      ))}
    </select>
  );
}

/** A labelled input with its hint and the API's errors for it. */
function FormField(props: { id: string; label: string; hint?: string; errors?: readonly string[]; children: Child }) {
  const errors = props.errors ?? [];
  return (
    <div class={errors.length > 0 ? "field field-invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? <small class="hint">{props.hint}</small> : null}
      {errors.length > 0 ? (
        <small class="field-error" id={`${props.id}-error`}>
          {errors.join("; ")}
        </small>
      ) : null}
    </div>
  );
}

const invalid = (errors: readonly string[] | undefined, id: string): Record<string, string> =>
  errors && errors.length > 0 ? { "aria-invalid": "true", "aria-describedby": `${id}-error` } : {};

async function formOf(c: DashboardContext): Promise<Record<string, string | string[]>> {
  const body = await c.req.parseBody({ all: true });
  const form: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === "string") form[name] = value;
    else if (Array.isArray(value)) form[name] = value.filter((v): v is string => typeof v === "string");
  }
  return form;
}

const text = (value: string | string[] | undefined): string => (typeof value === "string" ? value : (value?.[0] ?? ""));

// ---------------------------------------------------------------------------------------------------------------
// Users

function UserCreate(props: { values?: { username: string; role: string }; failure?: ApiFailure; created?: User }) {
  const errors = issuesByField(props.failure);
  const values = props.values ?? { username: "", role: "viewer" };
  return (
    <div id="user-create">
      <div aria-live="polite">
        {props.created ? (
          <Notice tone="ok">
            User <strong>{props.created.username}</strong> created with the role {props.created.role}.
          </Notice>
        ) : null}
        {props.failure ? <Refused what="Creating the user" failure={props.failure} /> : null}
      </div>
      <form hx-post={PAGE_PATH} hx-target="#user-create" hx-swap="outerHTML">
        <div class="form-grid">
          <FormField id="new-user-username" label="Username" hint="3-64 letters, digits, '.', '_' or '-'; case-insensitive." errors={errors.get("username")}>
            <input id="new-user-username" name="username" required minlength={3} maxlength={64} autocomplete="off" value={values.username} {...invalid(errors.get("username"), "new-user-username")} />
          </FormField>
          <FormField id="new-user-password" label="Password" hint="At least 12 characters." errors={errors.get("password")}>
            <input id="new-user-password" name="password" type="password" required minlength={12} maxlength={256} autocomplete="new-password" {...invalid(errors.get("password"), "new-user-password")} />
          </FormField>
          <FormField id="new-user-role" label="Role" hint="viewer reads; trader also trades; admin also manages users, tasks and backups." errors={errors.get("role")}>
            <RoleSelect id="new-user-role" role={values.role} />
          </FormField>
        </div>
        <div class="actions">
          <button type="submit" class="button button-primary" id="create-user-button">
            Create user
          </button>
        </div>
      </form>
    </div>
  );
}

function UserActions(props: { user: User; self: boolean }) {
  const { user } = props;
  const slugId = user.id.replace(/[^A-Za-z0-9_-]/g, "");
  return (
    <div class="row-actions">
      {props.self ? null : (
        <form class="inline-form" hx-post={userUpdatePath(user.id)} hx-target="#user-action-result" hx-swap="innerHTML">
          <input type="hidden" name="action" value="role" />
          <RoleSelect id={`role-${slugId}`} role={user.role} label={`Role of ${user.username}`} />
          <button type="submit" class="button">
            Change role
          </button>
        </form>
      )}
      {props.self ? null : user.disabled ? (
        <form class="inline-form" hx-post={userUpdatePath(user.id)} hx-target="#user-action-result" hx-swap="innerHTML">
          <input type="hidden" name="action" value="enable" />
          <button type="submit" class="button" aria-label={`Enable ${user.username}`}>
            Enable
          </button>
        </form>
      ) : (
        <form
          class="inline-form"
          hx-post={userUpdatePath(user.id)}
          hx-target="#user-action-result"
          hx-swap="innerHTML"
          hx-confirm={`Disable ${user.username}? They cannot log in, and their sessions end at once.`}
        >
          <input type="hidden" name="action" value="disable" />
          <button type="submit" class="button button-danger" aria-label={`Disable ${user.username}`}>
            Disable
          </button>
        </form>
      )}
      <details class="inline-details">
        <summary>Set password</summary>
        <form class="inline-form" hx-post={userUpdatePath(user.id)} hx-target="#user-action-result" hx-swap="innerHTML">
          <input type="hidden" name="action" value="password" />
          <label for={`password-${slugId}`}>New password for {user.username} (at least 12 characters)</label>
          <input id={`password-${slugId}`} name="password" type="password" required minlength={12} maxlength={256} autocomplete="new-password" />
          <button type="submit" class="button">
            Set password
          </button>
        </form>
      </details>
    </div>
  );
}

function UserList(props: { result: ApiResult<{ users: User[] }>; selfId: string | null }) {
  const { result } = props;
  return (
    <div id="user-list" hx-get={USERS_LIST_PATH} hx-trigger={`${USERS_CHANGED} from:body`} hx-swap="outerHTML">
      {!result.ok ? (
        <ApiError failure={result} what="the users" />
      ) : (
        <Table
          caption="Users, by name"
          head={["User", "Role", "Created", "Last changed", "State", "Actions"]}
          empty="No users yet."
          rows={result.value.users.map((user) => {
            const self = user.id === props.selfId;
            return (
              <tr data-user-id={user.id}>
                <th scope="row">
                  {user.username} {self ? <Badge tone="info">you</Badge> : null}
                </th>
                <td>
                  <ValueBadge value={user.role} tones={ROLE_TONE} />
                </td>
                <td>
                  <Time ms={user.createdAtMs} />
                </td>
                <td>
                  <Time ms={user.updatedAtMs} />
                </td>
                <td>{user.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>}</td>
                <td>
                  <UserActions user={user} self={self} />
                </td>
              </tr>
            );
          })}
        />
      )}
    </div>
  );
}

const UserCreateFormSchema = z.object({ username: z.string().max(200).default(""), password: z.string().max(2_000).default(""), role: z.string().max(20).default("") });

/** The PATCH a row's form asks for. */
function userChange(form: Record<string, string | string[]>): Record<string, unknown> | null {
  const action = text(form["action"]);
  if (action === "role") return { role: text(form["role"]) };
  if (action === "disable") return { disabled: true };
  if (action === "enable") return { disabled: false };
  if (action === "password") return { password: text(form["password"]) };
  return null;
}

function userChangeText(user: User, change: Record<string, unknown>): string {
  if ("role" in change) return `${user.username} is now ${user.role}; their sessions were ended.`;
  if ("password" in change) return `The password of ${user.username} was changed; their sessions were ended.`;
  return user.disabled ? `${user.username} is disabled; their sessions were ended.` : `${user.username} is enabled again.`;
}

// ---------------------------------------------------------------------------------------------------------------
// API keys

function KeyCreate(props: { values?: { name: string; role: string; scopes: readonly string[] }; failure?: ApiFailure; created?: z.infer<typeof ApiKeyCreatedSchema> }) {
  const errors = issuesByField(props.failure);
  const values = props.values ?? { name: "", role: "trader", scopes: ["read"] };
  const scopeErrors = [...errors].filter(([path]) => path === "scopes" || path.startsWith("scopes.")).flatMap(([, messages]) => messages);
  return (
    <div id="api-key-create">
      <div aria-live="polite">
        {props.created ? (
          <div class="alert alert-warn secret-once" role="status">
            <p>
              <strong>API key “{props.created.name}” created. Copy it now, it is not shown again:</strong> only its hash is stored.
            </p>
            <label for="new-api-key">The key ({props.created.role}; {props.created.scopes.join(", ")})</label>
            <input id="new-api-key" class="secret" readonly value={props.created.key} autocomplete="off" />
          </div>
        ) : null}
        {props.failure ? <Refused what="Creating the API key" failure={props.failure} /> : null}
      </div>
      <form hx-post={KEYS_PATH} hx-target="#api-key-create" hx-swap="outerHTML">
        <div class="form-grid">
          <FormField id="new-key-name" label="Name" hint="What the key is for, e.g. 'MT5 bridge London'." errors={errors.get("name")}>
            <input id="new-key-name" name="name" required maxlength={100} autocomplete="off" value={values.name} {...invalid(errors.get("name"), "new-key-name")} />
          </FormField>
          <FormField id="new-key-role" label="Role" hint="A key can never do more than its role allows." errors={errors.get("role")}>
            <RoleSelect id="new-key-role" role={values.role} />
          </FormField>
          <fieldset class={scopeErrors.length > 0 ? "field field-invalid" : "field"}>
            <legend>Scopes</legend>
            {API_KEY_SCOPES.map((scope) => (
              <span class="checkbox-field">
                <input type="checkbox" id={`new-key-scope-${scope}`} name="scopes" value={scope} checked={values.scopes.includes(scope)} />
                <label for={`new-key-scope-${scope}`}>
                  {scope} <span class="muted">({SCOPE_HINTS[scope]})</span>
                </label>
              </span>
            ))}
            {scopeErrors.length > 0 ? <small class="field-error">{scopeErrors.join("; ")}</small> : null}
          </fieldset>
        </div>
        <div class="actions">
          <button type="submit" class="button button-primary" id="create-api-key-button">
            Create API key
          </button>
        </div>
      </form>
    </div>
  );
}

function KeyList(props: { result: ApiResult<{ keys: ApiKey[] }>; nowMs: number }) {
  const { result } = props;
  return (
    <div id="api-key-list" hx-get={KEYS_PATH} hx-trigger={`${KEYS_CHANGED} from:body`} hx-swap="outerHTML">
      {!result.ok ? (
        <ApiError failure={result} what="the API keys" />
      ) : (
        <Table
          caption="API keys, oldest first"
          head={["Name", "Prefix", "Role", "Scopes", "Created by", "Created", "Last used", "State", "Actions"]}
          empty="No API keys yet."
          rows={result.value.keys.map((key) => (
            <tr data-key-id={key.id}>
              <th scope="row">{key.name}</th>
              <td>
                <code>{key.prefix}</code>
              </td>
              <td>
                <ValueBadge value={key.role} tones={ROLE_TONE} />
              </td>
              <td>{key.scopes.join(", ")}</td>
              <td>{key.createdBy}</td>
              <td>
                <Time ms={key.createdAtMs} />
              </td>
              <td>
                <Age ms={key.lastUsedAtMs} nowMs={props.nowMs} />
              </td>
              <td>
                {key.revokedAtMs === null ? (
                  <Badge tone="ok">active</Badge>
                ) : (
                  <>
                    <Badge tone="bad">revoked</Badge> <Time ms={key.revokedAtMs} />
                  </>
                )}
              </td>
              <td>
                {key.revokedAtMs === null ? (
                  <form
                    class="inline-form"
                    hx-post={keyRevokePath(key.id)}
                    hx-target="#api-key-action-result"
                    hx-swap="innerHTML"
                    hx-confirm={`Revoke the API key “${key.name}” (${key.prefix})? Anything using it is refused at once; this cannot be undone.`}
                  >
                    <button type="submit" class="button button-danger" aria-label={`Revoke ${key.name}`}>
                      Revoke
                    </button>
                  </form>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        />
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Audit log

const AuditQuerySchema = z.object({
  before: z.string().regex(/^\d{1,15}$/).optional().catch(undefined),
  outcome: z.enum(AUDIT_OUTCOMES).optional().catch(undefined),
});
type AuditQuery = z.infer<typeof AuditQuerySchema>;

async function loadAudit(c: DashboardContext, query: AuditQuery) {
  return c.get("api").get("/api/v1/audit", AuditPageSchema, { limit: AUDIT_PAGE_SIZE, outcome: query.outcome, before: query.before });
}

function actorText(entry: AuditEntry): string {
  if (entry.actorKind === "anonymous" || entry.actorKind === "system") return entry.actorKind;
  return `${entry.actorName ?? entry.actorId ?? "unknown"} (${entry.actorKind})`;
}

function AuditLog(props: { query: AuditQuery; result: Awaited<ReturnType<typeof loadAudit>> }) {
  const { query, result } = props;
  return (
    <div id={AUDIT.id} hx-get={withQuery(AUDIT_PATH, { outcome: query.outcome, before: query.before })} hx-trigger={`${USERS_CHANGED} from:body, ${KEYS_CHANGED} from:body`} hx-swap="outerHTML">
      <FilterToolbar list={AUDIT}>
        <FilterSelect label="Outcome" id="audit-outcome" name="outcome" value={query.outcome} any="Any" options={AUDIT_OUTCOMES} />
      </FilterToolbar>
      {!result.ok ? (
        <ApiError failure={result} what="the audit log" />
      ) : (
        <>
          <Table
            caption="Audit log, newest first"
            head={["Time", "Actor", "Action", "Target", "Outcome", "HTTP status", "IP", "Request", "Details"]}
            numeric={[5]}
            empty={query.outcome ? `No ${query.outcome} entries${query.before ? " on this page" : ""}.` : "The audit log is empty."}
            rows={result.value.entries.map((entry) => (
              <tr>
                <td>
                  <Time ms={entry.atMs} />
                </td>
                <td>{actorText(entry)}</td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>{entry.target ? <code>{entry.target}</code> : <span class="muted">—</span>}</td>
                <td>
                  <ValueBadge value={entry.outcome} tones={OUTCOME_TONE} />
                </td>
                <td class="num">{entry.status}</td>
                <td>{entry.ip ?? <span class="muted">—</span>}</td>
                <td>
                  <code>{entry.requestId}</code>
                </td>
                <td>
                  {entry.details === null || entry.details === undefined ? (
                    <span class="muted">—</span>
                  ) : (
                    <details>
                      <summary>details</summary>
                      <pre class="json">{JSON.stringify(entry.details, null, 2)}</pre>
                    </details>
                  )}
                </td>
              </tr>
            ))}
          />
          <ListPager
            list={AUDIT}
            label="Audit log pages"
            filters={{ outcome: query.outcome }}
            cursor={{ name: "before", current: query.before, next: result.value.next === null ? null : String(result.value.next) }}
            older="Older entries"
          />
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

function selfIdOf(c: DashboardContext): string | null {
  const principal = c.get("principal");
  return principal?.kind === "user" ? principal.userId : null;
}

const loadUsers = (c: DashboardContext) => c.get("api").get("/api/v1/users", UsersAnswerSchema);
const loadKeys = (c: DashboardContext) => c.get("api").get("/api/v1/api-keys", KeysAnswerSchema);

export function usersPages(pages: Pages): void {
  pages.get(PAGE_PATH, ADMIN, async (c) => {
    const query = AuditQuerySchema.parse(c.req.query());
    const [users, keys, audit] = await Promise.all([loadUsers(c), loadKeys(c), loadAudit(c, query)]);
    return render(c, {
      title: "Users and API keys",
      active: "users",
      body: (
        <div class="grid">
          <Panel title="Users" id="users-panel" wide>
            <div id="user-action-result" aria-live="polite"></div>
            <UserList result={users} selfId={selfIdOf(c)} />
            <h3>New user</h3>
            <UserCreate />
          </Panel>
          <Panel title="API keys" id="api-keys-panel" wide>
            <p class="muted">Keys let bridges, bots and the trainer call the API. A key holds only the scopes its role also allows.</p>
            <div id="api-key-action-result" aria-live="polite"></div>
            <KeyList result={keys} nowMs={Date.now()} />
            <h3>New API key</h3>
            <KeyCreate />
          </Panel>
          <Panel title="Audit log" id="audit-panel" wide>
            <AuditLog query={query} result={audit} />
          </Panel>
        </div>
      ),
    });
  });

  pages.get(USERS_LIST_PATH, ADMIN, async (c) => c.html(<UserList result={await loadUsers(c)} selfId={selfIdOf(c)} />));

  pages.post(PAGE_PATH, ADMIN, async (c) => {
    const form = UserCreateFormSchema.parse(Object.fromEntries(Object.entries(await formOf(c)).map(([k, v]) => [k, text(v)])));
    const values = { username: form.username.trim(), role: form.role };
    const created = await c.get("api").send("POST", "/api/v1/users", { username: values.username, password: form.password, role: form.role }, UserSchema);
    if (!created.ok) return c.html(<UserCreate values={values} failure={created} />, created.status as ContentfulStatusCode);
    c.header("HX-Trigger", USERS_CHANGED);
    return c.html(<UserCreate created={created.value} />, 201);
  });

  pages.post(USER_UPDATE_PATH, ADMIN, async (c) => {
    const id = c.req.param("id") ?? "";
    const change = userChange(await formOf(c));
    if (change === null) return c.html(<Notice tone="bad">The form was not understood; reload the page and try again.</Notice>, 400);
    const updated = await c.get("api").send("PATCH", `/api/v1/users/${encodeURIComponent(id)}`, change, UserSchema);
    if (!updated.ok) {
      const issues = [...issuesByField(updated)].map(([path, messages]) => `${path || "change"}: ${messages.join("; ")}`);
      return c.html(
        <>
          <Refused what="Changing the user" failure={updated} />
          {issues.length > 0 ? (
            <ul class="field-error">
              {issues.map((issue) => (
                <li>{issue}</li>
              ))}
            </ul>
          ) : null}
        </>,
        updated.status as ContentfulStatusCode,
      );
    }
    c.header("HX-Trigger", USERS_CHANGED);
    return c.html(<Notice tone="ok">{userChangeText(updated.value, change)}</Notice>);
  });

  pages.get(KEYS_PATH, ADMIN, async (c) => {
    const list = <KeyList result={await loadKeys(c)} nowMs={Date.now()} />;
    if (!isHtmx(c)) return render(c, { title: "API keys", active: "users", body: list });
    return c.html(list);
  });

  pages.post(KEYS_PATH, ADMIN, async (c) => {
    const form = await formOf(c);
    const scopes = form["scopes"] === undefined ? [] : typeof form["scopes"] === "string" ? [form["scopes"]] : form["scopes"];
    const values = { name: text(form["name"]).trim(), role: text(form["role"]), scopes };
    const created = await c.get("api").send("POST", "/api/v1/api-keys", values, ApiKeyCreatedSchema);
    // The answer may carry the key itself: never cache it anywhere.
    c.header("Cache-Control", "no-store");
    if (!created.ok) return c.html(<KeyCreate values={values} failure={created} />, created.status as ContentfulStatusCode);
    c.header("HX-Trigger", KEYS_CHANGED);
    return c.html(<KeyCreate created={created.value} />, 201);
  });

  pages.post(KEY_REVOKE_PATH, ADMIN, async (c) => {
    const id = c.req.param("id") ?? "";
    const revoked = await c.get("api").send("DELETE", `/api/v1/api-keys/${encodeURIComponent(id)}`, undefined, ApiKeySchema);
    if (!revoked.ok) return c.html(<Refused what="Revoking the API key" failure={revoked} />, revoked.status as ContentfulStatusCode);
    c.header("HX-Trigger", KEYS_CHANGED);
    return c.html(
      <Notice tone="ok">
        API key “{revoked.value.name}” (<code>{revoked.value.prefix}</code>) is revoked: anything using it is refused from now on.
      </Notice>,
    );
  });

  pages.get(AUDIT_PATH, ADMIN, async (c) => {
    const query = AuditQuerySchema.parse(c.req.query());
    const log = <AuditLog query={query} result={await loadAudit(c, query)} />;
    if (!isHtmx(c)) return render(c, { title: "Audit log", active: "users", body: log });
    return c.html(log);
  });
}
