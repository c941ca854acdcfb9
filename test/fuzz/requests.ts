/**
 * fast-check arbitraries for raw HTTP requests to the example app. Values are templates: `{{token:1}}` stands for
 * the token of the fuzzer's known session in slot 1 at the moment the request is sent (slots are refilled as
 * sessions end), `{{code}}` for the administrator's current TOTP code, and so on; `expand` fills them in.
 * Secrets the fuzzer must never learn (hidden users' tokens, their passwords) have no placeholder at all.
 */
import fc from "fast-check";

/** How many known sessions the fuzzer holds: 0–1 alice, 2 alice minted from the API key, 3–4 admin. */
export const SLOTS = 5;

export interface FuzzHeader {
  readonly name: string;
  /** Text (may hold placeholders) or raw bytes. */
  readonly value: string | readonly number[];
}

export interface FuzzRequest {
  /** Which of the app's instances answers: 0 the default query parser, 1 the extended (qs) one. */
  readonly server: 0 | 1;
  readonly method: string;
  readonly path: string;
  /** The query string without `?`, already encoded (or deliberately not). */
  readonly query: string;
  readonly headers: readonly FuzzHeader[];
  readonly body: string | readonly number[] | undefined;
  /** The store fails every call while this request runs. */
  readonly storeDown: boolean;
}

const slot = fc.integer({ min: 0, max: SLOTS - 1 });

/** Values that name a known session, in the forms the products take them. */
const knownCredential = fc.oneof(
  slot.map((n) => `{{token:${String(n)}}}`),
  slot.map((n) => `{{sid:${String(n)}}}`),
  slot.map((n) => `{{uid:${String(n)}}}`),
  slot.map((n) => `{{soajs:${String(n)}}}`),
  slot.map((n) => `{{logout:${String(n)}}}`),
  fc.constantFrom("{{code}}", "{{code:-1}}", "{{code:1}}", "{{code:-2}}", "{{apikey}}", "{{tenant}}"),
  // Near misses of a known token.
  fc.tuple(slot, fc.constantFrom("x", " ", "%00", "=", "\u00e9")).map(([n, suffix]) => `{{token:${String(n)}}}${suffix}`),
  slot.map((n) => `Bearer {{token:${String(n)}}}`),
  slot.map((n) => `Bearer  {{token:${String(n)}}} `),
);

/** Hostile or odd values that hold nothing the fuzzer knows, so an answer may echo them. */
export const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "null",
      "undefined",
      "true",
      "0",
      "-1",
      "1e309",
      "NaN",
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "hasOwnProperty",
      "[object Object]",
      '{"$ne":null}',
      '{"__proto__":{"polluted":1}}',
      "' OR '1'='1",
      "'; DROP TABLE sessions; --",
      "../../../etc/passwd",
      "%00",
      "%zz",
      "%E0%A4%A",
      "%2F%2Fevil.example",
      "//evil.example",
      "/\\evil.example",
      "javascript:alert(1)",
      "https://evil.example/",
      "https://app.example.com/",
      "/dashboard",
      "\u0000",
      "\u0007\u001b[31m",
      "\u202e",
      "\uFEFF",
      "\u{1F600}",
      "\uD800",
      "１２３４５６",
      "123456",
      "000000",
      "123456, 654321",
      "Basic c29hanM6eA==",
      "Basic !!!",
      "Bearer",
      "Bearer ",
      "ory_lo_AAAA",
      "ory_st_AAAA",
      "totp",
      "email",
      "a".repeat(5_000),
      "%".repeat(3_000),
      "\u00ff".repeat(2_000),
    ),
  },
);

const value = fc.oneof({ weight: 3, arbitrary: knownCredential }, { weight: 4, arbitrary: hostile });

