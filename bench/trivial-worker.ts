/**
 * The benchmark baseline: the smallest possible Hono routes, on an /api path so that, deployed like the platform,
 * they take the same route through the asset router.
 */
import { Hono } from "hono";

export default new Hono()
  .get("/api/trivial", (c) => c.text("ok"))
  .post("/api/trivial", async (c) => c.text(String((await c.req.text()).length)));
