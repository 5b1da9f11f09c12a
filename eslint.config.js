// Lint rules: typescript-eslint's recommended set plus the import boundary that keeps core/ pure.
import tseslint from "typescript-eslint";

const IMPURE_IMPORTS = {
  patterns: [
    { group: ["cloudflare:*"], message: "core/ is pure: no Workers runtime modules." },
    { group: ["drizzle-orm", "drizzle-orm/*"], message: "core/ is pure: persistence belongs in workers/ or durable-objects/." },
    { group: ["hono", "hono/*", "@hono/*"], message: "core/ is pure: HTTP belongs in workers/." },
    { group: ["node:*", "fs", "path", "os", "child_process", "http", "https", "net"], message: "core/ is pure: no I/O." },
    { group: ["**/workers/**", "**/durable-objects/**", "**/training/**", "**/scripts/**"], message: "Arrows point into core/, never out of it." },
  ],
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", ".wrangler/**", "types/**", "public/vendor/**", "public/app/**", "test-output/**", "bench-output/**", ".types-check/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", IMPURE_IMPORTS],
      "no-restricted-globals": [
        "error",
        { name: "fetch", message: "core/ is pure: no network I/O." },
        { name: "Env", message: "core/ receives config objects, never Env." },
        { name: "process", message: "core/ never reads the process environment." },
        { name: "crypto", message: "core/ is deterministic: inject randomness." },
        { name: "setTimeout", message: "core/ has no timers: time is a parameter." },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "core/ takes time as a parameter (or an injected Clock), never Date.now()." },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: "core/ is deterministic: inject a seeded random source." },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "core/ takes time as a parameter, never new Date()." },
        { selector: "TSTypeReference[typeName.name='Env']", message: "core/ receives config objects, never Env." },
      ],
    },
  },
);
