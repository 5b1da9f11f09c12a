/**
 * The Models page: the registry (paged, by symbol and status), what each instrument serves now with its live scores,
 * the deployment history, and a model's detail (held-out beside live scores, walk-forward folds, training metadata,
 * the features it reads, and their importance when the manifest records it). Deploy, shadow, unshadow
 * and rollback go through the registry API with a confirmation; a refusal of the promotion gate is shown with its
 * reasons, and admins get the force option the API offers them.
 */
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { featureCatalogue } from "../../../core/features/index.js";
import { formatBytes, formatNumber } from "../../../core/display/format.js";
import { UNFORCEABLE_REFUSALS } from "../../../core/ml/promotion.js";
import { SymbolSchema } from "../../../core/schemas/common.js";
import {
  DeployedSchema,
  DeploymentsPageSchema,
  ModelDetailSchema,
  ModelPageSchema,
  ModelStatusSchema,
  MODEL_STATUSES,
  PromotionDecisionSchema,
  RolledBackSchema,
  ShadowedSchema,
  UnshadowedSchema,
  type DeploymentEvent,
  type ModelRecord,
  type ModelStatus,
} from "../../../core/schemas/registry.js";
import { ModelPerformanceResponseSchema, type ServedModel } from "../../../core/schemas/serving.js";
import { authorize, type Principal, type Requirement } from "../../auth/roles.js";
import { allows } from "../../http/access.js";
import { PLATFORM_FEATURE_SPEC, platformFeatures, type PlatformFeatures } from "../../models/platform-target.js";
import { withQuery, type ApiFailure, type ApiResult } from "../api-client.js";
import { ActionFailed, ApiError, Badge, Field, FilterSelect, FormProblems, Loaded, Notice, Num, Panel, Pct, ResultRegion, Stat, Table, Time, ValueBadge, type Tone } from "../components.js";
import type { DashboardContext } from "../page-access.js";
import { render, symbolsOf, type Pages } from "../pages.js";

const READ: Requirement = { role: "viewer", scope: "read" };
/** The registry API's rule for changing the serving slots (workers/api/models.ts). */
const MANAGE: Requirement = { role: "trader", scope: "models" };
/** What `force: true` needs on top of MANAGE (the deploy route checks it in its handler). */
const FORCE: Requirement = { role: "admin", scope: "models" };

/** The htmx event an action sends so that every model section on the page reloads. */
const MODELS_CHANGED = "models-changed";
/** Where action answers (notices) go. */
const RESULT_ID = "models-result";
/** Models per registry page. */
const PAGE_SIZE = 25;
/** Deployment events shown. */
const HISTORY_SIZE = 20;

const DEPLOY_KEY = "POST /api/v1/models/{id}/deploy";
const SHADOW_KEY = "POST /api/v1/models/{id}/shadow";
const UNSHADOW_KEY = "DELETE /api/v1/models/{id}/shadow";
const ROLLBACK_KEY = "POST /api/v1/models/rollback";

type Performance = z.output<typeof ModelPerformanceResponseSchema>;
type ModelDetail = z.output<typeof ModelDetailSchema>;
type Decision = z.output<typeof PromotionDecisionSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Inputs

const RegistryFilterSchema = z.object({
  symbol: SymbolSchema.optional().catch(undefined),
  status: ModelStatusSchema.optional().catch(undefined),
  before: z.string().regex(/^\d{1,15}$/).optional().catch(undefined),
});
type RegistryFilter = z.output<typeof RegistryFilterSchema>;

const optionalReason = z
  .string()
  .trim()
  .max(500, "a reason has at most 500 characters")
  .optional()
  .transform((reason) => (reason === "" ? undefined : reason));

const DeployFormSchema = z.object({ reason: optionalReason, force: z.literal("on").optional() });
const RollbackFormSchema = z.object({ symbol: SymbolSchema, reason: optionalReason });

function registryFilter(c: DashboardContext): RegistryFilter {
  const filter = RegistryFilterSchema.parse(c.req.query());
  return filter.symbol !== undefined && !symbolsOf(c).includes(filter.symbol) ? { ...filter, symbol: undefined } : filter;
}

/** The `{id}` of a model route (digits, by the route's pattern); the API judges whether it names a model. */
function modelIdOf(c: DashboardContext): string {
  return c.req.param("id") ?? "";
}

