/** Runs `npm start` as a child process for end-to-end tests and stops it (gracefully or with SIGKILL). */
import { spawn, type ChildProcess } from "node:child_process";
import { freePort, stopServer } from "../../../scripts/lib/server.js";

export interface RunningPlatform {
  readonly baseUrl: string;
  readonly port: number;
  readonly output: () => string;
  readonly process: ChildProcess;
}

/** Starts `npm start` and resolves once it printed its URL (the demo data, if asked for, is loaded by then). */
export async function startPlatform(options: { persistDir: string; demo: boolean; port?: number }): Promise<RunningPlatform> {
  const port = options.port ?? (await freePort());
  const child = spawn("npm", ["start"], {
    env: { ...process.env, PORT: String(port), PERSIST_DIR: options.persistDir, DEMO: options.demo ? "1" : "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("Platform running at")) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`npm start exited with ${child.exitCode}:\n${output.slice(-4_000)}`));
      }
    }, 100);
  });
  return { baseUrl: `http://127.0.0.1:${port}`, port, output: () => output, process: child };
}

/** Stops the platform; SIGKILL simulates a crash (no chance to flush anything). */
export function stopPlatform(platform: RunningPlatform, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  return stopServer(platform.process, signal);
}
