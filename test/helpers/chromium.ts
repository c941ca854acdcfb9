import { chromium, type Browser } from "playwright-core";
import { hasExecutable, needService } from "./services.js";

/** The system's Chromium: playwright-core ships no browser of its own. */
const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether the browser suites run: without Chromium they are skipped with a printed reason, and they fail when
 * `CI` is set. Call it at a test file's top level, then `describe.skipIf(!available)(...)`.
 */
export function needChromium(): Promise<boolean> {
  return needService(`Chromium at ${CHROMIUM}`, () => hasExecutable(CHROMIUM));
}

/** A headless Chromium with its background traffic and first-run work turned off, so tests see only their own requests. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
