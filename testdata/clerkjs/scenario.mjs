// Runs Clerk's own JavaScript Backend API client, @clerk/backend's
// createClerkClient({ secretKey, apiUrl }), through a scenario over every
// group clerkkit's emulator serves (`clerkkit dev`): a create, read, update
// and delete, or the group's natural round trip, each step checking what
// comes back. Reads CLERK_SECRET_KEY and CLERK_API_URL from the
// environment, and the records that only a seed makes (see
// conformance/devprobe's scenarioSeed): SEED_USER_ID with TOTP_SECRET,
// BACKUP_CODE, WEB3_WALLET, EXTERNAL_ACCOUNT_ID, OAUTH_TOKEN and
// PASSKEY_ID; prints one JSON report on stdout, {"steps":[{"name","ok",
// "error"?}]}, a step per call or check group, and exits 0 when the report
// is complete (a failed step is in the report, not the exit status). Run
// by conformance/devprobe's TestClerkJSScenario.
import { createHmac } from 'node:crypto';
import { createClerkClient } from '@clerk/backend';

const { CLERK_SECRET_KEY: secretKey, CLERK_API_URL: apiUrl } = process.env;
const seed = {
  userId: process.env.SEED_USER_ID, totpSecret: process.env.TOTP_SECRET, backupCode: process.env.BACKUP_CODE,
  web3Wallet: process.env.WEB3_WALLET, externalAccountId: process.env.EXTERNAL_ACCOUNT_ID,
  oauthToken: process.env.OAUTH_TOKEN, passkeyId: process.env.PASSKEY_ID,
};
const clerk = createClerkClient({ secretKey, apiUrl });

const steps = [];

// step runs fn, recording its outcome under name; fn throws to fail.
async function step(name, fn) {
  try {
    await fn();
    steps.push({ name, ok: true });
  } catch (e) {
    const api = e?.errors?.[0];
    const error = api ? `${e.status} ${api.code}: ${api.longMessage ?? api.message}` : String(e?.stack ?? e);
    steps.push({ name, ok: false, error });
  }
}

function check(ok, what, got) {
  if (!ok) {
    throw new Error(`${what}: got ${JSON.stringify(got)}`);
  }
}

