//! Partner organisations, their email domains and identity providers (the `federation`
//! migration). An IdP row with no partner is the organisation's own IdP for staff sign-in.

use sqlx::Executor;

use super::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartnerRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
    /// Registered as a law-enforcement agency: may receive criminal intelligence (0/1).
    pub law_enforcement: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IdpRow {
    pub id: String,
    pub org_id: String,
    pub partner_id: Option<String>,
    /// saml | oidc
    pub kind: String,
    pub name: String,
    /// JSON, see `federation::IdpConfig`.
    pub config: String,
    /// JSON, see `federation::AttributeMap`.
    pub attribute_map: String,
    /// The OIDC client secret sealed under the master key (context `idp-client-secret:<id>`).
    pub client_secret_sealed: Option<Vec<u8>>,
    pub created_at: i64,
    pub updated_at: i64,
    pub disabled_at: Option<i64>,
    /// SAML: our SP signing key for this connection (PKCS#8 DER), sealed (context
    /// `sp-key:<id>`), and its certificate (base64 DER, public).
    pub sp_key_sealed: Option<Vec<u8>>,
    pub sp_cert: Option<String>,
}

const PARTNER_COLUMNS: &str =
    "id, org_id, name, created_at, updated_at, disabled_at, law_enforcement";
const IDP_COLUMNS: &str = "id, org_id, partner_id, kind, name, config, attribute_map, \
    client_secret_sealed, created_at, updated_at, disabled_at, sp_key_sealed, sp_cert";

pub async fn insert_partner<'e, E>(db: E, p: &PartnerRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO partners (id, org_id, name, created_at, updated_at, disabled_at, \
         law_enforcement) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&p.id)
    .bind(&p.org_id)
    .bind(&p.name)
    .bind(p.created_at)
    .bind(p.updated_at)
    .bind(p.disabled_at)
    .bind(p.law_enforcement)
    .execute(db)
    .await?;
    Ok(())
}

/// Renames, enables/disables and (un)registers a partner as a law-enforcement agency.
/// Returns whether it exists.
pub async fn update_partner<'e, E>(db: E, p: &PartnerRow) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE partners SET name = $3, disabled_at = $4, updated_at = $5, \
         law_enforcement = $6 WHERE org_id = $1 AND id = $2",
    )
    .bind(&p.org_id)
    .bind(&p.id)
    .bind(&p.name)
    .bind(p.disabled_at)
    .bind(p.updated_at)
    .bind(p.law_enforcement)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Enables (`None`) or disables a partner or an IdP. Returns whether the row exists.
pub async fn set_disabled<'e, E>(
    db: E,
    table: Toggle,
    org_id: &str,
    id: &str,
    disabled_at: Option<i64>,
    now_ms: i64,
) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let table = match table {
        Toggle::Partner => "partners",
        Toggle::Idp => "identity_providers",
    };
    let done = sqlx::query(&format!(
        "UPDATE {table} SET disabled_at = $3, updated_at = $4 WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .bind(disabled_at)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What [`set_disabled`] switches.
#[derive(Clone, Copy, Debug)]
pub enum Toggle {
    Partner,
    Idp,
}

pub async fn get_partner<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<PartnerRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {PARTNER_COLUMNS} FROM partners WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn list_partners<'e, E>(db: E, org_id: &str) -> Result<Vec<PartnerRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {PARTNER_COLUMNS} FROM partners WHERE org_id = $1 ORDER BY name"
    ))
    .bind(org_id)
    .fetch_all(db)
    .await?)
}

/// Replaces a partner's email domains (lower-case, no `@`).
pub async fn set_domains(
    tx: &mut super::Tx,
    org_id: &str,
    partner_id: &str,
    domains: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM partner_domains WHERE org_id = $1 AND partner_id = $2")
        .bind(org_id)
        .bind(partner_id)
        .execute(&mut **tx)
        .await?;
    for d in domains {
        sqlx::query("INSERT INTO partner_domains (org_id, domain, partner_id) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(d)
            .bind(partner_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn domains<'e, E>(db: E, org_id: &str, partner_id: &str) -> Result<Vec<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT domain FROM partner_domains WHERE org_id = $1 AND partner_id = $2 ORDER BY domain",
    )
    .bind(org_id)
    .bind(partner_id)
    .fetch_all(db)
    .await?)
}

/// Home-realm discovery: the partner that owns an email domain, if any.
pub async fn partner_for_domain<'e, E>(db: E, org_id: &str, domain: &str) -> Result<Option<String>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "SELECT partner_id FROM partner_domains WHERE org_id = $1 AND domain = $2",
    )
    .bind(org_id)
    .bind(domain)
    .fetch_optional(db)
    .await?)
}

