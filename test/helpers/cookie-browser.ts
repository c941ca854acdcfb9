/**
 * A small browser over HTTP for driving real sign-in and sign-out pages in tests: a cookie jar (per host name,
 * as browsers keep cookies across ports), redirects followed by hand (so each hop can be seen), and forms
 * submitted from the HTML the server sent.
 */
export interface Page {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Every URL visited on the way, the first request included. */
  readonly visited: readonly string[];
}

export interface PageForm {
  readonly action: string;
  readonly method: string;
  readonly fields: Record<string, string>;
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F);/g, (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'", "#x2F": "/" })[name] ?? "");
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

/** The forms of an HTML page with their hidden and pre-filled fields. */
export function formsOf(page: Page): PageForm[] {
  const forms: PageForm[] = [];
  for (const match of page.body.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const tag = /<form\b[^>]*>/i.exec(match[0])?.[0] ?? "";
    const fields: Record<string, string> = {};
    for (const input of (match[1] ?? "").matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input[0], "name");
      if (name !== undefined) fields[name] = attribute(input[0], "value") ?? "";
    }
    forms.push({ action: new URL(attribute(tag, "action") ?? page.url, page.url).href, method: (attribute(tag, "method") ?? "get").toUpperCase(), fields });
  }
  return forms;
}

export class CookieBrowser {
  readonly #jar = new Map<string, Map<string, string>>();

  /** The cookies the jar holds for a host name. */
  cookies(hostname: string): ReadonlyMap<string, string> {
    return this.#jar.get(hostname) ?? new Map();
  }

  /** Loads a URL and follows its redirects (at most 20). */
  get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.#navigate(url, { method: "GET", headers });
  }

  /** Sends a form as a browser does (urlencoded), with `extra` fields added or replaced, and follows redirects. */
  submit(form: PageForm, extra: Record<string, string> = {}): Promise<Page> {
    const body = new URLSearchParams({ ...form.fields, ...extra }).toString();
    if (form.method === "GET") return this.get(`${form.action}${form.action.includes("?") ? "&" : "?"}${body}`);
    return this.#navigate(form.action, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  }

  /** Sends one request without following its redirect (to look at a `Location`). */
  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.cookies(target.hostname)].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(target, {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: { ...(cookie === "" ? {} : { cookie }), ...(init.headers ?? {}) },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    this.#store(target.hostname, response.headers.getSetCookie());
    return response;
  }

  async #navigate(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Page> {
    const visited: string[] = [];
    let current = url;
    let request = init;
    for (let hop = 0; hop < 20; hop++) {
      visited.push(current);
      const response = await this.request(current, request);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.arrayBuffer();
        current = new URL(location, current).href;
        // 303 (and, as browsers do, 301/302 after a POST) continue with a GET.
        request = response.status === 307 || response.status === 308 ? request : { method: "GET", headers: {} };
        continue;
      }
      return { url: current, status: response.status, headers: response.headers, body: await response.text(), visited };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  #store(hostname: string, setCookies: readonly string[]): void {
    let cookies = this.#jar.get(hostname);
    if (cookies === undefined) {
      cookies = new Map();
      this.#jar.set(hostname, cookies);
    }
    for (const header of setCookies) {
      const [pair = "", ...attributes] = header.split(";");
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split("=").slice(1).join("=")) <= Date.now()));
      if (value === "" || expired) cookies.delete(name);
      else cookies.set(name, value);
    }
  }
}