// refused expects p to fail with a Clerk error of status (and code).
async function refused(p, status, code) {
  try {
    const v = await p;
    throw new Error(`succeeded: ${JSON.stringify(v)}`);
  } catch (e) {
    if (e.status !== status || (code && e.errors?.[0]?.code !== code)) {
      throw new Error(`want ${status} ${code ?? ''}, got ${e.status} ${e.errors?.[0]?.code}: ${e.message}`);
    }
  }
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

// totp is the RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret now.
function totp(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) {
    bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// A 1×1 PNG.
const png = new Blob([Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4DwAAAQEABRjYTgAAAABJRU5ErkJggg==', 'base64')], { type: 'image/png' });

let alice, org, sess, tpl, worker, api;

// Users.
await step('users.createUser', async () => {
  alice = await clerk.users.createUser({ emailAddress: ['alice@example.com'], firstName: 'Alice', password: 'correct horse battery', publicMetadata: { plan: 'pro' } });
  check(alice.id.startsWith('user_') && alice.firstName === 'Alice' && alice.passwordEnabled && alice.emailAddresses[0]?.emailAddress === 'alice@example.com' && alice.primaryEmailAddressId === alice.emailAddresses[0].id, 'created', alice);
});
await step('users.getUser', async () => {
  const u = await clerk.users.getUser(alice.id);
  check(u.id === alice.id && u.publicMetadata.plan === 'pro' && u.primaryEmailAddress?.emailAddress === 'alice@example.com', 'got', u);
});
await step('users.updateUser', async () => {
  const u = await clerk.users.updateUser(alice.id, { lastName: 'Liddell', externalId: 'ext-alice' });
  check(u.lastName === 'Liddell' && u.externalId === 'ext-alice', 'updated', u);
});
await step('users.updateUserMetadata / replaceUserMetadata', async () => {
  let u = await clerk.users.updateUserMetadata(alice.id, { publicMetadata: { seats: 3 } });
  check(u.publicMetadata.plan === 'pro' && u.publicMetadata.seats === 3, 'merged', u.publicMetadata);
  u = await clerk.users.replaceUserMetadata(alice.id, { publicMetadata: { plan: 'team' } });
  check(JSON.stringify(u.publicMetadata) === '{"plan":"team"}', 'replaced', u.publicMetadata);
});
await step('users.getUserList / getCount', async () => {
  const l = await clerk.users.getUserList({ emailAddress: ['alice@example.com'] });
  check(l.totalCount === 1 && l.data[0].id === alice.id, 'list', l);
  const n = await clerk.users.getCount();
  check(n === 3, 'count (the 2 demo users and alice)', n);
});
await step('users.verifyPassword', async () => {
  const v = await clerk.users.verifyPassword({ userId: alice.id, password: 'correct horse battery' });
  check(v.verified === true, 'verified', v);
  await refused(clerk.users.verifyPassword({ userId: alice.id, password: 'wrong' }), 422, 'form_password_incorrect');
});
await step('users.banUser / unbanUser / lockUser / unlockUser', async () => {
  check((await clerk.users.banUser(alice.id)).banned === true, 'banned', null);
  check((await clerk.users.unbanUser(alice.id)).banned === false, 'unbanned', null);
  check((await clerk.users.lockUser(alice.id)).locked === true, 'locked', null);
  check((await clerk.users.unlockUser(alice.id)).locked === false, 'unlocked', null);
});
await step('users.updateUserProfileImage / deleteUserProfileImage', async () => {
  let u = await clerk.users.updateUserProfileImage(alice.id, { file: png });
  check(u.hasImage === true && u.imageUrl, 'uploaded', u);
  u = await clerk.users.deleteUserProfileImage(alice.id);
  check(u.hasImage === false, 'deleted', u);
});
await step('users.getUser refuses an unknown id', async () => {
  await refused(clerk.users.getUser('user_missing'), 404, 'resource_not_found');
});
await step('users.deleteUser', async () => {
  const tmp = await clerk.users.createUser({ emailAddress: ['tmp@example.com'], skipPasswordRequirement: true });
  const d = await clerk.users.deleteUser(tmp.id);
  check(d.id === tmp.id && d.deleted === true, 'deleted', d);
  await refused(clerk.users.getUser(tmp.id), 404, 'resource_not_found');
});

// Email addresses and phone numbers.
await step('emailAddresses create / get / update / delete', async () => {
  const e = await clerk.emailAddresses.createEmailAddress({ userId: alice.id, emailAddress: 'alice@work.example', verified: true });
  check(e.id.startsWith('idn_') && e.emailAddress === 'alice@work.example' && e.verification?.status === 'verified', 'created', e);
  check((await clerk.emailAddresses.getEmailAddress(e.id)).emailAddress === 'alice@work.example', 'got', null);
  await clerk.emailAddresses.updateEmailAddress(e.id, { primary: true });
  check((await clerk.users.getUser(alice.id)).primaryEmailAddressId === e.id, 'primary', null);
  await clerk.emailAddresses.updateEmailAddress(alice.emailAddresses[0].id, { primary: true });
  const d = await clerk.emailAddresses.deleteEmailAddress(e.id);
  check(d.id === e.id && d.deleted, 'deleted', d);
  await refused(clerk.emailAddresses.getEmailAddress(e.id), 404, 'resource_not_found');
});
await step('phoneNumbers create / get / update / delete', async () => {
  const p = await clerk.phoneNumbers.createPhoneNumber({ userId: alice.id, phoneNumber: '+15555550100', verified: true });
  check(p.id.startsWith('idn_') && p.phoneNumber === '+15555550100', 'created', p);
  const u = await clerk.phoneNumbers.updatePhoneNumber(p.id, { reservedForSecondFactor: true });
  check(u.reservedForSecondFactor === true, 'updated', u);
  check((await clerk.phoneNumbers.getPhoneNumber(p.id)).id === p.id, 'got', null);
  const d = await clerk.phoneNumbers.deletePhoneNumber(p.id);
  check(d.id === p.id && d.deleted, 'deleted', d);
});
await step('users.replaceUserEmailAddress / replaceUserPhoneNumber', async () => {
  const tmp = await clerk.users.createUser({ emailAddress: ['old@example.com'], phoneNumber: ['+15555550111'], skipPasswordRequirement: true });
  const e = await clerk.users.replaceUserEmailAddress(tmp.id, { emailAddress: 'new@example.com' });
  check(e.emailAddress === 'new@example.com', 'email', e);
  const p = await clerk.users.replaceUserPhoneNumber(tmp.id, { phoneNumber: '+15555550112' });
  check(p.phoneNumber === '+15555550112', 'phone', p);
  const u = await clerk.users.getUser(tmp.id);
  check(u.emailAddresses.length === 1 && u.emailAddresses[0].emailAddress === 'new@example.com' && u.phoneNumbers.length === 1, 'user', u);
  await clerk.users.deleteUser(tmp.id);
});

// MFA and the records only a seed makes.
await step('users: the seeded MFA, web3 wallet, external account, passkey', async () => {
  const u = await clerk.users.getUser(seed.userId);
  check(u.totpEnabled && u.backupCodeEnabled && u.twoFactorEnabled, 'MFA', { totp: u.totpEnabled, backup: u.backupCodeEnabled });
  check(u.web3Wallets.length === 1 && u.web3Wallets[0].web3Wallet === seed.web3Wallet, 'web3 wallets', u.web3Wallets);
  check(u.externalAccounts.length === 1 && u.externalAccounts[0].id === seed.externalAccountId && u.externalAccounts[0].provider === 'oauth_google', 'external accounts', u.externalAccounts);
});
await step('users.verifyTOTP (TOTP code, backup code, wrong code)', async () => {
  const v = await clerk.users.verifyTOTP({ userId: seed.userId, code: totp(seed.totpSecret) });
  check(v.verified === true && v.code_type === 'totp', 'totp', v);
  const b = await clerk.users.verifyTOTP({ userId: seed.userId, code: seed.backupCode });
  check(b.verified === true && b.code_type === 'backup_code', 'backup code', b);
  await refused(clerk.users.verifyTOTP({ userId: seed.userId, code: seed.backupCode }), 422); // consumed
});
await step('users.getUserOauthAccessToken', async () => {
  const l = await clerk.users.getUserOauthAccessToken(seed.userId, 'oauth_google');
  check(l.data.length === 1 && l.data[0].token === seed.oauthToken && l.data[0].externalAccountId === seed.externalAccountId, 'tokens', l);
});
await step('users.deleteUserBackupCodes / deleteUserTOTP / disableUserMFA', async () => {
  check((await clerk.users.deleteUserBackupCodes(seed.userId)).user_id === seed.userId, 'backup codes', null);
  check((await clerk.users.deleteUserTOTP(seed.userId)).user_id === seed.userId, 'totp', null);
  check((await clerk.users.disableUserMFA(seed.userId)).user_id === seed.userId, 'mfa', null);
  const u = await clerk.users.getUser(seed.userId);
  check(!u.totpEnabled && !u.backupCodeEnabled && !u.twoFactorEnabled, 'MFA left', { totp: u.totpEnabled, backup: u.backupCodeEnabled });
});
await step('users.deleteUserWeb3Wallet / deleteUserExternalAccount / deleteUserPasskey', async () => {
  const u = await clerk.users.getUser(seed.userId);
  let d = await clerk.users.deleteUserWeb3Wallet({ userId: seed.userId, web3WalletIdentificationId: u.web3Wallets[0].id });
  check(d.id === u.web3Wallets[0].id && d.deleted, 'web3 wallet', d);
  d = await clerk.users.deleteUserExternalAccount({ userId: seed.userId, externalAccountId: seed.externalAccountId });
  check(d.id === seed.externalAccountId && d.deleted, 'external account', d);
  const l = await clerk.users.getUserOauthAccessToken(seed.userId, 'oauth_google');
  check(l.data.length === 0, 'tokens of the deleted account', l);
  d = await clerk.users.deleteUserPasskey({ userId: seed.userId, passkeyIdentificationId: seed.passkeyId });
  check(d.id === seed.passkeyId && d.deleted, 'passkey', d);
  await refused(clerk.users.deleteUserPasskey({ userId: seed.userId, passkeyIdentificationId: seed.passkeyId }), 404, 'resource_not_found');
});
await step('users.removePassword', async () => {
  const u = await clerk.users.removePassword(alice.id);
  check(u.passwordEnabled === false, 'password_enabled', u.passwordEnabled);
  await clerk.users.updateUser(alice.id, { password: 'correct horse battery' });
});

// Organizations, memberships, invitations, domains.
await step('organizations.getOrganization by slug', async () => {
  const o = await clerk.organizations.getOrganization({ slug: 'acme' });
  check(o.id === 'org_demo_acme' && o.name === 'Acme Inc', 'acme', o);
});
await step('organizations.createOrganization / updateOrganization / metadata / list', async () => {
  org = await clerk.organizations.createOrganization({ name: 'Wonderland', slug: 'wonderland', createdBy: alice.id });
  check(org.id.startsWith('org_') && org.slug === 'wonderland' && org.createdBy === alice.id, 'created', org);
  const u = await clerk.organizations.updateOrganization(org.id, { name: 'Wonderland Ltd', maxAllowedMemberships: 10 });
  check(u.name === 'Wonderland Ltd' && u.maxAllowedMemberships === 10, 'updated', u);
  let m = await clerk.organizations.updateOrganizationMetadata(org.id, { publicMetadata: { tier: 'gold' } });
  check(m.publicMetadata.tier === 'gold', 'merged', m.publicMetadata);
  m = await clerk.organizations.replaceOrganizationMetadata(org.id, { publicMetadata: { tier: 'silver' } });
  check(JSON.stringify(m.publicMetadata) === '{"tier":"silver"}', 'replaced', m.publicMetadata);
  const l = await clerk.organizations.getOrganizationList({ query: 'wonder', includeMembersCount: true });
  check(l.totalCount === 1 && l.data[0].id === org.id && l.data[0].membersCount === 1, 'list', l);
});
await step('organizations.updateOrganizationLogo / deleteOrganizationLogo', async () => {
  let o = await clerk.organizations.updateOrganizationLogo(org.id, { file: png, uploaderUserId: alice.id });
  check(o.hasImage === true && o.imageUrl, 'uploaded', o);
  o = await clerk.organizations.deleteOrganizationLogo(org.id);
  check(o.hasImage === false, 'deleted', o);
});
await step('organizations memberships create / update / metadata / list / delete', async () => {
  let m = await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: 'user_demo_member', role: 'org:member' });
  check(m.role === 'org:member' && m.organization.id === org.id && m.publicUserData.userId === 'user_demo_member', 'created', m);
  m = await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: 'user_demo_member', role: 'org:admin' });
  check(m.role === 'org:admin', 'updated', m);
  m = await clerk.organizations.updateOrganizationMembershipMetadata({ organizationId: org.id, userId: 'user_demo_member', publicMetadata: { team: 'red' } });
  check(m.publicMetadata.team === 'red', 'metadata', m.publicMetadata);
  const l = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id });
  check(l.totalCount === 2, 'list (creator and member)', l.totalCount);
  const ul = await clerk.users.getOrganizationMembershipList({ userId: 'user_demo_member' });
  check(ul.totalCount === 3, "user_demo_member's (Acme, Globex, Wonderland)", ul.totalCount);
  const il = await clerk.organizations.getInstanceOrganizationMembershipList({});
  check(il.totalCount >= 4, 'instance memberships', il.totalCount);
  m = await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: 'user_demo_member' });
  check(m.publicUserData.userId === 'user_demo_member', 'deleted', m);
});
await step('organizations invitations create / bulk / get / list / revoke', async () => {
  const inv = await clerk.organizations.createOrganizationInvitation({ organizationId: org.id, emailAddress: 'hatter@example.com', role: 'org:member', inviterUserId: alice.id });
  check(inv.id.startsWith('orginv_') && inv.status === 'pending' && inv.emailAddress === 'hatter@example.com', 'created', inv);
  const bulk = await clerk.organizations.createOrganizationInvitationBulk(org.id, [
    { emailAddress: 'march@example.com', role: 'org:member', inviterUserId: alice.id },
    { emailAddress: 'dormouse@example.com', role: 'org:member', inviterUserId: alice.id },
  ]);
  const bulkList = Array.isArray(bulk) ? bulk : bulk.data;
  check(bulkList.length === 2, 'bulk', bulk);
  check((await clerk.organizations.getOrganizationInvitation({ organizationId: org.id, invitationId: inv.id })).id === inv.id, 'got', null);
  const l = await clerk.organizations.getOrganizationInvitationList({ organizationId: org.id, status: ['pending'] });
  check(l.totalCount === 3, 'pending', l.totalCount);
  const ul = await clerk.users.getOrganizationInvitationList({ userId: 'user_demo_member' });
  check(ul.totalCount === 0, "user_demo_member's", ul.totalCount);
  const r = await clerk.organizations.revokeOrganizationInvitation({ organizationId: org.id, invitationId: inv.id, requestingUserId: alice.id });
  check(r.status === 'revoked', 'revoked', r);
});
await step('organizations domains create / update / list / delete', async () => {
  // @clerk/backend 3.25.0 has no class for organization_domain: these
  // come back as the API's JSON.
  let d = await clerk.organizations.createOrganizationDomain({ organizationId: org.id, name: 'wonderland.example', enrollmentMode: 'automatic_invitation', verified: true });
  check(d.organization_id === org.id && d.name === 'wonderland.example' && d.enrollment_mode === 'automatic_invitation', 'created', d);
  d = await clerk.organizations.updateOrganizationDomain({ organizationId: org.id, domainId: d.id, enrollmentMode: 'manual_invitation' });
  check(d.enrollment_mode === 'manual_invitation', 'updated', d);
  const l = await clerk.organizations.getOrganizationDomainList({ organizationId: org.id });
  check(l.totalCount === 1 && l.data[0].id === d.id, 'list', l);
  const del = await clerk.organizations.deleteOrganizationDomain({ organizationId: org.id, domainId: d.id });
  check(del.id === d.id, 'deleted', del);
});

