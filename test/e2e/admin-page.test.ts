import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExampleApp } from "../../examples/app/index.js";
import { demoConfig } from "../../examples/app/demo.js";
import { MemorySessionStore, type SessionWatcher } from "../../src/index.js";
import { launchChromium, needChromium } from "../helpers/chromium.js";
import { codeAt, wrongCode } from "../helpers/rocket-chat.js";

const available = await needChromium();
const SECRET = demoConfig().adminTotpSecret;
/** `UPDATE_SCREENSHOTS=1` writes the README's picture of the admin page from this run. */
const SCREENSHOT = fileURLToPath(new URL("../../docs/admin-page.png", import.meta.url));

describe.skipIf(!available)("the example app's admin page in a real browser (Chromium)", () => {
  let browser: Browser;
  let server: Server;
  let store: MemorySessionStore;
  let base: string;
  let live: SessionWatcher | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    store = new MemorySessionStore();
    const example = createExampleApp({ store, publicUrl: base });
    live = example.live;
    server.on("request", example.app);
    browser = await launchChromium();
  });

  afterAll(async () => {
    live?.close();
    for (const c of contexts) await c.close();
    await browser.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    store.close();
  });

  async function signIn(username: string, userAgent: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ userAgent, viewport: { width: 900, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.fill("input[name=username]", username);
    await page.fill("input[name=password]", `${username}-password`);
    await page.click("button[type=submit]");
    await page.waitForSelector(`text=Signed in as ${username}`);
    return { context, page };
  }

  /** Every session of alice and the admin, sorted by id, to compare before and after a refusal. */
  const snapshot = async () => [...(await store.listSessions("alice")), ...(await store.listSessions("admin"))].map((s) => s.id).sort();

  it("refuses the page to alice, who holds neither permission", async () => {
    const alice = await signIn("alice", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    expect(await alice.page.locator("#admin-page").count()).toBe(0);
    const response = await alice.page.goto(`${base}/admin?user=admin`);
    expect(response?.status()).toBe(403);
    expect(await alice.page.content()).toContain("Not an administrator");
    expect(await alice.page.content()).not.toContain("Sessions of admin");
  });

  it("lets the admin find alice, end her session after a TOTP prompt, refuse a wrong and a replayed code, and alice's page reacts", async () => {
    const phone = await signIn("alice", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1");
    const laptop = await signIn("alice", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36");
    await expect.poll(() => live?.stats.sessions ?? 0).toBeGreaterThanOrEqual(2);
    const phoneSession = (await store.listSessions("alice")).find((s) => s.userAgent?.includes("iPhone"));
    expect(phoneSession).toBeDefined();

    const admin = await signIn("admin", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36");
    await Promise.all([admin.page.waitForURL(`${base}/admin`), admin.page.click("#admin-page")]);
    await admin.page.fill("input[name=user]", "alice");
    await Promise.all([admin.page.waitForURL(/\/admin\?user=alice$/), admin.page.click("form.search button")]);
    const row = admin.page.locator(`tr[data-session-id="${phoneSession!.id}"]`);
    await expect(row.locator("td").first().textContent()).resolves.toBe("Safari on iOS");
    await expect(row.locator("td").nth(3).textContent()).resolves.toBe("just now");
    await expect(admin.page.locator("tbody tr").count()).resolves.toBe(3);

    // A wrong code: the prompt's refusal is stated and nothing changes.
    const before = await snapshot();
    await row.locator("button", { hasText: "End" }).click();
    await admin.page.waitForSelector("#step-up:not([hidden])");
    await admin.page.fill("#totp-code", await wrongCode(SECRET));
    await admin.page.click("#confirm");
    await admin.page.waitForSelector("#result.refused");
    expect(await admin.page.textContent("#result")).toBe("Refused: The code is wrong, expired or was already used. Nothing was changed.");
    expect(await snapshot()).toEqual(before);

    // The right code ends the phone's session; the page says so and the row goes.
    const code = await codeAt(SECRET);
    await row.locator("button", { hasText: "End" }).click();
    await admin.page.fill("#totp-code", code);
    await admin.page.click("#confirm");
    await admin.page.waitForSelector("#result.done");
    expect(await admin.page.textContent("#result")).toBe("Ended 1 session of alice. That device is signed out now.");
    await expect(row.count()).resolves.toBe(0);
    expect(await store.getSession(phoneSession!.id)).toBeUndefined();
    if (process.env.UPDATE_SCREENSHOTS === "1") await admin.page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Alice's phone page switches to "You were signed out" at once, and its next request fails.
    await phone.page.waitForSelector("text=You were signed out", { timeout: 2_000 });
    const whoami = await phone.context.request.get(`${base}/sessions/whoami`, { headers: { Accept: "application/json" } });
    expect(whoami.status()).toBe(401);
    await phone.page.goto(`${base}/`);
    await phone.page.waitForSelector("text=Not signed in");

    // The same code again, for "End all": a replay, refused, and alice's laptop stays signed in.
    const left = await snapshot();
    await admin.page.click("#end-all");
    await admin.page.fill("#totp-code", code);
    await admin.page.click("#confirm");
    await admin.page.waitForSelector("#result.refused");
    expect(await admin.page.textContent("#result")).toBe("Refused: The code is wrong, expired or was already used. Nothing was changed.");
    expect(await snapshot()).toEqual(left);
    await laptop.page.reload();
    await laptop.page.waitForSelector("text=Signed in as alice");
  });
});
