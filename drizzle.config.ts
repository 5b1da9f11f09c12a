/** drizzle-kit: generates D1 migrations in migrations/ from workers/db/schema.ts. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./workers/db/schema.ts",
  out: "./migrations",
});
