use leptos::prelude::*;

use crate::error::AppError;

use crate::types::CurrentUser;

/// The signed-in staff member, or `None`.
#[server]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    use backend::domain::Action;
    let found = crate::ssr::staff().await?;
    Ok(found.map(|(s, csrf)| CurrentUser {
        pages: crate::types::ConsolePages {
            audit: s.role.permits(Action::ReadAudit),
            outbox: s.role.permits(Action::ReadOutbox),
            partners: s.role.permits(Action::ManagePartners),
            users: s.role.permits(Action::ManageStaff),
            upload: s.role.permits(Action::UploadDocument),
            share: s.role.permits(Action::CreateShare),
            policy: s.role.permits(Action::ManagePolicy),
        },
        name: s.name,
        email: s.email,
        role: s.role.as_str().to_owned(),
        csrf,
    }))
}