pub async fn insert_idp<'e, E>(db: E, i: &IdpRow) -> Result<()>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO identity_providers ({IDP_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&i.id)
    .bind(&i.org_id)
    .bind(&i.partner_id)
    .bind(&i.kind)
    .bind(&i.name)
    .bind(&i.config)
    .bind(&i.attribute_map)
    .bind(&i.client_secret_sealed)
    .bind(i.created_at)
    .bind(i.updated_at)
    .bind(i.disabled_at)
    .bind(&i.sp_key_sealed)
    .bind(&i.sp_cert)
    .execute(db)
    .await?;
    Ok(())
}

/// Rewrites an IdP's name, configuration, mapping, sealed secret and enabled state.
pub async fn update_idp<'e, E>(db: E, i: &IdpRow) -> Result<bool>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "UPDATE identity_providers SET name = $3, config = $4, attribute_map = $5, \
         client_secret_sealed = $6, disabled_at = $7, updated_at = $8 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(&i.org_id)
    .bind(&i.id)
    .bind(&i.name)
    .bind(&i.config)
    .bind(&i.attribute_map)
    .bind(&i.client_secret_sealed)
    .bind(i.disabled_at)
    .bind(i.updated_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_idp<'e, E>(db: E, org_id: &str, id: &str) -> Result<Option<IdpRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {IDP_COLUMNS} FROM identity_providers WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// An IdP by id alone: the ACS and callback URLs name the IdP, and the row names its
/// organisation (like a share's selector, the id is the only cross-tenant lookup).
pub async fn get_idp_any_org<'e, E>(db: E, id: &str) -> Result<Option<IdpRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {IDP_COLUMNS} FROM identity_providers WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// IdPs of one partner, or with `partner_id = None` the organisation's own (staff) IdPs.
pub async fn list_idps<'e, E>(db: E, org_id: &str, partner_id: Option<&str>) -> Result<Vec<IdpRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    let q = match partner_id {
        Some(_) => format!(
            "SELECT {IDP_COLUMNS} FROM identity_providers WHERE org_id = $1 AND partner_id = $2 \
             ORDER BY created_at"
        ),
        None => format!(
            "SELECT {IDP_COLUMNS} FROM identity_providers WHERE org_id = $1 AND partner_id IS NULL \
             ORDER BY created_at"
        ),
    };
    let mut query = sqlx::query_as(&q).bind(org_id);
    if let Some(p) = partner_id {
        query = query.bind(p.to_owned());
    }
    Ok(query.fetch_all(db).await?)
}

/// A partner staff member seen at sign-in (just-in-time provisioning).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FederatedGuestRow {
    pub id: String,
    pub org_id: String,
    pub partner_id: String,
    pub idp_id: String,
    pub subject: String,
    pub email: String,
    pub display_name: String,
    pub organisation: Option<String>,
    /// JSON array of group names.
    pub groups: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
}

/// Creates the guest on first sign-in; afterwards refreshes what the IdP asserts.
/// Returns the guest's id.
pub async fn upsert_guest(tx: &mut super::Tx, g: &FederatedGuestRow) -> Result<String> {
    sqlx::query(
        "INSERT INTO federated_guests (id, org_id, partner_id, idp_id, subject, email, \
         display_name, organisation, groups, first_seen_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         ON CONFLICT (org_id, idp_id, subject) DO UPDATE SET email = $6, display_name = $7, \
         organisation = $8, groups = $9, last_seen_at = $10",
    )
    .bind(&g.id)
    .bind(&g.org_id)
    .bind(&g.partner_id)
    .bind(&g.idp_id)
    .bind(&g.subject)
    .bind(&g.email)
    .bind(&g.display_name)
    .bind(&g.organisation)
    .bind(&g.groups)
    .bind(g.last_seen_at)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "SELECT id FROM federated_guests WHERE org_id = $1 AND idp_id = $2 AND subject = $3",
    )
    .bind(&g.org_id)
    .bind(&g.idp_id)
    .bind(&g.subject)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn list_guests<'e, E>(
    db: E,
    org_id: &str,
    partner_id: &str,
) -> Result<Vec<FederatedGuestRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(
        "SELECT id, org_id, partner_id, idp_id, subject, email, display_name, organisation, \
         groups, first_seen_at, last_seen_at FROM federated_guests \
         WHERE org_id = $1 AND partner_id = $2 ORDER BY email",
    )
    .bind(org_id)
    .bind(partner_id)
    .fetch_all(db)
    .await?)
}

/// Enabled staff IdPs of every organisation (the sign-in page lists them).
pub async fn list_staff_idps_all<'e, E>(db: E) -> Result<Vec<IdpRow>>
where
    E: Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_as(&format!(
        "SELECT {IDP_COLUMNS} FROM identity_providers \
         WHERE partner_id IS NULL AND disabled_at IS NULL ORDER BY name"
    ))
    .fetch_all(db)
    .await?)
}
