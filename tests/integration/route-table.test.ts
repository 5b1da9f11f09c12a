/** exploration */
import { describe, it } from "vitest";
import { createApp } from "../../workers/app.js";
import { DECLARED_ACCESS } from "../../workers/http/access.js";
import { call } from "./http.js";
import { freshState } from "./fresh-state.js";

describe("x", () => {
  it("y", async () => {
    await freshState();
    const app = createApp();
    console.log(JSON.stringify(app.routes.map((r) => [r.method, r.path])));
    console.log(JSON.stringify([...DECLARED_ACCESS.entries()]));
    const doc = await (await call("/openapi.json", {}, "anonymous")).json();
    console.log(JSON.stringify(doc).slice(0, 6000));
    const docs = await call("/docs", {}, "anonymous");
    console.log(docs.status, JSON.stringify([...docs.headers]), await docs.text());
    const t0 = Date.now(); for (let i = 0; i < 10; i++) await freshState(); console.log("fresh ms", (Date.now() - t0) / 10);
  });
});
