import { DemoDirectory, demoConfig } from "../../examples/app/demo.js";
import { issueSession, type IssueSessionOptions, type SessionStore } from "../../src/index.js";

/** The example app's directory: alice (no permissions), admin, API key demo-key, tenant key demo-tenant-key. */
export function demoUsers(): DemoDirectory {
  return new DemoDirectory(demoConfig({}));
}

/** Logs a user in: a real session, its token handed back once. */
export async function login(store: SessionStore, userId: string, extra: Partial<IssueSessionOptions> = {}) {
  return issueSession(store, { userId, authenticationSource: "login", ...extra });
}

/** Parses a JSON body and returns its keys in order: key order is part of byte compatibility. */
export function keysOf(text: string): string[] {
  return Object.keys(JSON.parse(text) as Record<string, unknown>);
}
