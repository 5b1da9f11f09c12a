/** Starting the platform locally under `wrangler dev`, and waiting for it to answer. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1 (for the inspector, which must not collide with other processes). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Runs a command to completion, inheriting stdio; rejects on a non-zero exit. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`))));
  });
}

export interface DevServerOptions {
  readonly port: number;
  readonly persistDir: string;
  /** Extra `--var KEY:VALUE` overrides. */
  readonly vars?: Readonly<Record<string, string>>;
  /** Pipe the server's output instead of inheriting it (tests). */
  readonly quiet?: boolean;
  /**
   * Start it in its own process group (stop it with `stopServer`). Off for `npm start`, so that killing
   * `npm start`'s group (Ctrl-C, or a crash drill's SIGKILL) takes wrangler and workerd down with it.
   */
  readonly detached?: boolean;
}

/** Starts `wrangler dev` on 127.0.0.1 with local state in `persistDir`, cron testing enabled. */
export async function startDevServer(options: DevServerOptions): Promise<ChildProcess> {
  const inspectorPort = await freePort();
  const args = [
    "wrangler", "dev",
    "--ip", "127.0.0.1",
    "--port", String(options.port),
    "--inspector-port", String(inspectorPort),
    "--persist-to", options.persistDir,
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...Object.entries(options.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  return spawn("npx", args, {
    stdio: options.quiet ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    detached: options.detached ?? false,
  });
}

/** Polls `GET /health` until it answers 200, the process dies, or `timeoutMs` passes. */
export async function waitForHealthy(baseUrl: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before answering`);
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${baseUrl}/health did not answer within ${timeoutMs} ms`);
}

/**
 * Stops a server and everything it started (wrangler runs workerd as a child): the whole process group when the
 * child leads one (spawned detached), else the child alone.
 */
export async function stopServer(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", group = true): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(group ? -child.pid : child.pid, signal);
  } catch {
    return;
  }
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (child.exitCode === null) {
    try {
      process.kill(group ? -child.pid : child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
