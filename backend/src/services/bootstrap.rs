//! Creating an organisation with its first admin (CLI `bootstrap` and the first `serve`).

use secrecy::{ExposeSecret, SecretSlice, SecretString};

use super::{validate, Result};
use crate::crypto::token::generate_password;
use crate::crypto::ApiKey;
use crate::domain::Role;
use crate::store::{api_keys, new_id, orgs, users};
use crate::Liaison;

/// Secrets shown exactly once, to whoever ran the bootstrap.
pub struct Bootstrapped {
    pub org_id: String,
    pub org_name: String,
    pub admin_email: String,
    pub admin_password: SecretString,
    pub api_key: SecretString,
}

/// Whether the installation has no organisation yet.
#[tracing::instrument(skip_all)]
pub async fn is_fresh(core: &Liaison) -> Result<bool> {
    Ok(orgs::count(core.db.pool()).await? == 0)
}

#[tracing::instrument(skip_all)]
pub async fn bootstrap(core: &Liaison, org_name: &str, admin_email: &str) -> Result<Bootstrapped> {
    let org_name = validate::text("org", org_name, 200)?;
    let admin_email = validate::email("admin_email", admin_email)?;
    let password = generate_password();
    let password_hash = core
        .kdf
        .hash(SecretSlice::from(
            password.expose_secret().as_bytes().to_vec(),
        ))
        .await?;
    let api_key = ApiKey::generate();
    let now = core.now_ms();

    let mut tx = core.db.begin().await?;
    let org = orgs::insert(&mut *tx, &org_name, now).await?;
    let user = users::UserRow {
        id: new_id(),
        org_id: org.id.clone(),
        email: admin_email.clone(),
        display_name: "Administrator".into(),
        role: Role::Admin.as_str().into(),
        password_hash: Some(password_hash.as_stored().to_owned()),
        created_at: now,
        disabled_at: None,
        sign_in: crate::domain::SignIn::Password.as_str().into(),
        session_epoch: 0,
        created_by: None,
    };
    users::insert(&mut *tx, &user)
        .await
        .map_err(super::on_unique(|| {
            format!("a user with email {admin_email} already exists")
        }))?;
    let key = api_keys::ApiKeyRow {
        id: new_id(),
        org_id: org.id.clone(),
        user_id: user.id.clone(),
        name: "bootstrap".into(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
        prefix: super::api_keys::prefix_of(&api_key),
        expires_at: None,
        last_used_ip: None,
        scope: crate::domain::KeyScope::Admin.as_str().into(),
    };
    api_keys::insert(&mut *tx, &key, &api_key.lookup_hash()).await?;
    // Every organisation has a default portal: shares that name none belong to it.
    crate::store::portals::insert(
        &mut *tx,
        &crate::store::portals::PortalRow {
            id: new_id(),
            org_id: org.id.clone(),
            name: "Default portal".into(),
            created_by: user.id.clone(),
            created_at: now,
            is_default: 1,
            branding: "{}".into(),
            terms_id: None,
            member_domains: "[]".into(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Bootstrapped {
        org_id: org.id,
        org_name: org.name,
        admin_email,
        admin_password: password,
        api_key: api_key.expose().clone(),
    })
}
