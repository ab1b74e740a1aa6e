// Reads {jwtKey, cases: [{token, checks: [...]}]} on stdin and answers, for
// each case, what Clerk's own code decides: verifyToken (@clerk/backend) on
// the token, the claim parser (@clerk/shared/jwtPayloadParser) on its
// payload, and has() (@clerk/shared/authorization) for every check, with
// pending sessions signed out as authenticateRequest's toAuth() does by
// default. Used by clerkkit's auth differential test; see README "Tests".
import { verifyToken } from '@clerk/backend';
import { createCheckAuthorization } from '@clerk/shared/authorization';
import { __experimental_JWTPayloadToAuthObjectProperties as parseClaims } from '@clerk/shared/jwtPayloadParser';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const out = [];
for (const { token, checks } of input.cases) {
  const r = { verified: false, reason: '', parseError: false, pending: false, orgId: '', orgRole: '', orgPermissions: [], has: [] };
  let claims;
  try {
    claims = await verifyToken(token, { jwtKey: input.jwtKey });
    r.verified = true;
  } catch (e) {
    r.reason = e.reason || String(e);
  }
  if (r.verified) {
    let props;
    try {
      props = parseClaims(claims);
    } catch {
      r.parseError = true;
    }
    if (props) {
      r.pending = props.sessionStatus === 'pending';
      r.orgId = props.orgId || '';
      r.orgRole = props.orgRole || '';
      r.orgPermissions = Array.isArray(props.orgPermissions) ? props.orgPermissions : [];
      const has = createCheckAuthorization({
        orgId: props.orgId,
        orgRole: props.orgRole,
        orgPermissions: props.orgPermissions,
        userId: props.userId,
        factorVerificationAge: props.factorVerificationAge,
        features: claims.fea || '',
        plans: claims.pla || '',
      });
      r.has = checks.map(c => !r.pending && has(c));
    }
  }
  out.push(r);
}
process.stdout.write(JSON.stringify(out));