const routes = [
  ["GET", "/v1/auth/login/logout"],
  ["GET", "/v1/auth/api-key/logout"],
  ["GET", "/v1/auth/{{seg}}/logout"],
  ["GET", "/v1/auth"],
  ["POST", "/v1/auth/login"],
  ["POST", "/v1/auth/api-key"],
  ["GET", "/urac/logout"],
  ["GET", "/urac/account"],
  ["POST", "/urac/login"],
  ["POST", "/api/v1/login"],
  ["GET", "/api/v1/me"],
  ["POST", "/api/v1/logout"],
  ["POST", "/api/v1/sessions/logout"],
  ["POST", "/api/v1/sessions/logout.me"],
  ["GET", "/api/v1/sessions/list"],
  ["GET", "/api/v1/sessions/info"],
  ["POST", "/self-service/login"],
  ["GET", "/self-service/logout/browser"],
  ["GET", "/self-service/logout"],
  ["DELETE", "/self-service/logout/api"],
  ["GET", "/sessions"],
  ["DELETE", "/sessions"],
  ["DELETE", "/sessions/{{seg}}"],
  ["GET", "/sessions/whoami"],
] as const;

/** A path segment: a known session id, or something hostile, percent-encoded or raw. */
const segment = fc.oneof(
  slot.map((n) => `{{sid:${String(n)}}}`),
  hostile.map((v) => encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, ""))),
  fc.constantFrom("api-key", "login", "github", "%zz", "..", ".", "%2e%2e", "a%2Fb", "x".repeat(300), "%00", "%C0%AF"),
);

const pathMutation = fc.constantFrom(
  (p: string) => p,
  (p: string) => p,
  (p: string) => p,
  (p: string) => `${p}/`,
  (p: string) => p.toUpperCase(),
  (p: string) => `/${p}`,
  (p: string) => p.replace(/\/([^/]*)$/, "/./$1"),
  (p: string) => `${p}/..`,
  (p: string) => `${p}/extra`,
  (p: string) => `/${p.slice(1).replace(/\//g, "%2F")}`,
  (p: string) => `${p};x=1`,
  (p: string) => `${p}%00`,
);

const target = fc.tuple(fc.constantFrom(...routes), pathMutation, segment).map(([[method, path], mutate, seg]) => ({ method, path: mutate(path.replace("{{seg}}", seg)) }));

const queryName = fc.constantFrom(
  "token",
  "return_to",
  "key",
  "secret",
  "soajsauth",
  "sessionId",
  "offset",
  "count",
  "page_size",
  "callback",
  "__proto__",
  "constructor",
  "__proto__[polluted]",
  "constructor[prototype][polluted]",
  "a[b][c][d][e][f][g]",
  "token[]",
  "return_to[0]",
  "sessionId[$ne]",
);

/**
 * One query parameter; echoable parameters (return_to) never get known credentials. The API secret goes only in
 * `secret`, where Endor's wire format puts it, so an answer that shows it is a leak, never an echo.
 */
const queryParam = fc.tuple(queryName, value, fc.boolean(), fc.boolean()).map(([name, v, encode, apiSecret]) => {
  const text = name === "return_to" && v.includes("{{") ? "/x" : name === "secret" && apiSecret ? "{{apisecret}}" : v;
  // Unencoded values keep their odd characters (brackets, bad escapes, non-ASCII) but not the ones that end the
  // request line; Node's parser would refuse those before the app saw them.
  const enc = (s: string) => (encode ? encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, "")) : s.replace(/[^\x21-\x22\x24-\x7e]/g, "+"));
  // Placeholders stay readable so `expand` can fill them; their values are URL-safe.
  const keep = (s: string) => s.split(/(\{\{[^}]+\}\})/).map((part) => (part.startsWith("{{") ? part : enc(part))).join("");
  return `${encode ? encodeURIComponent(name) : name}=${keep(text)}`;
});

const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  { weight: 5, arbitrary: fc.array(queryParam, { minLength: 1, maxLength: 5 }).map((ps) => ps.join("&")) },
  { weight: 1, arbitrary: fc.constant(`${"a=1&".repeat(1_500)}b=2`) },
);

