/** A one-line progress bar on stderr (plain lines when stderr is not a terminal). */

export interface Progress {
  update(done: number, extra?: string): void;
  finish(extra?: string): void;
}

export function progressBar(label: string, total: number): Progress {
  const startedMs = performance.now();
  const tty = process.stderr.isTTY === true;
  let lastPrintMs = 0;
  const render = (done: number, extra: string) => {
    const fraction = total === 0 ? 1 : done / total;
    const width = 30;
    const filled = Math.round(fraction * width);
    const rate = done / Math.max(0.001, (performance.now() - startedMs) / 1000);
    return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${Math.round(rate).toLocaleString("en-US")}/s ${extra}`;
  };
  return {
    update(done, extra = "") {
      const nowMs = performance.now();
      if (nowMs - lastPrintMs < (tty ? 100 : 2_000)) return;
      lastPrintMs = nowMs;
      process.stderr.write(tty ? `\r${render(done, extra)}` : `${render(done, extra)}\n`);
    },
    finish(extra = "") {
      process.stderr.write(`${tty ? "\r" : ""}${render(total, extra)}\n`);
    },
  };
}
