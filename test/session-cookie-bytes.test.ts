import cookieParser from "cookie-parser";
import type { Request, Response } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, browserLogoutFlow, cookieToken, type SessionCookieOptions } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";

const SECRET = "session-cookie-bytes-secret-0123456789abcdef";

/** Every combination of the attributes the flow's session cookie takes. */
const cookies: SessionCookieOptions[] = [];
for (const name of ["ory_kratos_session", "__Secure-sid", "__Host-sid"])
  for (const path of ["/", "/app"])
    for (const domain of [undefined, "example.com", ".auth.example.com"])
      for (const sameSite of ["lax", "strict", "none"] as const)
        for (const secure of [true, false])
          for (const httpOnly of [true, false]) {
            if (sameSite === "none" && !secure) continue;
            if (name.startsWith("__Secure-") && !secure) continue;
            if (name.startsWith("__Host-") && (!secure || path !== "/" || domain !== undefined)) continue;
            cookies.push({ name, path, sameSite, secure, httpOnly, ...(domain === undefined ? {} : { domain }) });
          }

describe.each(expressVersions)("the session cookie's bytes on $name", ({ express }) => {
  it(`clears the cookie with the bytes res.clearCookie writes, for all ${cookies.length} attribute combinations`, async () => {
    const app = express();
    app.get("/both", (req: Request, res: Response) => {
      const options = JSON.parse(req.get("x-cookie-options") ?? "{}") as SessionCookieOptions;
      const flow = browserLogoutFlow({ store: new MemorySessionStore(), publicUrl: "https://auth.example.com", secrets: [SECRET], sessionCookie: options });
      const { name = "", signed: _signed, ...attributes } = options;
      flow.clearSessionCookie(res);
      res.clearCookie(name, attributes);
      res.status(204).end();
    });
    for (const options of cookies) {
      const res = await request(app).get("/both").set("x-cookie-options", JSON.stringify(options));
      const [flows, express] = res.headers["set-cookie"] as unknown as string[];
      expect(flows, JSON.stringify(options)).toBe(express);
      expect(flows?.startsWith(`${options.name ?? ""}=;`)).toBe(true);
    }
  });

  it("keeps a cookie another middleware set on the same answer", async () => {
    const app = express();
    const flow = browserLogoutFlow({ store: new MemorySessionStore(), publicUrl: "https://auth.example.com", secrets: [SECRET] });
    app.get("/", (_req: Request, res: Response) => {
      res.cookie("theme", "dark");
      flow.clearSessionCookie(res);
      res.status(204).end();
    });
    const res = await request(app).get("/");
    expect(res.headers["set-cookie"]).toEqual(["theme=dark; Path=/", "ory_kratos_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax"]);
  });

  it("reads a session cookie from the header as cookie-parser reads it", async () => {
    const headers = [
      "sid=plain-token",
      "a=1; sid=plain-token; b=2",
      "a=1;sid=plain-token;b=2",
      "  sid  =  spaced-token  ; other=x",
      'sid="quoted-token"',
      'sid="',
      "sid=per%20cent%2Fencoded",
      "sid=bad%zzescape",
      "sid=%E0%A4%A",
      "sid=first; sid=second",
      "novalue; sid=after-a-part-without-equals",
      "sid=; other=x",
      "other=x; sidx=longer-name; xsid=prefixed",
      "sid=a=b=c",
      ";;; sid=after-empty-parts ;;",
      "sid",
      "",
    ];
    const source = cookieToken("sid");
    const app = express();
    app.get("/bare", (req: Request, res: Response) => {
      res.json({ read: source.read(req) ?? null });
    });
    app.get("/parsed", cookieParser(), (req: Request, res: Response) => {
      res.json({ read: source.read(req) ?? null });
    });
    for (const cookie of headers) {
      const [bare, parsed] = await Promise.all(["/bare", "/parsed"].map((path) => request(app).get(path).set("Cookie", cookie)));
      expect(bare?.status).toBe(200);
      expect(bare?.body, cookie).toEqual(parsed?.body);
    }
    const one = await request(app).get("/bare").set("Cookie", "a=1; sid=per%2Fcent; b=2");
    expect(one.body).toEqual({ read: { kind: "session-token", source: "cookie:sid", token: "per/cent" } });
  });
});