/** Coherent credential sets for one known session, so the fuzzer reaches past authentication. */
const credentialSet = slot.chain((n) => {
  const t = `{{token:${String(n)}}}`;
  return fc.constantFrom<FuzzHeader[]>(
    [{ name: "Authorization", value: `Bearer ${t}` }],
    [{ name: "X-User-Id", value: `{{uid:${String(n)}}}` }, { name: "X-Auth-Token", value: t }],
    [{ name: "X-User-Id", value: `{{uid:${String(n)}}}` }, { name: "X-Auth-Token", value: t }, { name: "x-2fa-code", value: "{{code}}" }],
    [{ name: "Cookie", value: `ory_kratos_session=${t}` }],
    [{ name: "X-Session-Token", value: t }],
    [{ name: "key", value: "{{tenant}}" }, { name: "soajsauth", value: `{{soajs:${String(n)}}}` }],
    [{ name: "key", value: "{{tenant}}" }, { name: "Cookie", value: `soajsID=${t}` }],
    [{ name: "X-Api-Key", value: "{{apikey}}" }, { name: "X-Api-Secret", value: "{{apisecret}}" }],
  );
});

const headerName = fc.constantFrom(
  "Authorization",
  "X-User-Id",
  "X-Auth-Token",
  "X-Session-Token",
  "Cookie",
  "soajsauth",
  "key",
  "X-Api-Key",
  "X-Api-Secret",
  "x-2fa-code",
  "x-2fa-method",
  "Content-Type",
  "Accept",
  "X-Request-ID",
  "X-Forwarded-For",
  "X-Forwarded-Proto",
  "Sec-Fetch-Site",
  "Origin",
  "User-Agent",
  "__proto__",
  "constructor",
  "X-Random",
);

const cookieValue = fc.oneof(
  slot.map((n) => `ory_kratos_session={{token:${String(n)}}}`),
  slot.map((n) => `soajsID={{token:${String(n)}}}; ory_kratos_session={{token:${String(n)}}}`),
  fc.constantFrom("__proto__=x", "constructor=y; toString=z", "ory_kratos_session=", 'ory_kratos_session="quoted"', "ory_kratos_session=%zz", "ory_kratos_session=s%3Asigned.sig", "a=b; a=c", "=", ";;;", "ory_kratos_session=a; ory_kratos_session=b"),
  hostile.map((h) => `ory_kratos_session=${h}`),
);

/**
 * Header values never hold CR or LF: those frame the request, no header value can carry them. Most also lose the
 * other control bytes, which Node's parser refuses with a 400 before the app sees anything; raw-byte headers
 * below still send those now and then.
 */
const frameSafe = (s: string) => s.replace(/[\r\n]/g, "");
// eslint-disable-next-line no-control-regex -- removing control bytes is what this does
const parserSafe = (s: string) => s.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, "");

/**
 * Headers an answer or an event may legitimately repeat (the request id, the client address and agent a session
 * records): they never get a known credential, so finding one in an answer or event would be a leak.
 */
const echoed = new Set(["x-request-id", "x-forwarded-for", "user-agent", "origin"]);
const headerValue = (name: string, v: string) => (echoed.has(name.toLowerCase()) && v.includes("{{") ? "198.51.100.7" : v);

const oneHeader: fc.Arbitrary<FuzzHeader> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(headerName, value).map(([name, v]) => ({ name, value: parserSafe(headerValue(name, v)) })) },
  { weight: 1, arbitrary: fc.tuple(headerName, value).map(([name, v]) => ({ name, value: frameSafe(headerValue(name, v)) })) },
  { weight: 2, arbitrary: cookieValue.map((v) => ({ name: "Cookie", value: parserSafe(v) })) },
  {
    weight: 1,
    arbitrary: fc.tuple(headerName, fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([name, bytes]) => ({ name, value: [...bytes].filter((b) => b !== 10 && b !== 13) })),
  },
  { weight: 1, arbitrary: fc.constantFrom<FuzzHeader>({ name: "Accept", value: "application/json" }, { name: "Accept", value: "text/html" }, { name: "Sec-Fetch-Site", value: "cross-site" }) },
);

const headers = fc
  .tuple(fc.oneof(fc.constant<FuzzHeader[]>([]), credentialSet), fc.array(oneHeader, { maxLength: 6 }), fc.boolean())
  .map(([creds, extra, duplicate]) => {
    const all = [...creds, ...extra];
    // Send a header twice (Node joins most repeats with ", " and drops repeated Authorization).
    const first = all[0];
    return duplicate && first !== undefined ? [...all, first] : all;
  });

