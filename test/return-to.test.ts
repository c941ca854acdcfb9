import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_RETURN_TO_LENGTH, checkReturnTo, compileReturnToPolicy } from "../src/index.js";

const BASE = "https://auth.example.com";
const policy = compileReturnToPolicy({
  base: BASE,
  allow: ["https://app.example.com/", "https://*.example.org/app", "http://localhost:3000/"],
});

function verdict(value: string): string {
  const check = checkReturnTo(policy, value);
  return check.ok ? `ok ${check.location}` : `refused: ${check.reason}`;
}

/** Security test matrix group D: every trick, with the part of the rule that stops it. */
const refused: readonly (readonly [group: string, value: string])[] = [
  ["36 foreign host", "https://evil.example/"],
  ["36 scheme mismatch", "http://app.example.com/"],
  ["37 scheme-relative", "//evil.example"],
  ["37 scheme-relative, three slashes", "///evil.example"],
  ["37 double backslash", "\\\\evil.example"],
  ["37 slash backslash", "/\\evil.example"],
  ["37 backslash slash", "\\/evil.example"],
  ["38 space between slashes", "/ /evil"],
  ["38 tab between slashes", "/\t/evil"],
  ["38 newline between slashes", "/\n/evil"],
  ["38 carriage return and backslash", "/\r\\evil"],
  ["38 vertical tab between slashes", "/\v/evil"],
  ["38 encoded tab", "/%09/evil"],
  ["38 encoded slashes as the whole value", "%2F%2Fevil.example"],
  ["38 encoded backslash", "/%5Cevil.example"],
  ["38 encoded CRLF (header injection)", "/%0d%0aSet-Cookie:x=1"],
  ["38 encoded DEL", "/%7f"],
  ["38 leading space", " https://app.example.com/"],
  ["38 leading tab", "\thttps://app.example.com/"],
  ["38 trailing newline", "https://app.example.com/\n"],
  ["39 dot then backslash", "/./\\evil.example"],
  ["39 dot dot backslash", "/./../../\\evil.example"],
  ["39 dot segments out of an allowed path", "/app/../../evil"],
  ["39 dot segments in an absolute URL", "https://app.example.com/x/../evil"],
  ["39 dot segments out of an allowed prefix", "https://a.example.org/app/../evil"],
  ["39 single dot segment", "/./x"],
  ["39 encoded dot segment", "/app/%2e%2e/evil"],
  ["39 encoded dot segment, upper case", "/app/%2E%2E/evil"],
  ["39 half encoded dot segment", "/app/.%2e/evil"],
  ["39 encoded slash in an allowed prefix", "https://a.example.org/app%2f..%2fevil"],
  ["39 encoded dot inside a segment", "/app%2e"],
  ["40 userinfo that looks like the host", "https://app.example.com@evil.example/"],
  ["40 user and password", "https://user:pw@app.example.com/"],
  ["40 fragment that looks like userinfo", "https://evil.example#@app.example.com"],
  ["40 allowed host in the query", "https://evil.example?x=app.example.com"],
  ["40 allowed host in the path", "https://evil.example/app.example.com"],
  ["41 allowed host as a prefix of another", "https://app.example.com.evil.example/"],
  ["41 suffix without a label boundary", "https://evilexample.org/app"],
  ["41 the wildcard's own apex", "https://example.org/app"],
  ["41 trailing dot", "https://app.example.com./"],
  ["41 homograph (Cyrillic a)", "https://\u0430pp.example.com/"],
  ["41 punycode look-alike", "https://xn--pp-8kc.example.com/"],
  ["41 decimal IP", "http://2130706433/"],
  ["41 hex IP", "http://0x7f.0.0.1/"],
  ["41 IPv6 literal", "http://[::1]:3000/"],
  ["41 encoded dot in the host", "https://app.example.com%2eevil.example/"],
  ["42 wrong port", "https://app.example.com:8443/"],
  ["42 explicit default port (not canonical)", "https://app.example.com:443/"],
  ["42 neighbouring port", "http://localhost:3001/"],
  ["43 prefix that is not a segment", "https://a.example.org/application"],
  ["43 prefix with a dash", "https://a.example.org/app-evil"],
  ["43 prefix with a letter", "https://a.example.org/appX"],
  ["43 outside the allowed path", "https://a.example.org/"],
  ["44 javascript", "javascript:alert(1)"],
  ["44 javascript, mixed case", "JaVaScRiPt:alert(1)"],
  ["44 javascript with a host-like part", "javascript://app.example.com/%0aalert(1)"],
  ["44 data", "data:text/html,<script>alert(1)</script>"],
  ["44 vbscript", "vbscript:msgbox(1)"],
  ["44 file", "file:///etc/passwd"],
  ["44 ftp", "ftp://app.example.com/"],
  ["44 no scheme at all", "app.example.com/dashboard"],
  ["46 over-long", `/${"a".repeat(MAX_RETURN_TO_LENGTH)}`],
  ["46 broken percent-escape", "%zz"],
  ["46 broken percent-escape in a path", "/%zz"],
  ["46 truncated percent-escape", "/%E0%A4%A"],
  ["46 replacement character from bad UTF-8", "/\uFFFD"],
  ["canonical form: a quote the parser would escape", '/a"b'],
  ["canonical form: angle brackets", "https://app.example.com/<x>"],
  ["canonical form: an apostrophe in the query", "/a?b='c'"],
];