// Roles, permissions, role sets.
await step('organizationPermissions create / get / update / list / delete', async () => {
  const p = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Posts read', key: 'org:posts:read', description: 'Read posts' });
  check(p.id.startsWith('perm_') && p.key === 'org:posts:read', 'created', p);
  check((await clerk.organizationPermissions.getOrganizationPermission(p.id)).key === 'org:posts:read', 'got', null);
  const u = await clerk.organizationPermissions.updateOrganizationPermission({ permissionId: p.id, name: 'Read posts' });
  check(u.name === 'Read posts', 'updated', u);
  const l = await clerk.organizationPermissions.getOrganizationPermissionList({ query: 'posts' });
  check(l.data.some((x) => x.id === p.id), 'list', l);
  const tmp = await clerk.organizationPermissions.createOrganizationPermission({ name: 'Tmp', key: 'org:tmp:do' });
  const d = await clerk.organizationPermissions.deleteOrganizationPermission(tmp.id);
  check(d.id === tmp.id && d.deleted, 'deleted', d);
});
await step('organizationRoles create / get / update / permissions / list / delete', async () => {
  const r = await clerk.organizationRoles.createOrganizationRole({ name: 'Editor', key: 'org:editor', description: 'Edits' });
  check(r.id.startsWith('role_') && r.key === 'org:editor', 'created', r);
  check((await clerk.organizationRoles.getOrganizationRole(r.id)).key === 'org:editor', 'got', null);
  const u = await clerk.organizationRoles.updateOrganizationRole({ organizationRoleId: r.id, description: 'Edits posts' });
  check(u.description === 'Edits posts', 'updated', u);
  const perms = await clerk.organizationPermissions.getOrganizationPermissionList({ query: 'posts' });
  const perm = perms.data.find((x) => x.key === 'org:posts:read');
  let a = await clerk.organizationRoles.assignPermissionToOrganizationRole({ organizationRoleId: r.id, permissionId: perm.id });
  check(a.permissions.some((x) => (x.key ?? x) === 'org:posts:read'), 'assigned', a.permissions);
  a = await clerk.organizationRoles.removePermissionFromOrganizationRole({ organizationRoleId: r.id, permissionId: perm.id });
  check(!a.permissions.some((x) => (x.key ?? x) === 'org:posts:read'), 'removed', a.permissions);
  const l = await clerk.organizationRoles.getOrganizationRoleList();
  check(l.data.some((x) => x.id === r.id), 'list', l.data.map((x) => x.key));
  const tmp = await clerk.organizationRoles.createOrganizationRole({ name: 'Tmp', key: 'org:tmp' });
  const d = await clerk.organizationRoles.deleteOrganizationRole(tmp.id);
  check(d.id === tmp.id && d.deleted, 'deleted', d);
});
await step('roleSets list / get / create / update / addRoles / replaceRole / replace', async () => {
  const l = await clerk.roleSets.getRoleSetList();
  check(l.totalCount >= 1 && l.data.length >= 1, 'list', l);
  const def = await clerk.roleSets.getRoleSet(l.data[0].key);
  check(def.key === l.data[0].key, 'got', def);
  let rs = await clerk.roleSets.createRoleSet({ name: 'Publishing', key: 'role_set:publishing', defaultRoleKey: 'org:member', creatorRoleKey: 'org:admin', roles: ['org:admin', 'org:member'] });
  check(rs.key === 'role_set:publishing', 'created', rs);
  rs = await clerk.roleSets.updateRoleSet({ roleSetKeyOrId: 'role_set:publishing', description: 'For publishers' });
  check(rs.description === 'For publishers', 'updated', rs);
  rs = await clerk.roleSets.addRolesToRoleSet({ roleSetKeyOrId: 'role_set:publishing', roleKeys: ['org:editor'] });
  check(JSON.stringify(rs).includes('org:editor'), 'added', rs);
  await clerk.organizationRoles.createOrganizationRole({ name: 'Reviewer', key: 'org:reviewer' });
  rs = await clerk.roleSets.replaceRoleInRoleSet({ roleSetKeyOrId: 'role_set:publishing', roleKey: 'org:editor', toRoleKey: 'org:reviewer' });
  check(!JSON.stringify(rs).includes('org:editor') && JSON.stringify(rs).includes('org:reviewer'), 'replaced role', rs);
  const d = await clerk.roleSets.replaceRoleSet({ roleSetKeyOrId: 'role_set:publishing', destRoleSetKey: def.key });
  check(d.deleted === true, 'replaced set', d);
});

