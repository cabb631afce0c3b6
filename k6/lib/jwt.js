// Access JWTs signed in the load generator with the server's SECRET_KEY (HS256), so a load
// test can act as any number of fans without a token file. The waiting room verifies JWTs
// without loading the user, so these fans need no database rows.
import crypto from "k6/crypto";
import encoding from "k6/encoding";

const HEADER = encoding.b64encode(JSON.stringify({ alg: "HS256", typ: "JWT" }), "rawurl");

// ISSUED_AT (epoch seconds, from the bench command) makes a fan's token the same in every VU,
// as a real fan keeps one token while polling.
const ISSUED_AT = Number(__ENV.ISSUED_AT || 0);

export function accessToken(secret, userId, lifetimeSeconds = 3600) {
  const now = ISSUED_AT || Math.floor(Date.now() / 1000);
  const payload = encoding.b64encode(
    JSON.stringify({
      token_type: "access",
      exp: now + lifetimeSeconds,
      iat: now,
      jti: `${userId}-${now}`,
      user_id: userId,
    }),
    "rawurl",
  );
  const signature = crypto.hmac("sha256", secret, `${HEADER}.${payload}`, "base64rawurl");
  return `${HEADER}.${payload}.${signature}`;
}
