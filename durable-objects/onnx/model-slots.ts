/**
 * The champion and shadow sessions of one instrument: loaded from R2 (bytes checked against the registry's SHA-256),
 * swapped in whole once every new session works, so that predictions never see half an assignment.
 */
import { UnavailableError, UnprocessableError } from "../../core/errors/app-error.js";
import type { ServedModel, ServingRole } from "../../core/schemas/serving.js";
import { sha256Hex } from "../../workers/models/platform-target.js";
import { loadModel, type ModelSession } from "./model-session.js";

/** A model of the assignment with its live session. */
export interface LoadedModel {
  readonly model: ServedModel;
  readonly session: ModelSession;
}

/** Slots as served: a role is absent when its slot is empty. */
export type LoadedSlots = Partial<Record<ServingRole, LoadedModel>>;

/** The assignment a set of slots is loaded from. */
export interface SlotAssignment {
  readonly champion: ServedModel | null;
  readonly shadow: ServedModel | null;
}

/** Reads a model's .onnx from R2, checks its hash, and opens a session whose input width is the model's. */
async function openModel(bucket: R2Bucket, model: ServedModel, featureWidth: number): Promise<ModelSession> {
  if (model.inputWidth !== featureWidth) {
    throw new UnprocessableError(`model ${model.version} takes ${model.inputWidth} features, the instrument builds ${featureWidth}`);
  }
  const object = await bucket.get(model.onnxKey);
  if (object === null) throw new UnavailableError(`model ${model.version}: ${model.onnxKey} is not in the model bucket`);
  const bytes = new Uint8Array(await object.arrayBuffer());
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== model.onnxSha256) {
    throw new UnprocessableError(`model ${model.version}: ${model.onnxKey} has sha256 ${sha256}, the registry says ${model.onnxSha256}`);
  }
  const session = await loadModel(bytes);
  if (session.width !== null && session.width !== featureWidth) {
    await session.release();
    throw new UnprocessableError(`model ${model.version}'s graph takes ${session.width} features, the instrument builds ${featureWidth}`);
  }
  return session;
}

/** The loaded champion and shadow of one instrument. */
export class ModelSlots {
  private slots: LoadedSlots = {};

  constructor(
    private readonly bucket: R2Bucket,
    private readonly featureWidth: number,
  ) {}

  /** The slots now serving. */
  current(): LoadedSlots {
    return this.slots;
  }

  /** True when the slots serve exactly the assignment's versions. */
  serves(assignment: SlotAssignment): boolean {
    return (
      (this.slots.champion?.model.modelId ?? null) === (assignment.champion?.modelId ?? null) &&
      (this.slots.shadow?.model.modelId ?? null) === (assignment.shadow?.modelId ?? null)
    );
  }

  /**
   * Loads the assignment and swaps it in; sessions of models that stay (e.g. a shadow promoted to champion) are
   * kept. When any model fails to load, the new sessions are released, the slots stay as they were, and the error
   * is thrown.
   */
  async assign(assignment: SlotAssignment): Promise<void> {
    const kept = new Map<number, ModelSession>();
    for (const loaded of Object.values(this.slots)) kept.set(loaded.model.modelId, loaded.session);
    const opened: ModelSession[] = [];
    const next: LoadedSlots = {};
    try {
      for (const role of ["champion", "shadow"] as const) {
        const model = assignment[role];
        if (model === null) continue;
        let session = kept.get(model.modelId);
        if (session === undefined) {
          session = await openModel(this.bucket, model, this.featureWidth);
          opened.push(session);
        }
        next[role] = { model, session };
      }
    } catch (error: unknown) {
      await Promise.all(opened.map((session) => session.release()));
      throw error;
    }
    const previous = this.slots;
    this.slots = next;
    const stillUsed = new Set(Object.values(next).map((loaded) => loaded.session));
    await Promise.all(Object.values(previous).filter((loaded) => !stillUsed.has(loaded.session)).map((loaded) => loaded.session.release()));
  }
}
