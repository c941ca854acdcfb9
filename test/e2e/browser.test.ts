import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExampleApp } from "../../examples/app/index.js";
import { KRATOS_SESSION_COOKIE, MemorySessionStore, type SessionWatcher } from "../../src/index.js";
import { launchChromium, needChromium } from "../helpers/chromium.js";

const available = await needChromium();

describe.skipIf(!available)("the example app in a real browser (Chromium)", () => {
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

  async function signIn(userAgent?: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext(userAgent === undefined ? {} : { userAgent });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.fill("input[name=username]", "alice");
    await page.fill("input[name=password]", "alice-password");
    await page.click("button[type=submit]");
    await page.waitForSelector("text=Signed in as alice");
    return { context, page };
  }

  const sessionCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === KRATOS_SESSION_COOKIE);

  it("logs in through the form and shows this device in the session list", async () => {
    const { context, page } = await signIn();
    expect(page.url()).toBe(`${base}/`);
    const cookie = await sessionCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    await expect(page.locator("tbody tr", { hasText: "this device" }).count()).resolves.toBe(1);
  });

  it("ends a second browser's session from the list, and that browser is logged out on its next navigation", async () => {
    const first = await signIn();
    const second = await signIn("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15");
    const secondToken = (await sessionCookie(second.context))?.value;
    expect(secondToken).toBeDefined();
    const secondSession = (await store.listSessions("alice")).find((s) => s.userAgent?.includes("Safari/605"));
    expect(secondSession).toBeDefined();

    await first.page.reload();
    const row = first.page.locator(`tr[data-session-id="${secondSession!.id}"]`);
    await expect(row.count()).resolves.toBe(1);
    await Promise.all([first.page.waitForEvent("load"), row.locator("button", { hasText: "End" }).click()]);
    await expect(first.page.locator(`tr[data-session-id="${secondSession!.id}"]`).count()).resolves.toBe(0);
    expect(await store.getSession(secondSession!.id)).toBeUndefined();

    await second.page.goto(`${base}/`);
    await second.page.waitForSelector("text=Not signed in");
    const whoami = await second.context.request.get(`${base}/sessions/whoami`, { headers: { Accept: "application/json" } });
    expect(whoami.status()).toBe(401);
  });

  it("switches a second browser's open page to \"You were signed out\" without a reload the moment the first browser ends its session", async () => {
    const first = await signIn();
    const second = await signIn("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
    const secondSession = (await store.listSessions("alice")).find((s) => s.userAgent?.includes("Firefox/128"));
    expect(secondSession).toBeDefined();
    // A mark in the page's own JavaScript state: a reload or a navigation would lose it.
    await second.page.evaluate(() => { (globalThis as unknown as { stillThisPage: boolean }).stillThisPage = true; });
    const secondUrl = second.page.url();
    // Both pages hold their live stream open.
    await expect.poll(() => live?.stats.sessions ?? 0).toBeGreaterThanOrEqual(2);
    await expect(second.page.locator("text=You were signed out").count()).resolves.toBe(0);

    await first.page.reload();
    const row = first.page.locator(`tr[data-session-id="${secondSession!.id}"]`);
    await Promise.all([first.page.waitForEvent("load"), row.locator("button", { hasText: "End" }).click()]);
    expect(await store.getSession(secondSession!.id)).toBeUndefined();

    await second.page.waitForSelector("text=You were signed out", { timeout: 2_000 });
    expect(await second.page.evaluate(() => (globalThis as unknown as { stillThisPage?: boolean }).stillThisPage)).toBe(true);
    expect(second.page.url()).toBe(secondUrl);
    await expect(second.page.locator("text=Signed in as alice").count()).resolves.toBe(0);
    // The first browser's page is still signed in, and its stream still open.
    await expect(first.page.locator("text=Signed in as alice").count()).resolves.toBe(1);
    await expect(first.page.locator("text=You were signed out").count()).resolves.toBe(0);
  });

  it("logs out through the browser flow: session ended, cookie cleared, back on /, and Back does not show the private page", async () => {
    const { context, page } = await signIn();
    const token = (await sessionCookie(context))?.value;
    const before = (await store.listSessions("alice")).length;
    await Promise.all([page.waitForURL(`${base}/`), page.click("#logout")]);
    await page.waitForSelector("text=Not signed in");
    expect(await sessionCookie(context)).toBeUndefined();
    expect((await store.listSessions("alice")).length).toBe(before - 1);
    // The old token is refused even if a client kept it.
    const replay = await context.request.get(`${base}/sessions/whoami`, { headers: { Cookie: `${KRATOS_SESSION_COOKIE}=${token ?? ""}`, Accept: "application/json" } });
    expect(replay.status()).toBe(401);
    await page.goBack();
    await page.waitForLoadState();
    expect(await page.content()).not.toContain("Signed in as alice");
  });

  it("refuses a logout URL whose return_to is outside the allow-list, and the session lives on", async () => {
    const { context, page } = await signIn();
    const href = await page.getAttribute("#logout", "href");
    expect(href).not.toBeNull();
    const count = (await store.listSessions("alice")).length;
    const evil = `${href!}&return_to=${encodeURIComponent("https://evil.example/")}`;
    const response = await page.goto(evil);
    expect(response?.status()).toBe(400);
    expect(await page.content()).toContain("self_service_flow_return_to_forbidden");
    expect(page.url().startsWith(base)).toBe(true);
    expect((await store.listSessions("alice")).length).toBe(count);
    expect(await sessionCookie(context)).toBeDefined();
    await page.goto(`${base}/`);
    await page.waitForSelector("text=Signed in as alice");
  });
});