// Sessions and JWT templates.
await step('sessions.createSession / getSession / getSessionList', async () => {
  sess = await clerk.sessions.createSession({ userId: alice.id });
  check(sess.id.startsWith('sess_') && sess.userId === alice.id && sess.status === 'active', 'created', sess);
  check((await clerk.sessions.getSession(sess.id)).status === 'active', 'got', null);
  const l = await clerk.sessions.getSessionList({ userId: alice.id });
  check(l.totalCount === 1 && l.data[0].id === sess.id, 'list', l);
});
await step('sessions.getToken', async () => {
  const t = await clerk.sessions.getToken(sess.id);
  const c = claims(t.jwt);
  check(c.sub === alice.id && c.sid === sess.id, 'claims', c);
});
await step('jwtTemplates create / get / update / list; sessions.getToken(template)', async () => {
  tpl = await clerk.jwtTemplates.create({ name: 'backend', claims: { aud: 'api.example', email: '{{user.primary_email_address}}' }, lifetime: 120 });
  check(tpl.id.startsWith('jtmp_') && tpl.name === 'backend' && tpl.lifetime === 120 && tpl.allowedClockSkew === 5, 'created', tpl);
  const t = await clerk.sessions.getToken(sess.id, 'backend');
  const c = claims(t.jwt);
  check(c.aud === 'api.example' && c.email === 'alice@example.com' && c.exp - c.iat === 120, 'template token', c);
  check((await clerk.jwtTemplates.get(tpl.id)).name === 'backend', 'got', null);
  const u = await clerk.jwtTemplates.update({ templateId: tpl.id, name: 'backend', claims: { aud: 'api2.example' }, lifetime: 300 });
  check(u.lifetime === 300 && u.claims.aud === 'api2.example', 'updated', u);
  const l = await clerk.jwtTemplates.list();
  check(l.totalCount === 1 && l.data[0].id === tpl.id, 'list', l);
  const d = await clerk.jwtTemplates.delete(tpl.id);
  check(d.id === tpl.id && d.deleted, 'deleted', d);
  await refused(clerk.sessions.getToken(sess.id, 'backend'), 404, 'resource_not_found');
});
await step('jwks.getJwks', async () => {
  const k = await clerk.jwks.getJwks();
  check(k.keys.length >= 1 && k.keys[0].kid && k.keys[0].kty === 'RSA', 'keys', k);
});
await step('clients.getClient / getClientList', async () => {
  const c = await clerk.clients.getClient(sess.clientId);
  check(c.id === sess.clientId && c.sessionIds.includes(sess.id), 'client', c);
  const l = await clerk.clients.getClientList();
  check(l.data.some((x) => x.id === sess.clientId), 'list', l);
});
await step('sessions.revokeSession', async () => {
  const r = await clerk.sessions.revokeSession(sess.id);
  check(r.status === 'revoked', 'revoked', r);
  const t = await clerk.sessions.getToken(sess.id).then(() => 'minted', (e) => e.status);
  check(t !== 'minted', 'a revoked session minted a token', t);
});

