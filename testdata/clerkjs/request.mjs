// Reads a JSON list of cases [{url, method, headers, options}] on stdin and
// answers, for each, what Clerk's own authenticateRequest (@clerk/backend,
// through createClerkClient as Clerk's Node users call it) decides for that
// request: status, reason, message, the Location header taken apart (origin
// and path, sorted parameter names, a few parameter values, and the URLs
// nested in redirect_url / __clerk_redirect_url taken apart the same way),
// the names of the cookies it sets, Cache-Control, and the signed-in user and
// session; or the error it throws. Nothing of a token is printed.
// options: publishableKey, secretKey, jwtKey, apiUrl, proxyUrl, domain,
// isSatellite, signInUrl, signUpUrl, satelliteAutoSync, acceptsToken.
// Used by clerkkit's differential test of AuthenticateRequest; see README
// "Tests".
import { createClerkClient } from '@clerk/backend';

// Clerk logs (console.log on a redirect loop, console.error on a failed
// handshake); keep stdout for the answer and count the lines per case.
let logs = 0;
for (const k of ['log', 'info', 'warn', 'error', 'debug']) {
  console[k] = () => {
    logs++;
  };
}

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// Parameters whose values are compared as they are; the others by name only
// (several carry tokens).
const valued = ['__clerk_hs_reason', 'format', 'suffixed_cookies', '__clerk_synced', '__clerk_api_version', 'organization_id'];
const nested = ['redirect_url', '__clerk_redirect_url'];

function describeURL(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return { invalid: raw.length };
  }
  const d = { base: u.origin + u.pathname, params: [...new Set(u.searchParams.keys())].sort(), values: {} };
  for (const k of valued) {
    if (u.searchParams.has(k)) d.values[k] = u.searchParams.get(k);
  }
  for (const k of nested) {
    if (u.searchParams.has(k)) d[k] = describeURL(u.searchParams.get(k));
  }
  return d;
}

const out = [];
for (const c of cases) {
  logs = 0;
  const r = { error: '', status: '', reason: '', message: '', location: null, setCookieNames: [], cacheControl: '', userId: '', sessionId: '', logs: 0 };
  try {
    const o = c.options;
    const clerk = createClerkClient({
      secretKey: o.secretKey,
      publishableKey: o.publishableKey,
      jwtKey: o.jwtKey,
      apiUrl: o.apiUrl || undefined,
    });
    const opts = {};
    for (const k of ['publishableKey', 'secretKey', 'jwtKey', 'proxyUrl', 'domain', 'isSatellite', 'signInUrl', 'signUpUrl', 'satelliteAutoSync', 'acceptsToken']) {
      if (o[k] !== undefined && o[k] !== '' && o[k] !== null) opts[k] = o[k];
    }
    const req = new Request(c.url, { method: c.method, headers: c.headers });
    const s = await clerk.authenticateRequest(req, opts);
    r.status = s.status;
    r.reason = s.reason || '';
    r.message = s.message || '';
    const loc = s.headers.get('location');
    if (loc) r.location = describeURL(loc);
    r.setCookieNames = s.headers.getSetCookie().map(x => x.split(';')[0].split('=')[0]).sort();
    r.cacheControl = s.headers.get('cache-control') || '';
    if (s.status === 'signed-in') {
      const a = s.toAuth({ treatPendingAsSignedOut: false });
      r.userId = a.userId || '';
      r.sessionId = a.sessionId || '';
    }
  } catch (e) {
    r.error = String(e && e.message ? e.message : e).split('\n')[0];
  }
  r.logs = logs;
  out.push(r);
}
process.stdout.write(JSON.stringify(out));
