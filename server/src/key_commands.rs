//! `liaison keys …` and `liaison api-keys …`: the key lifecycle from the command line of
//! a host that holds the database and the master key. The same services as the REST API.

use anyhow::Result;
use backend::actor::RequestMeta;
use backend::services::{api_keys, auth, signing_keys};
use secrecy::ExposeSecret;

use crate::commands::open_core;
use crate::config::{ApiKeysCommand, GlobalArgs, KeysCommand};

fn service<T>(r: backend::services::Result<T>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e}"))
}

async fn core(g: &GlobalArgs) -> Result<backend::Liaison> {
    open_core(g, url::Url::parse("http://127.0.0.1:3000")?, None).await
}

pub async fn keys(g: &GlobalArgs, command: &KeysCommand) -> Result<()> {
    let core = core(g).await?;
    match command {
        KeysCommand::Rotate {
            publish_lead_seconds,
        } => {
            let key =
                service(signing_keys::rotate_from_cli(&core, Some(*publish_lead_seconds)).await)?;
            println!(
                "New signing key {} is published now and signs from {}.",
                key.kid, key.activates_at
            );
            println!("The key it replaces is retired once every token it signed has expired.");
        }
        KeysCommand::List => {
            for k in service(signing_keys::list_all(&core).await)? {
                println!(
                    "{}  {:9}  created {}  signs from {}{}",
                    k.kid,
                    k.status,
                    k.created_at,
                    k.activates_at,
                    k.retired_at
                        .map(|r| format!("  retired {r}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

pub async fn api_keys(g: &GlobalArgs, command: &ApiKeysCommand) -> Result<()> {
    let core = core(g).await?;
    let meta = RequestMeta::default();
    match command {
        ApiKeysCommand::Create {
            admin_email,
            name,
            scope,
            expires_in_days,
        } => {
            let who = service(auth::staff_for_cli(&core, admin_email).await)?;
            let new = api_keys::NewKey {
                name: name.clone(),
                scope: backend::domain::KeyScope::parse(scope)
                    .unwrap_or(backend::domain::KeyScope::Read),
                expires_in_days: *expires_in_days,
            };
            let (key, secret) = service(api_keys::create(&core, &who, new, &meta).await)?;
            println!("Created API key {} ({}).", key.id, key.name);
            println!("  key: {}", secret.expose_secret());
            println!("  It is shown once and stored only as a hash. Keep it safe.");
        }
        ApiKeysCommand::List { admin_email } => {
            let who = service(auth::staff_for_cli(&core, admin_email).await)?;
            for k in service(api_keys::list(&core, &who).await)? {
                println!(
                    "{}  {}…  {:7}  {}  created {}  expires {}  last used {}",
                    k.id,
                    k.prefix,
                    k.status,
                    k.name,
                    k.created_at,
                    k.expires_at.as_deref().unwrap_or("never"),
                    k.last_used_at.as_deref().unwrap_or("never"),
                );
            }
        }
        ApiKeysCommand::Revoke { admin_email, id } => {
            let who = service(auth::staff_for_cli(&core, admin_email).await)?;
            let key = service(api_keys::revoke(&core, &who, id, &meta).await)?;
            println!("Revoked API key {} ({}).", key.id, key.name);
        }
    }
    Ok(())
}