// Instance-wide lists and tokens.
await step('invitations create / bulk / list / revoke', async () => {
  const inv = await clerk.invitations.createInvitation({ emailAddress: 'queen@example.com', publicMetadata: { from: 'js' } });
  check(inv.id.startsWith('inv_') && inv.status === 'pending' && inv.publicMetadata.from === 'js', 'created', inv);
  const bulk = await clerk.invitations.createInvitationBulk([{ emailAddress: 'knave@example.com' }, { emailAddress: 'king@example.com' }]);
  check(bulk.length === 2, 'bulk', bulk);
  const l = await clerk.invitations.getInvitationList({ status: 'pending' });
  check(l.totalCount === 3, 'pending', l.totalCount);
  const r = await clerk.invitations.revokeInvitation(inv.id);
  check(r.status === 'revoked' && r.revoked === true, 'revoked', r);
});
await step('allowlistIdentifiers create / list / delete', async () => {
  const a = await clerk.allowlistIdentifiers.createAllowlistIdentifier({ identifier: '*@wonderland.example', notify: false });
  check(a.id.startsWith('alid_') && a.identifier === '*@wonderland.example', 'created', a);
  const l = await clerk.allowlistIdentifiers.getAllowlistIdentifierList();
  check(l.totalCount === 1 && l.data[0].id === a.id, 'list', l);
  const d = await clerk.allowlistIdentifiers.deleteAllowlistIdentifier(a.id);
  check(d.id === a.id && d.deleted, 'deleted', d);
});
await step('blocklistIdentifiers create / list / delete', async () => {
  const b = await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: 'spam@example.com' });
  check(b.id.startsWith('blid_') && b.identifierType === 'email_address', 'created', b);
  const l = await clerk.blocklistIdentifiers.getBlocklistIdentifierList();
  check(l.totalCount === 1, 'list', l);
  const d = await clerk.blocklistIdentifiers.deleteBlocklistIdentifier(b.id);
  check(d.id === b.id && d.deleted, 'deleted', d);
});
await step('redirectUrls create / get / list / delete', async () => {
  const r = await clerk.redirectUrls.createRedirectUrl({ url: 'https://app.example/callback' });
  check(r.id.startsWith('ru_') && r.url === 'https://app.example/callback', 'created', r);
  check((await clerk.redirectUrls.getRedirectUrl(r.id)).url === r.url, 'got', null);
  const l = await clerk.redirectUrls.getRedirectUrlList();
  check(l.totalCount === 1, 'list', l);
  const d = await clerk.redirectUrls.deleteRedirectUrl(r.id);
  check(d.id === r.id, 'deleted', d);
});
// waitlistEntries.createBulk (POST /v1/waitlist_entries/bulk) is not in
// bapi-2025-04-10.yml, and the emulator does not serve it.
await step('waitlistEntries create / list / invite / reject / delete', async () => {
  const w = await clerk.waitlistEntries.create({ emailAddress: 'dodo@example.com' });
  check(w.emailAddress === 'dodo@example.com' && w.status === 'pending', 'created', w);
  const bulk = [await clerk.waitlistEntries.create({ emailAddress: 'lory@example.com' }), await clerk.waitlistEntries.create({ emailAddress: 'eaglet@example.com' })];
  const l = await clerk.waitlistEntries.list({ status: 'pending' });
  check(l.totalCount === 3, 'pending', l.totalCount);
  const inv = await clerk.waitlistEntries.invite(w.id);
  check(inv.status === 'invited', 'invited', inv);
  const rej = await clerk.waitlistEntries.reject(bulk[0].id);
  check(rej.status === 'rejected', 'rejected', rej);
  const d = await clerk.waitlistEntries.delete(bulk[1].id);
  check(d.id === bulk[1].id && d.deleted, 'deleted', d);
});
await step('signInTokens create / revoke', async () => {
  const s = await clerk.signInTokens.createSignInToken({ userId: alice.id, expiresInSeconds: 600 });
  check(s.userId === alice.id && s.status === 'pending' && s.token && s.url, 'created', s);
  const r = await clerk.signInTokens.revokeSignInToken(s.id);
  check(r.status === 'revoked', 'revoked', r);
});
await step('testingTokens.createTestingToken', async () => {
  // @clerk/backend 3.25.0 has no class for testing_token: the API's JSON.
  const t = await clerk.testingTokens.createTestingToken();
  check(t.object === 'testing_token' && t.token && t.expires_at > Date.now() / 1000, 'token', t);
});
await step('actorTokens create / revoke', async () => {
  const a = await clerk.actorTokens.create({ userId: 'user_demo_member', actor: { sub: 'user_demo_admin' }, expiresInSeconds: 600 });
  check(a.userId === 'user_demo_member' && a.status === 'pending' && a.token && a.actor.sub === 'user_demo_admin', 'created', a);
  const r = await clerk.actorTokens.revoke(a.id);
  check(r.status === 'revoked', 'revoked', r);
});
await step('domains list / add / update / delete', async () => {
  let l = await clerk.domains.list();
  check(l.totalCount === 1 && l.data[0].name && l.data[0].frontendApiUrl && !l.data[0].isSatellite, 'primary', l);
  const primary = l.data[0];
  const d = await clerk.domains.add({ name: 'satellite.example.com', is_satellite: true });
  check(d.id && d.name === 'satellite.example.com' && d.isSatellite === true && d.frontendApiUrl, 'added', d);
  const u = await clerk.domains.update({ domainId: d.id, name: 'sat2.example.com' });
  check(u.id === d.id && u.name === 'sat2.example.com', 'updated', u);
  l = await clerk.domains.list();
  check(l.totalCount === 2 && l.data.some((x) => x.id === d.id && x.name === 'sat2.example.com'), 'list', l);
  const del = await clerk.domains.delete(d.id);
  check(del.id === d.id && del.deleted, 'deleted', del);
  await refused(clerk.domains.delete(primary.id), 403);
});
await step('oauthApplications create / get / update / list / rotateSecret / revokeToken / delete', async () => {
  const a = await clerk.oauthApplications.create({ name: 'Partner', redirectUris: ['https://partner.example/cb'], scopes: 'profile email', public: false });
  check(a.id.startsWith('oa_') && a.name === 'Partner' && a.clientId && a.clientSecret && a.scopes === 'profile email' && a.redirectUris?.[0] === 'https://partner.example/cb', 'created', a);
  const g = await clerk.oauthApplications.get(a.id);
  check(g.clientId === a.clientId && !g.clientSecret, 'got', g);
  const u = await clerk.oauthApplications.update({ oauthApplicationId: a.id, name: 'Partner 2', scopes: 'profile' });
  check(u.name === 'Partner 2' && u.scopes === 'profile', 'updated', u);
  const l = await clerk.oauthApplications.list();
  check(l.totalCount === 1 && l.data[0].id === a.id, 'list', l);
  const r = await clerk.oauthApplications.rotateSecret(a.id);
  check(r.clientSecret && r.clientSecret !== a.clientSecret, 'rotated', r);
  await refused(clerk.oauthApplications.revokeToken({ oauthApplicationId: a.id, token: 'oat_' + '0'.repeat(32) }), 404);
  const d = await clerk.oauthApplications.delete(a.id);
  check(d.id === a.id && d.deleted, 'deleted', d);
  await refused(clerk.oauthApplications.get(a.id), 404, 'resource_not_found');
});

