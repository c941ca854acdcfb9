import type { ProviderSessionLink } from "./types.js";

/**
 * The memory store's index of provider-session links: `(iss, sid)` → local session ids and `(iss, sub)` → local
 * session ids, plus each session's own links so ending a session drops them in O(its links). No lookup scans.
 */
export class ProviderLinkIndex {
  readonly #bySid = new Map<string, Set<string>>();
  readonly #bySubject = new Map<string, Set<string>>();
  /** Local session id → its links (normally one; a host may link a session twice). */
  readonly #linksOf = new Map<string, ProviderSessionLink[]>();

  add(link: ProviderSessionLink): void {
    const record: ProviderSessionLink = {
      issuer: link.issuer,
      subject: link.subject,
      ...(link.sid === undefined ? {} : { sid: link.sid }),
      sessionId: link.sessionId,
      userId: link.userId,
      expiresAt: link.expiresAt,
    };
    // Linking a session to the same provider session again only moves its expiry.
    const links = (this.#linksOf.get(link.sessionId) ?? []).filter((l) => !(l.issuer === record.issuer && l.subject === record.subject && l.sid === record.sid));
    links.push(record);
    this.#linksOf.set(link.sessionId, links);
    if (record.sid !== undefined) addTo(this.#bySid, pairKey(record.issuer, record.sid), record.sessionId);
    addTo(this.#bySubject, pairKey(record.issuer, record.subject), record.sessionId);
  }

  /** The unexpired links of `(issuer, sid)` whose session `isLive` says is live. */
  bySid(issuer: string, sid: string, isLive: (sessionId: string) => boolean, now = Date.now()): ProviderSessionLink[] {
    return this.#collect(this.#bySid.get(pairKey(issuer, sid)), isLive, now, (l) => l.issuer === issuer && l.sid === sid);
  }

  /** The unexpired links of `(issuer, subject)` whose session `isLive` says is live. */
  bySubject(issuer: string, subject: string, isLive: (sessionId: string) => boolean, now = Date.now()): ProviderSessionLink[] {
    return this.#collect(this.#bySubject.get(pairKey(issuer, subject)), isLive, now, (l) => l.issuer === issuer && l.subject === subject);
  }

  /** Forgets every link of a local session (it ended or expired). */
  forget(sessionId: string): void {
    const links = this.#linksOf.get(sessionId);
    if (links === undefined) return;
    this.#linksOf.delete(sessionId);
    for (const link of links) {
      if (link.sid !== undefined) removeFrom(this.#bySid, pairKey(link.issuer, link.sid), sessionId);
      removeFrom(this.#bySubject, pairKey(link.issuer, link.subject), sessionId);
    }
  }

  clear(): void {
    this.#bySid.clear();
    this.#bySubject.clear();
    this.#linksOf.clear();
  }

  #collect(ids: Set<string> | undefined, isLive: (sessionId: string) => boolean, now: number, matches: (link: ProviderSessionLink) => boolean): ProviderSessionLink[] {
    if (ids === undefined) return [];
    const found: ProviderSessionLink[] = [];
    for (const id of [...ids]) {
      if (!isLive(id)) {
        this.forget(id);
        continue;
      }
      for (const link of this.#linksOf.get(id) ?? []) if (link.expiresAt > now && matches(link)) found.push(link);
    }
    return found;
  }
}

function pairKey(issuer: string, value: string): string {
  // JSON keeps the pair unambiguous whatever characters either part holds.
  return JSON.stringify([issuer, value]);
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (ids === undefined) {
    ids = new Set();
    index.set(key, ids);
  }
  ids.add(id);
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === undefined) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}
