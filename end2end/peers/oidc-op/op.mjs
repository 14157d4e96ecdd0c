// The npm `oidc-provider` (a certified OpenID Provider) as the test suite's partner OP.
// Any login name signs in (password ignored); its email is <login>@partner.test unless the
// login is itself an email. Consent is granted automatically. Configuration by environment:
//   OP_PORT, OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URIS (comma-separated)
import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT || 18090);
const issuer = `http://127.0.0.1:${port}`;

function claimsFor(login) {
  const email = login.includes('@') ? login : `${login}@partner.test`;
  const name = login.split('@')[0];
  return {
    sub: `sub-${name}`,
    email,
    email_verified: true,
    name: `${name[0].toUpperCase()}${name.slice(1)} Partner`,
    org: 'Partner Agency',
    groups: ['auditors', 'partner-staff'],
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OP_CLIENT_ID || 'liaison',
    client_secret: process.env.OP_CLIENT_SECRET || 'liaison-test-secret',
    redirect_uris: (process.env.OP_REDIRECT_URIS || 'http://127.0.0.1:3000/auth/oidc/callback').split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'org', 'groups'],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    return { accountId: id, async claims() { return claimsFor(id); } };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'org', 'groups']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