// Machines, API keys, M2M tokens, OAuth access tokens.
await step('machines create / get / update / scopes / list', async () => {
  api = await clerk.machines.create({ name: 'api' });
  worker = await clerk.machines.create({ name: 'worker', scopedMachines: [api.id], defaultTokenTtl: 600 });
  check(worker.id.startsWith('mch_') && worker.secretKey?.startsWith('ak_') && worker.defaultTokenTtl === 600, 'created', worker);
  const g = await clerk.machines.get(worker.id);
  check(g.scopedMachines.map((m) => m.id).join() === api.id, 'scoped', g.scopedMachines);
  check((await clerk.machines.update({ machineId: worker.id, name: 'worker-2' })).name === 'worker-2', 'updated', null);
  check((await clerk.machines.getSecretKey(worker.id)).secret === worker.secretKey, 'secret', null);
  const other = await clerk.machines.create({ name: 'other' });
  const s = await clerk.machines.createScope(worker.id, other.id);
  check(s.fromMachineId === worker.id && s.toMachineId === other.id, 'scope', s);
  const ds = await clerk.machines.deleteScope(worker.id, other.id);
  check(ds.deleted === true, 'scope deleted', ds);
  const d = await clerk.machines.delete(other.id);
  check(d.id === other.id && d.deleted, 'deleted', d);
  const l = await clerk.machines.list({ query: 'worker' });
  check(l.totalCount === 1 && l.data[0].id === worker.id, 'list', l);
});
await step('m2m createToken / verify / list / revokeToken', async () => {
  const t = await clerk.m2m.createToken({ machineSecretKey: worker.secretKey, secondsUntilExpiration: 300 });
  check(t.token?.startsWith('mt_') && t.subject === worker.id && t.scopes.includes(api.id), 'created', t);
  const v = await clerk.m2m.verify({ machineSecretKey: api.secretKey, token: t.token });
  check(v.id === t.id && v.subject === worker.id && !v.revoked, 'verified', v);
  const l = await clerk.m2m.list({ subject: worker.id });
  check(l.totalCount === 1 && l.data[0].id === t.id, 'list', l);
  const r = await clerk.m2m.revokeToken({ machineSecretKey: worker.secretKey, m2mTokenId: t.id, revocationReason: 'rotated' });
  check(r.revoked && r.revocationReason === 'rotated', 'revoked', r);
  await refused(clerk.m2m.verify({ machineSecretKey: api.secretKey, token: t.token }), 404);
});
await step('apiKeys create / get / update / list / getSecret / verify / revoke / delete', async () => {
  const k = await clerk.apiKeys.create({ name: 'ci key', subject: alice.id, scopes: ['read'], secondsUntilExpiration: 3600 });
  check(k.id.startsWith('ak_') && k.subject === alice.id && k.name === 'ci key', 'created', k);
  check((await clerk.apiKeys.get(k.id)).id === k.id, 'got', null);
  const u = await clerk.apiKeys.update({ apiKeyId: k.id, subject: alice.id, description: 'for CI', scopes: ['read', 'write'] });
  check(u.description === 'for CI' && u.scopes.join() === 'read,write', 'updated', u);
  const l = await clerk.apiKeys.list({ subject: alice.id });
  check(l.totalCount === 1 && l.data[0].id === k.id, 'list', l);
  const { secret } = await clerk.apiKeys.getSecret(k.id);
  check(secret?.startsWith('ak_'), 'secret', null);
  const v = await clerk.apiKeys.verify(secret);
  check(v.id === k.id && v.subject === alice.id, 'verified', v);
  const r = await clerk.apiKeys.revoke({ apiKeyId: k.id, revocationReason: 'leaked' });
  check(r.revoked && r.revocationReason === 'leaked', 'revoked', r);
  const d = await clerk.apiKeys.delete(k.id);
  check(d.id === k.id && d.deleted, 'deleted', d);
});
await step('idPOAuthAccessToken.verify refuses an unknown token', async () => {
  await refused(clerk.idPOAuthAccessToken.verify('oat_' + '0'.repeat(32)), 404);
});

