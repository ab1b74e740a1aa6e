// Drives clerkkit's Backend API emulator (`clerkkit dev`) with Clerk's own
// JavaScript client, @clerk/backend: machines, API keys and M2M tokens
// through createClerkClient, and authenticateRequest with acceptsToken for
// an API key, opaque and JWT M2M tokens and a session token. Reads
// CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_API_URL, SUBJECT (a user or
// organization id for the API key) and SESSION_TOKEN from the environment;
// prints one JSON summary on stdout, or the first failure on stderr with
// status 1. Run by cmd/clerkkit's TestClerkJSMachines; see README "Tests".
import { createClerkClient } from '@clerk/backend';

const { CLERK_SECRET_KEY: secretKey, CLERK_PUBLISHABLE_KEY: publishableKey, CLERK_API_URL: apiUrl, SUBJECT: subject, SESSION_TOKEN: sessionToken } = process.env;
const clerk = createClerkClient({ secretKey, publishableKey, apiUrl });

const out = {};

// status is the HTTP status a call fails with (0: it did not fail).
async function status(p) {
  try {
    await p;
    return 0;
  } catch (e) {
    return e.status ?? -1;
  }
}

// authenticate runs authenticateRequest on "Authorization: Bearer token".
async function authenticate(token, acceptsToken) {
  const request = new Request('http://localhost:3000/api', { headers: { Authorization: `Bearer ${token}` } });
  const state = await clerk.authenticateRequest(request, { acceptsToken });
  const auth = state.toAuth();
  return {
    isAuthenticated: state.isAuthenticated,
    tokenType: state.tokenType,
    reason: state.reason,
    subject: auth?.subject ?? auth?.userId ?? null,
    scopes: auth?.scopes ?? null,
    name: auth?.name ?? null,
  };
}

// Machines.
const target = await clerk.machines.create({ name: 'target' });
const caller = await clerk.machines.create({ name: 'caller', scopedMachines: [target.id], defaultTokenTtl: 600 });
const got = await clerk.machines.get(caller.id);
const listed = await clerk.machines.list({ limit: 1 });
const updated = await clerk.machines.update({ machineId: caller.id, name: 'caller-renamed' });
const secret = await clerk.machines.getSecretKey(caller.id);
const rotated = await clerk.machines.rotateSecretKey({ machineId: caller.id, previousTokenTtl: 0 });
const other = await clerk.machines.create({ name: 'other' });
const scope = await clerk.machines.createScope(caller.id, other.id);
const unscope = await clerk.machines.deleteScope(caller.id, other.id);
const deleted = await clerk.machines.delete(other.id);
out.machines = {
  createdSecretKey: caller.secretKey === secret.secret,
  scoped: got.scopedMachines.map((m) => m.id).join(',') === target.id,
  defaultTokenTtl: got.defaultTokenTtl,
  listTotal: listed.totalCount,
  listPage: listed.data.length,
  updatedName: updated.name,
  rotated: rotated.secret !== secret.secret && rotated.secret.startsWith('ak_'),
  scopeCreated: scope.fromMachineId === caller.id && scope.toMachineId === other.id,
  scopeDeleted: unscope.deleted === true,
  deleted: deleted.id === other.id,
  getDeletedStatus: await status(clerk.machines.get(other.id)),
};
const machineSecretKey = rotated.secret;

// API keys.
const key = await clerk.apiKeys.create({ name: 'js key', subject, scopes: ['projects:read'], claims: { tier: 'gold' } });
const keys = await clerk.apiKeys.list({ subject });
const verified = await clerk.apiKeys.verify(key.secret);
const keyAuth = await authenticate(key.secret, ['api_key']);
const keyAsSession = await authenticate(key.secret, ['session_token']);
const revoked = await clerk.apiKeys.revoke({ apiKeyId: key.id, revocationReason: 'scenario' });
out.apiKeys = {
  created: key.id.startsWith('ak_') && key.secret.startsWith('ak_') && key.subject === subject,
  listTotal: keys.totalCount,
  listed: keys.data.some((k) => k.id === key.id),
  verifiedId: verified.id === key.id,
  verifiedScopes: verified.scopes,
  verifiedClaims: verified.claims,
  auth: keyAuth,
  authAsSession: keyAsSession,
  revoked: revoked.revoked,
  revocationReason: revoked.revocationReason,
  verifyRevokedStatus: await status(clerk.apiKeys.verify(key.secret)),
  authRevoked: await authenticate(key.secret, ['api_key']),
};

// M2M tokens.
const opaque = await clerk.m2m.createToken({ machineSecretKey });
const jwt = await clerk.m2m.createToken({ machineSecretKey, tokenFormat: 'jwt', claims: { job: 'sync' } });
const targetSecret = (await clerk.machines.getSecretKey(target.id)).secret;
const byInstance = await clerk.m2m.verify({ token: opaque.token });
const byTarget = await clerk.m2m.verify({ token: opaque.token, machineSecretKey: targetSecret });
const jwtVerified = await clerk.m2m.verify({ token: jwt.token });
const opaqueAuth = await authenticate(opaque.token, ['m2m_token']);
const jwtAuth = await authenticate(jwt.token, ['m2m_token']);
const m2mAsKey = await authenticate(opaque.token, ['api_key']);
const revokedToken = await clerk.m2m.revokeToken({ m2mTokenId: opaque.id, machineSecretKey, revocationReason: 'done' });
out.m2m = {
  opaque: opaque.token.startsWith('mt_') && opaque.subject === caller.id,
  opaqueScopes: opaque.scopes,
  jwtParts: jwt.token.split('.').length,
  verifiedByInstance: byInstance.id === opaque.id,
  verifiedByTarget: byTarget.id === opaque.id,
  jwtSubject: jwtVerified.subject === caller.id,
  jwtClaimJob: jwtVerified.claims?.job ?? null,
  opaqueAuth,
  jwtAuth,
  asAPIKey: m2mAsKey,
  revoked: revokedToken.revoked,
  verifyRevokedStatus: await status(clerk.m2m.verify({ token: opaque.token })),
  authRevoked: await authenticate(opaque.token, ['m2m_token']),
  createWithInstanceKeyStatus: await status(clerk.m2m.createToken({ machineSecretKey: secretKey })),
};

// A session token, accepted only where session tokens are.
out.session = {
  accepted: await authenticate(sessionToken, ['session_token', 'api_key']),
  refused: await authenticate(sessionToken, ['m2m_token']),
};

// Normalize machine-generated ids out of the summary.
for (const a of [out.apiKeys.auth, out.m2m.opaqueAuth, out.m2m.jwtAuth]) {
  a.subject = a.subject === subject ? 'SUBJECT' : a.subject === caller.id ? 'CALLER' : a.subject;
}
out.m2m.opaqueScopes = out.m2m.opaqueScopes.map((s) => (s === target.id ? 'TARGET' : s));
for (const a of [out.m2m.opaqueAuth, out.m2m.jwtAuth]) {
  a.scopes = a.scopes?.map((s) => (s === target.id ? 'TARGET' : s)) ?? null;
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
