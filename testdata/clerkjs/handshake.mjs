// A server-rendered app whose every request is decided by Clerk's own
// authenticateRequest (@clerk/backend), configured only with the lines
// `clerkkit dev` prints: CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY,
// CLERK_API_URL, CLERK_PROXY_URL and CLERK_SIGN_IN_URL. It answers the
// request state's headers (a 307 when they redirect: a handshake, or its
// resolution) and {status, reason, userId} as JSON. Prints its URL on the
// first line of stdout. Run by cmd/clerkkit's TestClerkJSHandshake.
import http from 'node:http';
import { createClerkClient } from '@clerk/backend';

const env = process.env;
const clerk = createClerkClient({ secretKey: env.CLERK_SECRET_KEY, publishableKey: env.CLERK_PUBLISHABLE_KEY, apiUrl: env.CLERK_API_URL });

const server = http.createServer(async (req, res) => {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  try {
    const state = await clerk.authenticateRequest(new Request(`http://${req.headers.host}${req.url}`, { headers }), {
      proxyUrl: env.CLERK_PROXY_URL,
      signInUrl: env.CLERK_SIGN_IN_URL,
    });
    const out = {};
    state.headers.forEach((v, k) => {
      if (k !== 'set-cookie') out[k] = v;
    });
    const cookies = state.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    res.writeHead(state.headers.get('location') ? 307 : 200, out);
    res.end(JSON.stringify({ status: state.status, reason: state.reason, userId: state.toAuth()?.userId ?? null }));
  } catch (e) {
    res.writeHead(500);
    res.end(String(e?.stack ?? e));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