function mayForce(principal: Principal | undefined): boolean {
  if (principal === undefined) return false;
  try {
    authorize(principal, FORCE);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small pieces

const STATUS_TONES: Record<ModelStatus, Tone> = { champion: "ok", shadow: "info", registered: "neutral", retired: "neutral" };

const EVENT_TONES: Record<DeploymentEvent["event"], Tone> = { deploy: "ok", "force-deploy": "warn", shadow: "info", unshadow: "neutral", rollback: "warn" };

/** Log-loss in nats with 4 decimals. */
function Nats(props: { value: number | null | undefined; signed?: boolean }) {
  return <Num value={props.value} decimals={4} unit="nats" signed={props.signed ?? false} />;
}

function ModelLink(props: { id: number | null; version: string | null }) {
  if (props.id === null || props.version === null) return <span class="muted">none</span>;
  return <a href={`/models/${props.id}`}>{props.version}</a>;
}

/** The answer to an action the API refused or failed, with the API's status. */
function failed(c: DashboardContext, failure: ApiFailure, what: string) {
  return c.html(<ActionFailed failure={failure} what={what} />, failure.status as ContentfulStatusCode);
}

// ---------------------------------------------------------------------------------------------------------------
// Registry

function registryQuery(filter: RegistryFilter): string {
  return withQuery("", { symbol: filter.symbol, status: filter.status, before: filter.before });
}

function RegistryFilters(props: { filter: RegistryFilter; symbols: readonly string[] }) {
  return (
    <form method="get" action="/models" class="toolbar" aria-label="Filter the registry">
      <FilterSelect label="Instrument" id="registry-symbol" name="symbol" value={props.filter.symbol} any="All instruments" options={props.symbols} />
      <FilterSelect label="Status" id="registry-status" name="status" value={props.filter.status} any="Any status" options={MODEL_STATUSES} />
      <button type="submit" class="button">
        Show models
      </button>
    </form>
  );
}

function RegistryTable(props: { result: ApiResult<z.output<typeof ModelPageSchema>>; filter: RegistryFilter }) {
  return (
    <Loaded
      result={props.result}
      what="the model registry"
      ok={(page) => (
        <>
          <Table
            caption="Registered models, newest first"
            head={["Model", "Instrument", "Kind", "Status", "Held-out log-loss", "Gain over prior", "Held-out accuracy", "AUC", "Held-out rows", "Trained", "Uploaded", "Champion since"]}
            numeric={[4, 5, 6, 7, 8]}
            empty={props.filter.symbol !== undefined || props.filter.status !== undefined ? "No models match these filters." : "No model has been uploaded yet. The trainer uploads one after each training run."}
            rows={page.models.map((model) => <RegistryRow model={model} />)}
          />
          <nav class="pager" aria-label="Registry pages">
            {props.filter.before !== undefined ? <a href={`/models${registryQuery({ ...props.filter, before: undefined })}`}>Newest models</a> : null}
            {page.next !== null ? <a href={`/models${registryQuery({ ...props.filter, before: String(page.next) })}`}>Older models</a> : null}
          </nav>
        </>
      )}
    />
  );
}

function RegistryRow(props: { model: ModelRecord }) {
  const m = props.model;
  return (
    <tr>
      <td>
        <ModelLink id={m.id} version={m.version} /> <span class="muted">#{m.id}</span>
      </td>
      <td>{m.symbol}</td>
      <td>
        {m.modelKind} · {m.timeframe}
      </td>
      <td>
        <ValueBadge value={m.status} tones={STATUS_TONES} />
      </td>
      <td class="num">
        <Nats value={m.heldOut.logLoss} />
      </td>
      <td class="num">
        <Nats value={m.heldOut.priorLogLoss - m.heldOut.logLoss} signed />
      </td>
      <td class="num">
        <Pct fraction={m.heldOut.accuracy} />
      </td>
      <td class="num">
        <Num value={m.heldOut.auc} decimals={3} />
      </td>
      <td class="num">
        <Num value={m.heldOut.rows} decimals={0} />
      </td>
      <td>
        <Time ms={m.createdAtMs} seconds={false} />
      </td>
      <td>
        <Time ms={m.uploadedAtMs} seconds={false} /> <span class="muted">by {m.uploadedBy}</span>
      </td>
      <td>
        <Time ms={m.deployedAtMs} seconds={false} />
      </td>
    </tr>
  );
}

/** The registry section, reloaded after every action. */
function RegistrySection(props: { result: ApiResult<z.output<typeof ModelPageSchema>>; filter: RegistryFilter }) {
  return (
    <div id="registry" hx-get={`/models/registry${registryQuery(props.filter)}`} hx-trigger={`${MODELS_CHANGED} from:body`} hx-swap="outerHTML">
      <RegistryTable result={props.result} filter={props.filter} />
    </div>
  );
}

function loadRegistry(c: DashboardContext, filter: RegistryFilter) {
  return c.get("api").get("/api/v1/models", ModelPageSchema, { symbol: filter.symbol, status: filter.status, before: filter.before, limit: PAGE_SIZE });
}

// ---------------------------------------------------------------------------------------------------------------
// Serving slots and deployment history

interface SymbolServing {
  readonly symbol: string;
  readonly result: ApiResult<Performance>;
}

async function loadServing(c: DashboardContext): Promise<{ symbols: SymbolServing[]; history: ApiResult<z.output<typeof DeploymentsPageSchema>> }> {
  const api = c.get("api");
  const [history, ...symbols] = await Promise.all([
    api.get("/api/v1/models/deployments", DeploymentsPageSchema, { limit: HISTORY_SIZE }),
    ...symbolsOf(c).map(async (symbol) => ({ symbol, result: await api.get(`/api/v1/signals/${symbol}/performance`, ModelPerformanceResponseSchema) })),
  ]);
  return { symbols, history };
}

/** Live log-loss of a served version with its outcome count and degradation flag. */
function LiveScore(props: { performance: Performance; modelId: number }) {
  const live = props.performance.models.find((model) => model.modelId === props.modelId);
  if (live === undefined || live.outcomes === 0) return <span class="muted">no scored outcomes yet</span>;
  return (
    <>
      <Nats value={live.logLoss} /> <span class="muted">({formatNumber(live.outcomes, 0)} outcomes)</span>{" "}
      {live.degraded ? <Badge tone="bad">degraded</Badge> : null}
    </>
  );
}

function ServingRow(props: { entry: SymbolServing }) {
  const { symbol, result } = props.entry;
  if (!result.ok) {
    return (
      <tr>
        <th scope="row">{symbol}</th>
        <td colspan={5}>
          <ApiError failure={result} what={`what ${symbol} serves`} />
        </td>
      </tr>
    );
  }
  const serving = result.value.serving;
  return (
    <tr>
      <th scope="row">{symbol}</th>
      <SlotCells slot={serving?.champion ?? null} performance={result.value} />
      <SlotCells slot={serving?.shadow ?? null} performance={result.value} />
      <td>
        <Time ms={serving?.assignedAtMs} />
      </td>
    </tr>
  );
}

/** A serving slot's two cells: the model it holds (with its held-out log-loss) and its live score. */
function SlotCells(props: { slot: ServedModel | null; performance: Performance }) {
  const { slot } = props;
  return (
    <>
      <td>
        <ModelLink id={slot?.modelId ?? null} version={slot?.version ?? null} />
        {slot ? (
          <span class="muted">
            {" "}
            held-out <Nats value={slot.heldOut.logLoss} />
          </span>
        ) : null}
      </td>
      <td>{slot ? <LiveScore performance={props.performance} modelId={slot.modelId} /> : <span class="muted">—</span>}</td>
    </>
  );
}

function RollbackForm(props: { symbol: string; champion: string }) {
  const id = `rollback-reason-${props.symbol}`;
  return (
    <form
      class="inline-form"
      hx-post="/models/rollback"
      hx-target={`#${RESULT_ID}`} hx-swap="innerHTML"
      hx-confirm={`Roll ${props.symbol} back? Champion ${props.champion} is retired and the champion it replaced serves again.`}
    >
      <input type="hidden" name="symbol" value={props.symbol} />
      <Field label={`Reason for rolling back ${props.symbol} (optional)`} for={id}>
        <input id={id} name="reason" maxlength={500} autocomplete="off" />
      </Field>
      <button type="submit" class="button button-danger">
        Roll back {props.symbol}
      </button>
    </form>
  );
}

function HistoryTable(props: { result: ApiResult<z.output<typeof DeploymentsPageSchema>> }) {
  return (
    <Loaded
      result={props.result}
      what="the deployment history"
      ok={(page) => (
        <Table
          caption={`The ${HISTORY_SIZE} newest changes of the serving slots`}
          head={["When", "Instrument", "Change", "Model", "Replaced", "Gate decision", "By", "Reason"]}
          empty="No model has been deployed or shadowed yet."
          rows={page.events.map((event) => (
            <tr>
              <td>
                <Time ms={event.atMs} />
              </td>
              <td>{event.symbol}</td>
              <td>
                <ValueBadge value={event.event} tones={EVENT_TONES} />
              </td>
              <td>
                <ModelLink id={event.modelId} version={event.modelVersion} />
              </td>
              <td>
                <ModelLink id={event.replacedModelId} version={event.replacedModelVersion} />
              </td>
              <td>{event.decision ? event.decision.code : <span class="muted">—</span>}</td>
              <td>{event.actor}</td>
              <td>{event.reason ?? <span class="muted">—</span>}</td>
            </tr>
          ))}
        />
      )}
    />
  );
}

/** What every instrument serves, the rollback controls and the history; reloaded after every action. */
function ServingSection(props: { symbols: readonly SymbolServing[]; history: ApiResult<z.output<typeof DeploymentsPageSchema>>; principal: Principal | undefined }) {
  const withChampion = props.symbols.flatMap((entry) =>
    entry.result.ok && entry.result.value.serving?.champion ? [{ symbol: entry.symbol, champion: entry.result.value.serving.champion.version }] : [],
  );
  const canRollBack = allows(props.principal, ROLLBACK_KEY);
  return (
    <div id="serving" hx-get="/models/serving" hx-trigger={`${MODELS_CHANGED} from:body, every 30s`} hx-swap="outerHTML">
      <div class="table-wrap" role="region" aria-label="What each instrument serves" tabindex={0}>
        <table>
          <caption class="visually-hidden">Champion and shadow of each instrument, with live scores over the latest 500 outcomes</caption>
          <thead>
            <tr>
              <th scope="col">Instrument</th>
              <th scope="col">Champion</th>
              <th scope="col">Champion live log-loss</th>
              <th scope="col">Shadow</th>
              <th scope="col">Shadow live log-loss</th>
              <th scope="col">Slots assigned</th>
            </tr>
          </thead>
          <tbody>
            {props.symbols.map((entry) => (
              <ServingRow entry={entry} />
            ))}
          </tbody>
        </table>
      </div>
      <p class="hint">Live log-loss is scored once each signal's label horizon has passed, over the latest 500 outcomes; lower is better.</p>
      {canRollBack && withChampion.length > 0 ? (
        <div class="form-grid">
          {withChampion.map((entry) => (
            <RollbackForm symbol={entry.symbol} champion={entry.champion} />
          ))}
        </div>
      ) : null}
      <h3>Deployment history</h3>
      <HistoryTable result={props.history} />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Model detail

function SummaryStats(props: { model: ModelRecord; detail: ModelDetail }) {
  const { model, detail } = props;
  return (
    <dl class="stats">
      <Stat label="Status">
        <ValueBadge value={model.status} tones={STATUS_TONES} />
      </Stat>
      <Stat label="Instrument">
        {model.symbol} · {model.timeframe}
      </Stat>
      <Stat label="Algorithm">{model.modelKind}</Stat>
      <Stat label="Version" hint={model.parentVersion ? `retrained from ${model.parentVersion}` : "first of its line"}>
        {model.version}
      </Stat>
      <Stat label="Trained">
        <Time ms={model.createdAtMs} seconds={false} />
      </Stat>
      <Stat label="Uploaded" hint={`by ${model.uploadedBy}`}>
        <Time ms={model.uploadedAtMs} seconds={false} />
      </Stat>
      <Stat label="Last became champion">
        <Time ms={model.deployedAtMs} seconds={false} />
      </Stat>
      <Stat label="model.onnx" hint={`trainer ${detail.manifest.trainerVersion}`}>
        {formatBytes(model.onnxBytes)}
      </Stat>
    </dl>
  );
}

/** The actions the visitor may take on this model in its current status. */
function ModelActions(props: { model: ModelRecord; principal: Principal | undefined }) {
  const { model, principal } = props;
  const canDeploy = allows(principal, DEPLOY_KEY) && model.status !== "champion";
  const canShadow = allows(principal, SHADOW_KEY) && (model.status === "registered" || model.status === "retired");
  const canUnshadow = allows(principal, UNSHADOW_KEY) && model.status === "shadow";
  const canRollBack = allows(principal, ROLLBACK_KEY) && model.status === "champion";
  if (!canDeploy && !canShadow && !canUnshadow && !canRollBack) return null;
  return (
    <div class="model-actions">
      {canDeploy ? <DeployForm model={model} force={mayForce(principal)} /> : null}
      {canShadow ? (
        <form
          hx-post={`/models/${model.id}/shadow`}
          hx-target={`#${RESULT_ID}`} hx-swap="innerHTML"
          hx-confirm={`Make ${model.version} the shadow of ${model.symbol}? It is scored beside the champion without trading, and replaces the current shadow.`}
        >
          <button type="submit" class="button">
            Set as shadow
          </button>
        </form>
      ) : null}
      {canUnshadow ? (
        <form hx-post={`/models/${model.id}/unshadow`} hx-target={`#${RESULT_ID}`} hx-swap="innerHTML" hx-confirm={`Stop shadowing ${model.symbol} with ${model.version}?`}>
          <button type="submit" class="button">
            Remove shadow
          </button>
        </form>
      ) : null}
      {canRollBack ? <RollbackForm symbol={model.symbol} champion={model.version} /> : null}
    </div>
  );
}

function DeployForm(props: { model: ModelRecord; force: boolean }) {
  const { model } = props;
  return (
    <form
      class="deploy-form"
      hx-post={`/models/${model.id}/deploy`}
      hx-target={`#${RESULT_ID}`} hx-swap="innerHTML"
      hx-confirm={`Make ${model.version} the champion of ${model.symbol}? Its signals will drive trading from the next bar.`}
    >
      <Field label="Reason (kept in the deployment history, optional)" for="deploy-reason">
        <input id="deploy-reason" name="reason" maxlength={500} autocomplete="off" />
      </Field>
      {props.force ? (
        <div class="check">
          <input id="deploy-force" type="checkbox" name="force" value="on" />
          <label for="deploy-force">Force: deploy even if the promotion gate refuses on scores (admin)</label>
        </div>
      ) : null}
      <button type="submit" class="button button-primary">
        Deploy as champion
      </button>
    </form>
  );
}

/** The summary and actions of a model, reloaded after every action. */
function ModelState(props: { result: ApiResult<ModelDetail>; id: string; principal: Principal | undefined }) {
  return (
    <div id="model-state" hx-get={`/models/${props.id}/state`} hx-trigger={`${MODELS_CHANGED} from:body`} hx-swap="outerHTML">
      <Loaded
        result={props.result}
        what={`model ${props.id}`}
        ok={(detail) => (
          <>
            <SummaryStats model={detail.model} detail={detail} />
            <ModelActions model={detail.model} principal={props.principal} />
          </>
        )}
      />
    </div>
  );
}

/** Held-out (evaluation) scores beside the live ones, with the prior and the champion of training time. */
function ScoresPanel(props: { detail: ModelDetail; performance: ApiResult<Performance> }) {
  const { model, manifest } = props.detail;
  const heldOut = manifest.metrics.heldOut;
  const champion = heldOut.champion;
  const live = props.performance.ok ? props.performance.value.models.find((entry) => entry.modelId === model.id) : undefined;
  const notLive = <span class="muted">not scored live</span>;
  const liveCell = (value: Child) => (live === undefined || live.outcomes === 0 ? <span class="muted">—</span> : value);
  const rows: { label: string; heldOut: Child; live: Child; prior: Child; champion: Child }[] = [
    {
      label: "Log-loss (lower is better)",
      heldOut: <Nats value={heldOut.logLoss} />,
      live: liveCell(<Nats value={live?.logLoss} />),
      prior: <Nats value={heldOut.prior.logLoss} />,
      champion: <Nats value={champion?.logLoss} />,
    },
    {
      label: "Accuracy",
      heldOut: <Pct fraction={heldOut.accuracy} />,
      live: liveCell(<Pct fraction={live?.accuracy} />),
      prior: <Pct fraction={heldOut.prior.accuracy} />,
      champion: <Pct fraction={champion?.accuracy} />,
    },
    {
      label: "ROC AUC",
      heldOut: <Num value={heldOut.auc} decimals={3} />,
      live: notLive,
      prior: <Num value={heldOut.prior.auc} decimals={3} />,
      champion: <Num value={champion?.auc} decimals={3} />,
    },
    {
      label: "Brier score (lower is better)",
      heldOut: <Num value={heldOut.brier} decimals={4} />,
      live: notLive,
      prior: <Num value={heldOut.prior.brier} decimals={4} />,
      champion: <Num value={champion?.brier} decimals={4} />,
    },
    {
      label: "Rows scored",
      heldOut: <Num value={heldOut.rows} decimals={0} />,
      live: live === undefined ? <span class="muted">—</span> : <Num value={live.outcomes} decimals={0} unit="outcomes" />,
      prior: <Num value={heldOut.rows} decimals={0} />,
      champion: champion ? <Num value={heldOut.rows} decimals={0} /> : <span class="muted">—</span>,
    },
  ];
  return (
    <Panel title="Held-out and live scores" id="scores" wide>
      <Table
        caption="Held-out (evaluation) scores beside live scores"
        head={["Score", "Held-out (evaluation)", "Live (latest 500 outcomes)", "Constant prior, same rows", champion ? `Champion ${champion.version} at training, same rows` : "Champion at training"]}
        numeric={[1, 2, 3, 4]}
        empty=""
        rows={rows.map((row) => (
          <tr>
            <th scope="row">{row.label}</th>
            <td class="num">{row.heldOut}</td>
            <td class="num">{row.live}</td>
            <td class="num">{row.prior}</td>
            <td class="num">{row.champion}</td>
          </tr>
        ))}
      />
      <LiveVerdict model={model} performance={props.performance} />
    </Panel>
  );
}

function LiveVerdict(props: { model: ModelRecord; performance: ApiResult<Performance> }) {
  if (!props.performance.ok) return <ApiError failure={props.performance} what="the live scores" />;
  const live = props.performance.value.models.find((entry) => entry.modelId === props.model.id);
  if (live === undefined) {
    return (
      <p class="muted">
        {props.model.status === "registered"
          ? "This model has never served, so it has no live scores."
          : `${props.model.symbol} has no live scores for this model.`}
      </p>
    );
  }
  return (
    <p>
      {live.role ? <Badge tone="info">serving as {live.role}</Badge> : <Badge tone="neutral">no longer serving</Badge>}{" "}
      {live.degraded ? <Badge tone="bad">degraded</Badge> : null}{" "}
      {live.outcomes > 0 ? (
        <>
          Live minus held-out log-loss: <Nats value={live.logLossExcess} signed />.{" "}
        </>
      ) : null}
      {live.reason}
    </p>
  );
}

function FoldsPanel(props: { detail: ModelDetail }) {
  const folds = props.detail.manifest.metrics.folds;
  return (
    <Panel title="Walk-forward folds" id="folds" wide>
      <Table
        caption="Out-of-sample scores of each walk-forward fold, oldest first"
        head={["Fold", "Training rows", "Validation rows", "Rows scored", "Log-loss", "Prior log-loss", "Gain over prior", "Accuracy", "AUC"]}
        numeric={[3, 4, 5, 6, 7, 8]}
        empty="The manifest lists no folds."
        rows={folds.map((fold) => (
          <tr>
            <td>{fold.fold}</td>
            <td>
              {formatNumber(fold.train.from, 0)}–{formatNumber(fold.train.to, 0)}
            </td>
            <td>
              {formatNumber(fold.validation.from, 0)}–{formatNumber(fold.validation.to, 0)}
            </td>
            <td class="num">
              <Num value={fold.rows} decimals={0} />
            </td>
            <td class="num">
              <Nats value={fold.logLoss} />
            </td>
            <td class="num">
              <Nats value={fold.prior.logLoss} />
            </td>
            <td class="num">
              <Nats value={fold.prior.logLoss - fold.logLoss} signed />
            </td>
            <td class="num">
              <Pct fraction={fold.accuracy} />
            </td>
            <td class="num">
              <Num value={fold.auc} decimals={3} />
            </td>
          </tr>
        ))}
      />
      <p class="hint">Row ranges are [from, to) into the training data set, one row per bar in time order.</p>
    </Panel>
  );
}

/** A hyper-parameter value as text: numbers and strings as they are, structures as compact JSON. */
function parameterText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return JSON.stringify(value);
}

function MetadataPanel(props: { detail: ModelDetail }) {
  const { model, manifest } = props.detail;
  const horizonBars = manifest.label.horizonBars;
  return (
    <Panel title="Training metadata" id="training">
      <dl class="facts">
        <dt>Algorithm</dt>
        <dd>{manifest.modelKind}</dd>
        <dt>Trained on</dt>
        <dd>
          <Time ms={manifest.trainingWindow.fromMs} seconds={false} /> to <Time ms={manifest.trainingWindow.toMs} seconds={false} /> ({formatNumber(manifest.trainingWindow.rows, 0)} labelled rows)
        </dd>
        <dt>Held-out tail</dt>
        <dd>
          rows {formatNumber(manifest.metrics.heldOut.range.from, 0)}–{formatNumber(manifest.metrics.heldOut.range.to, 0)} ({formatNumber(manifest.metrics.heldOut.rows, 0)} scored), never fit or tuned on
        </dd>
        <dt>Label</dt>
        <dd>
          {manifest.label.kind} over {horizonBars} {horizonBars === 1 ? "bar" : "bars"} ({manifest.timeframe}), {manifest.label.classes}, classes {manifest.classLabels.join(" / ")}; no-trade band{" "}
          {manifest.label.noTradeBandSpreads === 0 ? "none" : `${formatNumber(manifest.label.noTradeBandSpreads, 2)} × spread`}
        </dd>
        <dt>Feature spec</dt>
        <dd>
          {manifest.featureSpec.name} v{manifest.featureSpec.version}, {model.inputWidth} features <code class="digest">{manifest.featureSpec.sha256}</code>
        </dd>
        <dt>Data set</dt>
        <dd>
          <code class="digest">{manifest.dataSha256}</code>
        </dd>
        <dt>model.onnx SHA-256</dt>
        <dd>
          <code class="digest">{model.onnxSha256}</code>
        </dd>
        <dt>Parent version</dt>
        <dd>{manifest.parentVersion ?? <span class="muted">none (a first model)</span>}</dd>
        <dt>Trainer</dt>
        <dd>{manifest.trainerVersion}</dd>
      </dl>
      <h3>Hyper-parameters</h3>
      <Table
        caption="Trainer settings the model was fit with"
        head={["Setting", "Value"]}
        empty="The manifest records no hyper-parameters."
        rows={Object.entries(manifest.hyperParameters).map(([name, value]) => (
          <tr>
            <th scope="row">{name}</th>
            <td>
              <code class="json">{parameterText(value)}</code>
            </td>
          </tr>
        ))}
      />
    </Panel>
  );
}

/** The features the model reads, by input column, when it was trained on the spec the platform builds now. */
function FeaturesPanel(props: { detail: ModelDetail; platform: PlatformFeatures }) {
  const spec = props.detail.manifest.featureSpec;
  const platform = props.platform;
  if (spec.sha256 !== platform.sha256) {
    return (
      <Panel title="Features" id="features">
        <p class="muted">
          This model was trained on feature spec {spec.name} v{spec.version}, not on the one the platform builds now ({platform.name} v{platform.version}), so
          its inputs cannot be named here and it cannot serve.
        </p>
      </Panel>
    );
  }
  const catalogue = featureCatalogue(PLATFORM_FEATURE_SPEC.parameters);
  return (
    <Panel title="Features" id="features">
      <Table
        caption={`The ${catalogue.length} input features of ${spec.name} v${spec.version}, by input column`}
        head={["Column", "Feature", "What it measures"]}
        numeric={[0]}
        empty="The feature spec has no features."
        rows={catalogue.map((feature, column) => (
          <tr>
            <td class="num">{column}</td>
            <td>
              <code>{feature.name}</code>
            </td>
            <td>{feature.description}</td>
          </tr>
        ))}
      />
    </Panel>
  );
}

/** What each importance method measures, for the panel's caption. */
const IMPORTANCE_METHODS = {
  gain: "share of the final trees' total split gain per input",
  "standardised-coefficient": "share of the logistic model's |coefficient| on standardised inputs per input",
} as const;

/** Feature importance as the manifest records it (manifests written before it was recorded get no panel). */
function FeatureImportancePanel(props: { detail: ModelDetail }) {
  const importance = props.detail.manifest.featureImportance;
  const entries = importance?.features ?? [];
  const largest = entries[0]?.share ?? 0;
  if (!importance || entries.length === 0 || largest <= 0) return null;
  const measure = IMPORTANCE_METHODS[importance.method];
  return (
    <Panel title="Feature importance" id="importance">
      <p class="hint">{`The ${measure}, largest first.`}</p>
      <Table
        caption={`Feature importance: ${measure}, largest first`}
        head={["Feature", "Relative to the largest", "Share"]}
        numeric={[2]}
        empty=""
        rows={entries.map((entry) => (
          <tr>
            <th scope="row">
              <code>{entry.feature}</code>
            </th>
            <td class="bar-cell">
              <span class="bar-track" aria-hidden="true">
                <span class="bar-fill positive" style={`left:0;width:${((entry.share / largest) * 100).toFixed(2)}%`}></span>
              </span>
            </td>
            <td class="num">
              <Pct fraction={entry.share} decimals={1} />
            </td>
          </tr>
        ))}
      />
    </Panel>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Action answers

function DecisionEvidence(props: { decision: Decision }) {
  const e = props.decision.evidence;
  return (
    <p class="muted">
      Held-out log-loss <Nats value={e.logLoss} /> on {formatNumber(e.heldOutRows, 0)} rows; prior <Nats value={e.priorLogLoss} /> (gain <Nats value={e.gainOverPrior} signed />)
      {e.championLogLoss === null ? (
        "; no champion score to compare with."
      ) : (
        <>
          ; champion <Nats value={e.championLogLoss} /> (gain <Nats value={e.gainOverChampion} signed />).
        </>
      )}
    </p>
  );
}

/** The promotion gate's refusal, with the force option when the visitor may use it and the refusals allow it. */
function GateRefusal(props: { decision: Decision; model: { id: string; label: string }; reason: string | undefined; principal: Principal | undefined; action: "deploy" | "shadow" }) {
  const { decision } = props;
  const forceable = decision.refusals.every((refusal) => !UNFORCEABLE_REFUSALS.includes(refusal.code));
  const canForce = props.action === "deploy" && forceable && mayForce(props.principal);
  return (
    <div class="alert alert-bad" role="alert">
      <strong>
        The promotion gate refused {props.model.label}: {decision.code}
      </strong>
      <ul>
        {decision.refusals.map((refusal) => (
          <li>
            <code>{refusal.code}</code>: {refusal.message}
          </li>
        ))}
      </ul>
      <DecisionEvidence decision={decision} />
      {props.action !== "deploy" ? null : canForce ? (
        <form
          class="deploy-form"
          hx-post={`/models/${props.model.id}/deploy`}
          hx-target={`#${RESULT_ID}`} hx-swap="innerHTML"
          hx-confirm={`Override the promotion gate and make ${props.model.label} the champion anyway?`}
        >
          <input type="hidden" name="force" value="on" />
          <Field label="Why override the gate (kept in the deployment history)" for="force-reason">
            <input id="force-reason" name="reason" required maxlength={500} value={props.reason ?? ""} autocomplete="off" />
          </Field>
          <button type="submit" class="button button-danger">
            Deploy anyway (force)
          </button>
        </form>
      ) : (
        <p>{forceable ? "Only an admin can override this refusal." : "This refusal cannot be overridden: the model does not fit this instrument's features."}</p>
      )}
    </div>
  );
}

/** The decision inside a 409 PROMOTION_REFUSED envelope, if that is what the failure is. */
function refusedDecision(failure: ApiFailure): Decision | undefined {
  if (failure.error.code !== "PROMOTION_REFUSED") return undefined;
  const parsed = z.object({ decision: PromotionDecisionSchema }).safeParse(failure.error.details);
  return parsed.success ? parsed.data.decision : undefined;
}

function changed(c: DashboardContext, body: Child) {
  c.header("HX-Trigger", MODELS_CHANGED);
  return c.html(<>{body}</>);
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

export function modelsPages(pages: Pages): void {
  pages.get("/models", READ, async (c) => {
    const filter = registryFilter(c);
    const [registry, serving] = await Promise.all([loadRegistry(c, filter), loadServing(c)]);
    const principal = c.get("principal");
    return render(c, {
      title: "Models",
      active: "models",
      body: (
        <>
          <ResultRegion id={RESULT_ID} />
          <div class="grid">
            <Panel title="Serving now" id="serving-panel" wide>
              <ServingSection symbols={serving.symbols} history={serving.history} principal={principal} />
            </Panel>
            <Panel title="Registry" id="registry-panel" wide>
              <RegistryFilters filter={filter} symbols={symbolsOf(c)} />
              <RegistrySection result={registry} filter={filter} />
            </Panel>
          </div>
        </>
      ),
    });
  });

  pages.get("/models/registry", READ, async (c) => {
    const filter = registryFilter(c);
    return c.html(<RegistrySection result={await loadRegistry(c, filter)} filter={filter} />);
  });

  pages.get("/models/serving", READ, async (c) => {
    const serving = await loadServing(c);
    return c.html(<ServingSection symbols={serving.symbols} history={serving.history} principal={c.get("principal")} />);
  });

  pages.get("/models/:id{[0-9]+}", READ, async (c) => {
    const id = modelIdOf(c);
    const api = c.get("api");
    const detail = await api.get(`/api/v1/models/${id}`, ModelDetailSchema);
    if (!detail.ok) {
      return render(c, { title: `Model ${id}`, active: "models", body: <ApiError failure={detail} what={`model ${id}`} /> }, detail.status === 404 || detail.status === 400 ? 404 : 502);
    }
    const { model } = detail.value;
    const performance = await api.get(`/api/v1/signals/${model.symbol}/performance`, ModelPerformanceResponseSchema);
    return render(c, {
      title: `Model ${model.symbol} ${model.version}`,
      active: "models",
      body: (
        <>
          <p>
            <a href="/models">← All models</a>
          </p>
          <ResultRegion id={RESULT_ID} />
          <div class="grid">
            <Panel title="Summary" id="summary" wide>
              <ModelState result={detail} id={id} principal={c.get("principal")} />
            </Panel>
            <ScoresPanel detail={detail.value} performance={performance} />
            <FoldsPanel detail={detail.value} />
            <MetadataPanel detail={detail.value} />
            <FeaturesPanel detail={detail.value} platform={await platformFeatures()} />
            <FeatureImportancePanel detail={detail.value} />
          </div>
        </>
      ),
    });
  });

  pages.get("/models/:id{[0-9]+}/state", READ, async (c) => {
    const id = modelIdOf(c);
    return c.html(<ModelState result={await c.get("api").get(`/api/v1/models/${id}`, ModelDetailSchema)} id={id} principal={c.get("principal")} />);
  });

  pages.post("/models/:id{[0-9]+}/deploy", MANAGE, async (c) => {
    const id = modelIdOf(c);
    const form = DeployFormSchema.safeParse(await c.req.parseBody());
    if (!form.success) return c.html(<FormProblems error={form.error} />, 400);
    const force = form.data.force === "on";
    const body = { force, ...(form.data.reason === undefined ? {} : { reason: form.data.reason }) };
    const answer = await c.get("api").send("POST", `/api/v1/models/${id}/deploy`, body, DeployedSchema);
    if (!answer.ok) {
      const decision = refusedDecision(answer);
      if (decision === undefined) return failed(c, answer, `deploy model ${id}`);
      const label = await modelLabel(c, id);
      return c.html(<GateRefusal decision={decision} model={{ id, label }} reason={form.data.reason} principal={c.get("principal")} action="deploy" />, 409);
    }
    const { model, decision, serving } = answer.value;
    return changed(
      c,
      <Notice tone={decision.code === "FORCED" ? "warn" : "ok"}>
        <strong>
          {model.symbol} now serves {model.version} as champion
        </strong>{" "}
        (gate: {decision.code}
        {decision.code === "FORCED" ? `, overriding ${decision.refusals.map((r) => r.code).join(", ")}` : ""}).{" "}
        {serving.shadow ? `Shadow: ${serving.shadow.version}.` : "No shadow."}
        <DecisionEvidence decision={decision} />
      </Notice>,
    );
  });

  pages.post("/models/:id{[0-9]+}/shadow", MANAGE, async (c) => {
    const id = modelIdOf(c);
    const answer = await c.get("api").send("POST", `/api/v1/models/${id}/shadow`, undefined, ShadowedSchema);
    if (!answer.ok) {
      const decision = refusedDecision(answer);
      if (decision === undefined) return failed(c, answer, `make model ${id} the shadow`);
      return c.html(<GateRefusal decision={decision} model={{ id, label: await modelLabel(c, id) }} reason={undefined} principal={c.get("principal")} action="shadow" />, 409);
    }
    const { model, serving } = answer.value;
    return changed(
      c,
      <Notice tone="ok">
        <strong>
          {model.version} now shadows {model.symbol}
        </strong>
        , scored beside champion {serving.champion?.version ?? "(none)"} without trading.
      </Notice>,
    );
  });

  pages.post("/models/:id{[0-9]+}/unshadow", MANAGE, async (c) => {
    const id = modelIdOf(c);
    const answer = await c.get("api").send("DELETE", `/api/v1/models/${id}/shadow`, undefined, UnshadowedSchema);
    if (!answer.ok) return failed(c, answer, `remove model ${id} from the shadow slot`);
    const { model } = answer.value;
    return changed(
      c,
      <Notice tone="ok">
        <strong>{model.symbol} has no shadow now</strong>: {model.version} is {model.status}.
      </Notice>,
    );
  });

  pages.post("/models/rollback", MANAGE, async (c) => {
    const form = RollbackFormSchema.safeParse(await c.req.parseBody());
    if (!form.success) return c.html(<FormProblems error={form.error} />, 400);
    const { symbol, reason } = form.data;
    const answer = await c.get("api").send("POST", "/api/v1/models/rollback", { symbol, ...(reason === undefined ? {} : { reason }) }, RolledBackSchema);
    if (!answer.ok) return failed(c, answer, `roll ${symbol} back`);
    const { model, replaced } = answer.value;
    return changed(
      c,
      <Notice tone="ok">
        <strong>
          {symbol} rolled back: {model.version} is champion again
        </strong>
        {replaced ? `; ${replaced.version} is ${replaced.status}.` : "."}
      </Notice>,
    );
  });
}

/** "XAUUSD v2" for notices, or "model 12" when the registry cannot say. */
async function modelLabel(c: DashboardContext, id: string): Promise<string> {
  const detail = await c.get("api").get(`/api/v1/models/${id}`, ModelDetailSchema);
  return detail.ok ? `${detail.value.model.symbol} ${detail.value.model.version}` : `model ${id}`;
}
