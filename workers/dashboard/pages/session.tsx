/**
 * Logging in and out of the dashboard. The form posts to `/login`, which logs in through the API (`POST /auth/login`
 * with `session: "cookie"`) and passes its HttpOnly, SameSite=Strict cookies on; `/auth/resume` renews an expired
 * access token from the refresh cookie (sent only under /auth) and returns to the page; `/logout` revokes the login.
 */
import { z } from "zod";
import type { Context } from "hono";
import { clearSessionCookies } from "../../auth/cookies.js";
import type { AppEnv } from "../../http/app-env.js";
import { failureOf } from "../api-client.js";
import { Notice } from "../components.js";
import { Document } from "../layout.js";
import { isHtmx, LOGIN_PATH, safeNext, type DashboardContext } from "../page-access.js";
import type { Pages } from "../pages.js";

const LoginFormSchema = z.object({
  username: z.string().trim().min(1, "enter your username").max(64),
  password: z.string().min(1, "enter your password").max(1_024),
  next: z.string().optional(),
});

/** Copies the Set-Cookie headers of an API answer onto the page's answer. */
function passCookiesOn(from: Response, to: Response): Response {
  for (const cookie of from.headers.getSetCookie()) to.headers.append("set-cookie", cookie);
  return to;
}

function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location } });
}

function LoginPage(props: { next: string; username?: string; error?: string }) {
  return (
    <Document title="Log in">
      <main id="main" class="login">
        <form method="post" action={LOGIN_PATH} class="login-form" aria-labelledby="login-title">
          <h1 id="login-title">Aurum Edge</h1>
          <p class="muted">Log in to watch and control the platform.</p>
          {props.error ? <Notice tone="bad">{props.error}</Notice> : null}
          <input type="hidden" name="next" value={props.next} />
          <div class="field">
            <label for="username">Username</label>
            <input id="username" name="username" autocomplete="username" required maxlength={64} value={props.username ?? ""} autofocus />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={1024} />
          </div>
          <button type="submit" class="button button-primary">
            Log in
          </button>
        </form>
      </main>
    </Document>
  );
}

function loginFailureMessage(status: number, message: string, retryAfterS: string | null): string {
  if (status === 401) return "Wrong username or password.";
  if (status === 429) return `Too many attempts. Try again in ${retryAfterS ?? "a few"} seconds.`;
  return `Login failed: ${message}`;
}

export function sessionPages(pages: Pages): void {
  pages.get(LOGIN_PATH, null, (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.get("principal") !== undefined) return redirect(next);
    return c.html(<LoginPage next={next} />);
  });

  pages.post(LOGIN_PATH, null, async (c) => {
    const form = LoginFormSchema.safeParse(await c.req.parseBody());
    const next = safeNext(form.success ? form.data.next : undefined);
    if (!form.success) return c.html(<LoginPage next={next} error={form.error.issues.map((i) => i.message).join("; ")} />, 400);
    const answer = await c.get("api").request("POST", "/auth/login", { username: form.data.username, password: form.data.password, session: "cookie" });
    if (answer.ok) {
      await answer.body?.cancel();
      return passCookiesOn(answer, redirect(next));
    }
    const failure = await failureOf(answer);
    const message = loginFailureMessage(answer.status, failure.error.message, answer.headers.get("retry-after"));
    const page = await c.html(<LoginPage next={next} username={form.data.username} error={message} />, answer.status === 429 ? 429 : 401);
    const retryAfter = answer.headers.get("retry-after");
    if (retryAfter !== null) page.headers.set("retry-after", retryAfter);
    return page;
  });

  pages.get("/auth/resume", null, async (c) => {
    const next = safeNext(c.req.query("next"));
    const answer = await c.get("api").request("POST", "/auth/refresh");
    await answer.body?.cancel();
    if (answer.ok) return passCookiesOn(answer, redirect(next));
    clearSessionCookies(c as unknown as Context<AppEnv>);
    const response = redirect(`${LOGIN_PATH}?next=${encodeURIComponent(next)}`);
    for (const cookie of c.res.headers.getSetCookie()) response.headers.append("set-cookie", cookie);
    return response;
  });

  pages.post("/logout", { role: "viewer" }, async (c: DashboardContext) => {
    const answer = await c.get("api").request("POST", "/auth/logout");
    await answer.body?.cancel();
    if (!answer.ok) clearSessionCookies(c as unknown as Context<AppEnv>);
    const response = isHtmx(c) ? new Response(null, { status: 204, headers: { "HX-Redirect": LOGIN_PATH } }) : redirect(LOGIN_PATH);
    for (const cookie of [...answer.headers.getSetCookie(), ...c.res.headers.getSetCookie()]) response.headers.append("set-cookie", cookie);
    return response;
  });
}