const accepted: readonly (readonly [what: string, value: string])[] = [
  ["the root path", "/"],
  ["a path", "/dashboard"],
  ["a path with a query and encoded slash in it", "/dashboard?tab=1&next=%2Fx"],
  ["an encoded hash in a path (Kratos' own test)", "/foo/kratos%23abcd"],
  ["a fragment", "/a#frag"],
  ["an allowed origin", "https://app.example.com/"],
  ["an allowed origin without a path", "https://app.example.com"],
  ["an allowed origin with only a query", "https://app.example.com?x=1"],
  ["a deep URL on an allowed origin", "https://app.example.com/x/y?z=1#f"],
  ["an upper-case host (hosts are case-insensitive)", "https://APP.Example.com/"],
  ["any path on the base URL's own origin", "https://auth.example.com/anything"],
  ["the wildcard's first label", "https://a.example.org/app"],
  ["a deeper wildcard host and a path below the prefix", "https://a.b.example.org/app/x"],
  ["the prefix with a trailing slash", "https://a.example.org/app/"],
  ["an http origin with its port", "http://localhost:3000/"],
];

describe("checkReturnTo", () => {
  it.each(refused)("refuses group D %s: %j", (_group, value) => {
    expect(checkReturnTo(policy, value).ok).toBe(false);
  });

  it.each(accepted)("accepts %s (%j) and redirects to exactly that string", (_what, value) => {
    expect(verdict(value)).toBe(`ok ${value}`);
  });

  it("says why a value is refused", () => {
    expect(verdict("//evil.example")).toBe("refused: is scheme-relative");
    expect(verdict("https://evil.example/")).toBe("refused: matches no allow-list entry");
    expect(verdict("/app/../evil")).toBe("refused: is not in canonical form");
    expect(verdict("/%zz")).toBe("refused: contains a broken percent-escape");
    expect(verdict("https://app.example.com@evil.example/")).toBe("refused: has userinfo or an unusual host");
    expect(verdict(`/${"a".repeat(MAX_RETURN_TO_LENGTH)}`)).toBe("refused: longer than 2048 characters");
  });

  it("accepts a value of exactly 2048 characters", () => {
    const value = `/${"a".repeat(MAX_RETURN_TO_LENGTH - 1)}`;
    expect(verdict(value)).toBe(`ok ${value}`);
  });

  it("allows paths on the base URL only, when the allow-list is empty", () => {
    const narrow = compileReturnToPolicy({ base: "http://127.0.0.1:3202" });
    expect(checkReturnTo(narrow, "/x").ok).toBe(true);
    expect(checkReturnTo(narrow, "http://127.0.0.1:3202/x").ok).toBe(true);
    expect(checkReturnTo(narrow, "http://127.0.0.1:3203/x").ok).toBe(false);
    expect(checkReturnTo(narrow, "https://127.0.0.1:3202/x").ok).toBe(false);
  });

  it("matches an allow-list path on whole segments", () => {
    const p = compileReturnToPolicy({ base: BASE, allow: ["https://a.example/app/"] });
    expect(["https://a.example/app", "https://a.example/app/", "https://a.example/app/x"].map((v) => checkReturnTo(p, v).ok)).toEqual([true, true, true]);
    expect(["https://a.example/application", "https://a.example/ap", "https://a.example/"].map((v) => checkReturnTo(p, v).ok)).toEqual([false, false, false]);
  });

  // Whatever string comes in, an accepted one lands on an allowed origin and path, and is redirected to as is.
  it("never accepts a value that a URL parser resolves outside the allow-list (property)", () => {
    const fragments = ["/", "//", "\\", ".", "..", "%2e", "%2f", "%5c", "@", "#", "?", ":", " ", "\t", "%09", "app", "evil", "example", ".com", ".org",
      "https:", "http:", "javascript:", "app.example.com", "a.example.org", "evil.example", "localhost", ":3000", ":443", "%", "%zz", "*", "[", "]", "A"];
    const candidate = fc.oneof(
      fc.array(fc.constantFrom(...fragments), { maxLength: 10 }).map((parts) => parts.join("")),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(candidate, (value) => {
        const check = checkReturnTo(policy, value);
        if (!check.ok) return;
        expect(check.location).toBe(value);
        const url = new URL(value, BASE);
        expect(url.username + url.password).toBe("");
        const onWildcard = url.protocol === "https:" && url.hostname.endsWith(".example.org") && url.port === "" &&
          (url.pathname === "/app" || url.pathname.startsWith("/app/"));
        expect([BASE, "https://app.example.com", "http://localhost:3000"].includes(url.origin) || onWildcard).toBe(true);
        expect(value).toMatch(/^[\x21-\x7e]+$/);
        expect(value).not.toMatch(/\\|^\/\//);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("compileReturnToPolicy", () => {
  it.each([
    ["a bare wildcard", "*"],
    ["a wildcard host alone", "https://*"],
    ["a mid-label wildcard", "https://*foo.com/"],
    ["a wildcard in the middle", "https://foo.*.com/"],
    ["a wildcard over a public suffix", "https://*.com/"],
    ["a non-http scheme", "javascript:alert(1)"],
    ["a query", "https://a.example/?q=1"],
    ["a fragment", "https://a.example/#f"],
    ["userinfo", "https://u@a.example/"],
    ["dot segments", "https://a.example/x/../y"],
    ["an encoded dot", "https://a.example/%2e"],
    ["no host", "https:///x"],
  ])("refuses an allow-list entry with %s, with a TypeError that names it", (_what, entry) => {
    expect(() => compileReturnToPolicy({ base: BASE, allow: [entry] })).toThrow(TypeError);
    expect(() => compileReturnToPolicy({ base: BASE, allow: [entry] })).toThrow(JSON.stringify(entry));
  });

  it("refuses a base URL that is not an absolute http(s) URL without query or fragment", () => {
    for (const base of ["auth.example.com", "/x", "//auth.example.com", "https://auth.example.com/?q", "ftp://auth.example.com"]) {
      expect(() => compileReturnToPolicy({ base })).toThrow(TypeError);
    }
  });

  it("refuses an allow-list that is not an array, or holds a non-string", () => {
    expect(() => compileReturnToPolicy({ base: BASE, allow: "https://a.example/" as never })).toThrow(/must be an array/);
    expect(() => compileReturnToPolicy({ base: BASE, allow: [42 as never] })).toThrow(/must be strings/);
  });
});
