/** The benchmark baseline: the smallest possible Hono route, served by the same runtime as the platform. */
import { Hono } from "hono";

export default new Hono().get("/", (c) => c.text("ok")).post("/", async (c) => c.text(String((await c.req.text()).length)));
