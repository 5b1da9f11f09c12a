/** Installs a Debian package the project's scripts need (wrk for benchmarks, chromium for browser tests). */
import { execFileSync } from "node:child_process";

function onPath(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure `command` exists, installing `debianPackage` with apt-get when it does not (needs root, as on this
 * project's machines and CI). Throws with the manual command when it cannot.
 */
export function ensureDebianPackage(command: string, debianPackage: string): void {
  if (onPath(command)) return;
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!asRoot) throw new Error(`'${command}' is missing: install it with 'sudo apt-get install -y ${debianPackage}'`);
  console.error(`installing ${debianPackage} (apt-get)…`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
  execFileSync("apt-get", ["install", "-y", "-qq", debianPackage], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (!onPath(command)) throw new Error(`installed ${debianPackage} but '${command}' is still not on the PATH`);
}
