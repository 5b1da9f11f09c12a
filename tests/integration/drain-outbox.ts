/** Waits until a Durable Object's outbox is delivered to D1 (its own alarm may be delivering at the same moment). */
import { runDurableObjectAlarm } from "cloudflare:test";

/** Runs the object's alarm until `pending()` (its outbox backlog) is 0. */
export async function drainOutbox(stub: DurableObjectStub, pending: () => Promise<number>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    await runDurableObjectAlarm(stub);
    if ((await pending()) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the outbox still holds ${await pending()} records`);
}
