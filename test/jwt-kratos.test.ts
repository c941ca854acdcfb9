import request from "supertest";
import { describe, expect, it } from "vitest";
import { MemorySessionStore, createLogoutHandler, credentialsWithJwt, issueJwt, jwtBearer, shapes, whoAmI } from "../src/index.js";
import { expressVersions } from "./helpers/express.js";
import { demoUsers } from "./helpers/fixture.js";

const secret = "a-test-secret-that-is-long-enough-for-hs256!!";

describe.each(expressVersions)("a JWT in Kratos' Authorization: Bearer on $name", ({ express }) => {
  it("authenticates who-am-I, ends the token with a Kratos-shaped logout, then answers Kratos' 401", async () => {
    const store = new MemorySessionStore();
    const jwt = jwtBearer({ algorithms: ["HS256"], secret });
    const credentials = credentialsWithJwt(shapes.kratos, jwt);
    const common = { store, users: demoUsers(), shape: shapes.kratos, credentials };
    const app = express();
    app.get("/sessions/whoami", whoAmI(common));
    app.delete("/logout", createLogoutHandler(common));
    const { token } = issueJwt({ sub: "alice" }, { algorithm: "HS256", secret, expiresIn: "15m" });
    const bearer = `Bearer ${token}`;

    const before = await request(app).get("/sessions/whoami").set("Authorization", bearer).set("Accept", "application/json");
    expect(before.status).toBe(200);
    expect((before.body as { identity: { id: string } }).identity.id).toBe("alice");

    const logout = await request(app).delete("/logout").set("Authorization", bearer).set("Accept", "application/json");
    expect(logout.status).toBeLessThan(300);

    const after = await request(app).get("/sessions/whoami").set("Authorization", bearer).set("Accept", "application/json");
    expect(after.status).toBe(401);
    expect((after.body as { error: { code: number; status: string } }).error).toMatchObject({ code: 401, status: "Unauthorized" });
    store.close();
  });
});