// Billing, from the scenario seed (conformance/devprobe's scenarioBilling):
// user plans Free (default) and Pro, the organization plan Team; the seed
// user on Pro billed annually, user_demo_member in Pro's free trial, Acme
// (org_demo_acme) on Team.
await step('billing.getPlanList', async () => {
  const l = await clerk.billing.getPlanList();
  check(l.totalCount === 3 && l.data.map((p) => p.id).join() === 'cplan_demo_team,cplan_demo_pro,cplan_demo_free', 'plans', l);
  const pro = l.data[1];
  check(pro.slug === 'pro' && pro.fee?.amount === 2000 && pro.fee.currencySymbol === '$' && pro.annualFee?.amount === 19200 &&
    pro.annualMonthlyFee?.amount === 1600 && pro.forPayerType === 'user' && pro.hasBaseFee && !pro.isDefault && pro.isRecurring &&
    pro.publiclyVisible && pro.freeTrialEnabled && pro.freeTrialDays === 14 && pro.description === 'For professionals' &&
    pro.features.map((f) => f.slug).join() === 'basic,exports' && pro.features[1].name === 'Exports', 'pro', pro);
  check(l.data[2].isDefault && !l.data[2].hasBaseFee && l.data[2].fee?.amount === 0, 'free', l.data[2]);
  const orgs = await clerk.billing.getPlanList({ payerType: 'org' });
  check(orgs.totalCount === 1 && orgs.data[0].id === 'cplan_demo_team' && orgs.data[0].forPayerType === 'org', 'org plans', orgs);
  const page = await clerk.billing.getPlanList({ payerType: 'user', limit: 1, offset: 1 });
  check(page.totalCount === 2 && page.data.length === 1 && page.data[0].id === 'cplan_demo_free', 'page', page);
  await refused(clerk.billing.getPlanList({ payerType: 'team' }), 422, 'form_param_value_invalid');
});
await step('billing.getUserBillingSubscription', async () => {
  const s = await clerk.billing.getUserBillingSubscription(seed.userId);
  check(s.id === 'csub_demo_admin' && s.status === 'active' && s.payerId?.startsWith('cpayer_') && s.activeAt > 0 &&
    s.subscriptionItems.length === 1 && s.nextPayment?.amount.amount === 19200, 'subscription', s);
  const it = s.subscriptionItems[0];
  check(it.id === 'csubi_demo_admin' && it.status === 'active' && it.planPeriod === 'annual' && it.planId === 'cplan_demo_pro' &&
    it.plan?.name === 'Pro' && it.amount?.amount === 19200 && it.amount.amountFormatted === '192.00' && it.payerId === s.payerId &&
    it.periodEnd > it.periodStart && it.nextPayment?.date === it.periodEnd && it.canceledAt === null && !it.isFreeTrial, 'item', it);
  await refused(clerk.billing.getUserBillingSubscription('user_nobody'), 404, 'resource_not_found');
});
await step('billing.getOrganizationBillingSubscription', async () => {
  const s = await clerk.billing.getOrganizationBillingSubscription('org_demo_acme');
  check(s.id === 'csub_demo_acme' && s.subscriptionItems[0]?.plan?.id === 'cplan_demo_team' && s.subscriptionItems[0].amount?.amount === 9900, 'acme', s);
  await refused(clerk.billing.getOrganizationBillingSubscription('org_demo_globex'), 404, 'resource_not_found');
});
await step('billing.extendSubscriptionItemFreeTrial', async () => {
  const to = new Date(Date.now() + 30 * 24 * 3600 * 1000);
  to.setUTCMilliseconds(0);
  const it = await clerk.billing.extendSubscriptionItemFreeTrial('csubi_demo_member', { extendTo: to });
  check(it.id === 'csubi_demo_member' && it.isFreeTrial && it.periodEnd === to.getTime() && it.plan?.id === 'cplan_demo_pro', 'extended', it);
  await refused(clerk.billing.extendSubscriptionItemFreeTrial('csubi_demo_admin', { extendTo: to }), 400, 'bad_request');
});
await step('billing.cancelSubscriptionItem (at period end, then now)', async () => {
  const c = await clerk.billing.cancelSubscriptionItem('csubi_demo_admin');
  check(c.id === 'csubi_demo_admin' && c.status === 'active' && c.canceledAt > 0 && c.endedAt === null && c.nextPayment === null, 'canceled', c);
  const e = await clerk.billing.cancelSubscriptionItem('csubi_demo_admin', { endNow: true });
  check(e.status === 'ended' && e.endedAt > 0 && e.canceledAt === c.canceledAt, 'ended', e);
  const s = await clerk.billing.getUserBillingSubscription(seed.userId);
  check(s.status === 'ended' && s.nextPayment === null, 'subscription after', s);
  await refused(clerk.billing.cancelSubscriptionItem('csubi_demo_admin'), 400, 'bad_request');
  await refused(clerk.billing.cancelSubscriptionItem('csubi_nope'), 404, 'resource_not_found');
});

// Cleanup of what the scenario made, also a round trip.
await step('organizations.deleteOrganization', async () => {
  const d = await clerk.organizations.deleteOrganization(org.id);
  check(d.id === org.id && d.deleted, 'deleted', d);
  await refused(clerk.organizations.getOrganization({ organizationId: org.id }), 404, 'resource_not_found');
});

process.stdout.write(JSON.stringify({ steps }) + '\n');