const jsonKey = fc.constantFrom("sessionId", "session_token", "username", "user", "password", "key", "secret", "__proto__", "constructor", "prototype", "toString", "extra");

const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    value,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(jsonKey, tie("v"), { maxKeys: 3 }),
  ),
})).v;

const loginBody = fc.tuple(fc.constantFrom("alice", "admin", "carol", "nobody"), fc.constantFrom("username", "user"), fc.boolean()).map(([name, field, right]) =>
  JSON.stringify({ [field]: name, password: right ? `{{password:${name}}}` : "wrong-password" }),
);

const body = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: jsonValue.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.dictionary(jsonKey, jsonValue, { minKeys: 1, maxKeys: 3 }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: slot.map((n) => JSON.stringify({ sessionId: `{{sid:${String(n)}}}` })) },
  { weight: 1, arbitrary: slot.map((n) => JSON.stringify({ session_token: `{{token:${String(n)}}}` })) },
  { weight: 1, arbitrary: loginBody },
  { weight: 1, arbitrary: fc.constant(JSON.stringify({ key: "{{apikey}}", secret: "{{apisecret}}" })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12_000 }).map((n) => "[".repeat(n) + "]".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((n) => `{"a":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`) },
  { weight: 1, arbitrary: fc.constantFrom(`{"session_token":"${"a".repeat(20_000)}"}`, "x".repeat(70_000), '{"sessionId":', "sessionId=x&sessionId=y", "__proto__[polluted]=1&constructor[prototype][polluted]=1") },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => [...b]) },
);

const contentType = fc.oneof(
  fc.constant<FuzzHeader[]>([{ name: "Content-Type", value: "application/json" }]),
  fc.constantFrom<FuzzHeader[]>(
    [],
    [{ name: "Content-Type", value: "application/json; charset=utf-8" }],
    [{ name: "Content-Type", value: "application/x-www-form-urlencoded" }],
    [{ name: "Content-Type", value: "text/plain" }],
    [{ name: "Content-Type", value: "application/json; charset=latin1" }],
    [{ name: "Content-Type", value: "multipart/form-data; boundary=x" }],
    [{ name: "Content-Type", value: "application/json" }, { name: "Content-Type", value: "text/plain" }],
  ),
);

const method = fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "get", "FOO") });

