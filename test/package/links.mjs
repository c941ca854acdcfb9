// Every relative link of the Markdown files a package ships, checked against the package's own files: a link
// to a file must name one that is in the tarball, and a `#fragment` must name a heading of its target.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** The Markdown files under `dir`, as paths relative to it. */
function markdownFiles(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules") return [];
    if (statSync(path).isDirectory()) return markdownFiles(path, base);
    return name.endsWith(".md") ? [relative(base, path)] : [];
  });
}

/** Markdown text without its fenced code blocks. */
function withoutFences(text) {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** Markdown text without fenced code blocks and inline code, where a `[x](y)` is not a link. */
function prose(text) {
  return withoutFences(text).replace(/`+[^`\n]*`+/g, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const [, heading] of withoutFences(text).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = heading
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** The link targets of a Markdown text: inline links and images, reference definitions, and HTML src/href. */
function targets(text) {
  const body = prose(text);
  const found = [];
  for (const m of body.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push(m[1]);
  for (const m of body.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) found.push(m[1]);
  for (const m of body.matchAll(/\b(?:src|href)="([^"]+)"/g)) found.push(m[1]);
  return found;
}

/**
 * Checks every relative link in the Markdown files of an unpacked package at `root`; answers the broken ones
 * as `file: target (why)` lines, and how many links were checked.
 */
export function brokenLinks(root) {
  const broken = [];
  let checked = 0;
  for (const file of markdownFiles(root)) {
    const text = readFileSync(join(root, file), "utf8");
    for (const target of targets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not the package's business
      checked += 1;
      const [pathPart, fragment] = target.split("#", 2);
      const path = decodeURIComponent(pathPart.split("?")[0]);
      const resolved = path === "" ? join(root, file) : resolve(root, dirname(file), path);
      const inside = resolved === resolve(root) || resolved.startsWith(resolve(root) + sep);
      if (!inside) broken.push(`${file}: ${target} (outside the package)`);
      else if (!existsSync(resolved)) broken.push(`${file}: ${target} (not in the package)`);
      else if (fragment !== undefined && fragment !== "" && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(fragment)) {
        broken.push(`${file}: ${target} (no heading #${fragment})`);
      }
    }
  }
  return { broken, checked };
}
