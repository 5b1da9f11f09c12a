/** Users (admin): list, create, change role, password or disabled state. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ConflictError, NotFoundError, UnprocessableError } from "../../core/errors/app-error.js";
import { IdParamSchema, UserCreateSchema, UserSchema, UserUpdateSchema, type User } from "../../core/schemas/auth.js";
import { evictUser } from "../auth/authenticate.js";
import { hashPassword } from "../auth/password.js";
import { db } from "../db/client.js";
import { revokeUserTokens } from "../db/refresh-tokens.js";
import { findUserById, insertUser, listUsers, updateUser, type UserRow } from "../db/users.js";
import { requires, route } from "../http/access.js";
import type { AppEnv } from "../http/app-env.js";
import { errorResponses, json, PROTECTED_ERRORS } from "../http/openapi.js";

function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, role: row.role, createdAtMs: row.createdAtMs, updatedAtMs: row.updatedAtMs, disabled: row.disabledAtMs !== null };
}

export const userRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    route(requires("admin"), {
      method: "get",
      path: "/api/v1/users",
      tags: ["users"],
      summary: "List users",
      responses: { 200: json(z.object({ users: z.array(UserSchema) }), "Users by name"), ...errorResponses(...PROTECTED_ERRORS) },
    }),
    async (c) => c.json({ users: (await listUsers(db(c.env))).map(toUser) }, 200),
  )
  .openapi(
    route(requires("admin"), {
      method: "post",
      path: "/api/v1/users",
      tags: ["users"],
      summary: "Create a user",
      request: { body: { required: true, content: { "application/json": { schema: UserCreateSchema } } } },
      responses: { 201: json(UserSchema, "The new user"), ...errorResponses(...PROTECTED_ERRORS, 409) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const database = db(c.env);
      const id = crypto.randomUUID();
      const passwordHash = await hashPassword(body.password, c.get("platform").config.auth.pbkdf2Iterations);
      if (!(await insertUser(database, { id, username: body.username, passwordHash, role: body.role, nowMs: Date.now() }))) {
        throw new ConflictError(`username '${body.username.toLowerCase()}' is taken`);
      }
      c.set("audit", { target: `user:${id}`, details: { username: body.username.toLowerCase(), role: body.role } });
      const created = await findUserById(database, id);
      if (!created) throw new NotFoundError(`user ${id} vanished`);
      return c.json(toUser(created), 201);
    },
  )
  .openapi(
    route(requires("admin"), {
      method: "patch",
      path: "/api/v1/users/{id}",
      tags: ["users"],
      summary: "Change a user's role, password or disabled state",
      description: "Any change ends the user's sessions (refresh tokens revoked).",
      request: { params: IdParamSchema, body: { required: true, content: { "application/json": { schema: UserUpdateSchema } } } },
      responses: { 200: json(UserSchema, "The updated user"), ...errorResponses(...PROTECTED_ERRORS, 404, 422) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const principal = c.get("principal");
      if (principal?.kind === "user" && principal.userId === id && (body.disabled === true || (body.role !== undefined && body.role !== "admin"))) {
        throw new UnprocessableError("an admin cannot disable or demote themselves");
      }
      const database = db(c.env);
      const nowMs = Date.now();
      const changes = {
        ...(body.role === undefined ? {} : { role: body.role }),
        ...(body.password === undefined ? {} : { passwordHash: await hashPassword(body.password, c.get("platform").config.auth.pbkdf2Iterations) }),
        ...(body.disabled === undefined ? {} : { disabledAtMs: body.disabled ? nowMs : null }),
      };
      const updated = await updateUser(database, id, changes, nowMs);
      if (!updated) throw new NotFoundError(`no user ${id}`);
      await revokeUserTokens(database, id, "user changed", nowMs);
      evictUser(id);
      c.set("audit", { target: `user:${id}`, details: { role: body.role, disabled: body.disabled, passwordChanged: body.password !== undefined } });
      return c.json(toUser(updated), 200);
    },
  );