/** A request that looks like a real client's for one route, with its product's credentials, query and body. */
const plausible: fc.Arbitrary<FuzzRequest> = fc
  .record({
    server: fc.constantFrom<0 | 1>(0, 1),
    n: slot,
    route: fc.constantFrom(
      "endor",
      "endor-key",
      "soajs",
      "soajs-cookie",
      "rc-logout",
      "rc-admin",
      "rc-admin",
      "rc-me",
      "rc-list",
      "rc-info",
      "kratos-create",
      "kratos-logout",
      "kratos-logout",
      "kratos-native",
      "kratos-others",
      "kratos-one",
      "kratos-whoami",
      "login",
    ),
    other: slot,
    same: fc.boolean(),
    extra: fc.array(oneHeader, { maxLength: 2 }),
    extraQuery: fc.array(queryParam, { maxLength: 2 }),
    json: fc.boolean(),
    code: fc.constantFrom<string | undefined>("{{code}}", "{{code}}", "{{code:-1}}", "{{code:1}}", "{{code:-2}}", "000000", "", undefined, "{{code}}, {{code}}"),
    storeDown: fc.integer({ min: 0, max: 15 }).map((n) => n === 0),
  })
  .map(({ server, n, route, other: anyOther, same, extra, extraQuery, json, code, storeDown }) => {
    // Half the time the second session is the caller's own: its logout token, its id.
    const other = same ? n : anyOther;
    const t = `{{token:${String(n)}}}`;
    const rc: FuzzHeader[] = [{ name: "X-User-Id", value: `{{uid:${String(n)}}}` }, { name: "X-Auth-Token", value: t }];
    const jsonType: FuzzHeader = { name: "Content-Type", value: "application/json" };
    const shapes: Record<string, { method: string; path: string; query?: string; headers: FuzzHeader[]; body?: string }> = {
      endor: { method: "GET", path: "/v1/auth/login/logout", headers: [{ name: "Authorization", value: `Bearer ${t}` }] },
      "endor-key": { method: "GET", path: "/v1/auth/api-key/logout", query: "key={{apikey}}&secret={{apisecret}}", headers: [] },
      soajs: { method: "GET", path: "/urac/logout", headers: [{ name: "key", value: "{{tenant}}" }, { name: "soajsauth", value: `{{soajs:${String(n)}}}` }] },
      "soajs-cookie": { method: "GET", path: "/urac/logout", headers: [{ name: "key", value: "{{tenant}}" }, { name: "Cookie", value: `soajsID=${t}` }] },
      "rc-logout": { method: "POST", path: "/api/v1/logout", headers: rc },
      "rc-admin": {
        method: "POST",
        path: "/api/v1/sessions/logout",
        headers: [...rc, ...(code === undefined ? [] : [{ name: "x-2fa-code", value: code }]), jsonType],
        body: JSON.stringify({ sessionId: `{{sid:${String(other)}}}` }),
      },
      "rc-me": { method: "POST", path: "/api/v1/sessions/logout.me", headers: [...rc, jsonType], body: JSON.stringify({ sessionId: `{{sid:${String(other)}}}` }) },
      "rc-list": { method: "GET", path: "/api/v1/sessions/list", query: "offset=0&count=10", headers: rc },
      "rc-info": { method: "GET", path: "/api/v1/sessions/info", query: `sessionId={{sid:${String(other)}}}`, headers: rc },
      "kratos-create": { method: "GET", path: "/self-service/logout/browser", query: "return_to=%2Fdashboard", headers: [{ name: "Cookie", value: `ory_kratos_session=${t}` }] },
      "kratos-logout": {
        method: "GET",
        path: "/self-service/logout",
        query: `token={{logout:${String(other)}}}&return_to=https%3A%2F%2Fapp.example.com%2F`,
        headers: [{ name: "Cookie", value: `ory_kratos_session=${t}` }, ...(json ? [{ name: "Accept", value: "application/json" }] : [])],
      },
      "kratos-native": { method: "DELETE", path: "/self-service/logout/api", headers: [jsonType], body: JSON.stringify({ session_token: `{{token:${String(other)}}}` }) },
      "kratos-others": { method: "DELETE", path: "/sessions", headers: [{ name: "X-Session-Token", value: t }] },
      "kratos-one": { method: "DELETE", path: `/sessions/{{sid:${String(other)}}}`, headers: [{ name: "Cookie", value: `ory_kratos_session=${t}` }] },
      "kratos-whoami": { method: "GET", path: "/sessions/whoami", headers: [{ name: "X-Session-Token", value: t }] },
      login: { method: "POST", path: ["/v1/auth/login", "/api/v1/login", "/self-service/login", "/urac/login"][n % 4] ?? "/v1/auth/login", headers: [jsonType, { name: "key", value: "{{tenant}}" }], body: JSON.stringify({ username: slotUser(n), user: slotUser(n), password: `{{password:${slotUser(n)}}}` }) },
    };
    const shape = shapes[route] ?? shapes.endor!;
    const query = [shape.query ?? "", ...extraQuery].filter((q) => q !== "").join("&");
    return { server, method: shape.method, path: shape.path, query, headers: [...shape.headers, ...extra], body: shape.body, storeDown };
  });

function slotUser(n: number): string {
  return n <= 2 ? "alice" : "admin";
}

const chaotic: fc.Arbitrary<FuzzRequest> = fc
  .record({
    server: fc.constantFrom<0 | 1>(0, 1),
    target,
    method,
    query,
    headers,
    contentType,
    body,
    storeDown: fc.integer({ min: 0, max: 11 }).map((n) => n === 0),
  })
  .map((r) => ({
    server: r.server,
    method: r.method ?? r.target.method,
    path: r.target.path,
    query: r.query,
    headers: r.body === undefined ? r.headers : [...r.contentType, ...r.headers],
    body: r.body,
    storeDown: r.storeDown,
  }));

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(chaotic, plausible);
