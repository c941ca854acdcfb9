// SOAJS urac's logout: `npx tsx examples/soajs-app.ts`, then
//   H=$(curl -s -XPOST localhost:3000/urac/login -H 'key: my-tenant-key' | node -pe 'JSON.parse(require("fs").readFileSync(0)).soajsauth')
//   curl -s localhost:3000/urac/logout -H 'key: my-tenant-key' -H "soajsauth: $H"   # result:true, data: the user
//   curl -s localhost:3000/urac/logout -H 'key: my-tenant-key' -H "soajsauth: $H"   # result:true, data:true
import express from "express";
import { MemorySessionStore, createLogoutHandler, encodeSoajsAuth, issueSession, shapes, soajsUser } from "express-logout";

const store = new MemorySessionStore();
const tenant = { id: "5551aca9e179c39b760f7a1a", code: "DBTN" };
const user = { id: "57063608622c47b5c097d19b", username: "owner", email: "owner@soajs.org", groups: ["owner"], tenant };
const users = {
  findUser: (id: string) => Promise.resolve(id === user.id ? user : undefined),
  resolveTenantKey: (key: string) => Promise.resolve(key === "my-tenant-key" ? tenant : undefined),
};

const app = express();
app.post("/urac/login", async (_req, res) => {
  // A real app checks the tenant key and a password here.
  const { token } = await issueSession(store, { userId: user.id, tenant: tenant.id });
  res.json({ result: true, data: soajsUser(user), soajsauth: encodeSoajsAuth(token) });
});
app.get("/urac/logout", createLogoutHandler({ store, users, shape: shapes.soajs }));

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => {
  console.log(`SOAJS-shaped logout on http://127.0.0.1:${port}`);
});
