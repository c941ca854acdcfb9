// Runs the packed examples/quick-start.ts with tsx in a consumer project (the working directory) and walks the
// README's round trip: login, the protected route, logout, and the same token refused. Exits non-zero otherwise.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const child = spawn(process.execPath, ["--import", "tsx", "quick-start.ts"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
const stop = (code, why) => {
  child.kill();
  if (why !== undefined) console.error(why);
  process.exit(code);
};
setTimeout(() => stop(1, "the quick start did not start within 20 s"), 20_000).unref();

child.stdout.once("data", async () => {
  const url = `http://127.0.0.1:${port}`;
  try {
    const login = await fetch(`${url}/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "alice", password: "alice-password" }) });
    const { token } = await login.json();
    const auth = { authorization: `Bearer ${token}` };
    const before = (await fetch(`${url}/me`, { headers: auth })).status;
    const ended = await (await fetch(`${url}/logout`, { method: "POST", headers: auth })).json();
    const after = (await fetch(`${url}/me`, { headers: auth })).status;
    if (before === 200 && ended.ended === 1 && after === 401) {
      console.log("quick start ok");
      stop(0);
    } else stop(1, `unexpected: ${JSON.stringify({ before, ended, after })}`);
  } catch (error) {
    stop(1, String(error));
  }
});
