//! Whether a share may carry criminal intelligence: the flags on what it carries, and the
//! check every request of an existing share passes ([`still_cleared`]). Depends on the
//! store and the records' guest projection only, so `share_core` may call it.

use crate::domain::controls::Method;
use crate::domain::intelligence::IntelItemKind;
use crate::services::Result;
use crate::store::{self, intelligence::FlagRow};
use crate::Liaison;

/// What a share carries that a flag may be on.
pub(crate) struct Carried<'a> {
    /// Document revision ids (each stands for its family).
    pub documents: &'a [String],
    pub records: &'a [String],
}

/// The flags on what a share carries (documents by family).
pub(crate) async fn flags_on(
    core: &Liaison,
    org_id: &str,
    carried: &Carried<'_>,
) -> Result<Vec<FlagRow>> {
    let pool = core.db.pool();
    let mut families: Vec<String> = Vec::with_capacity(carried.documents.len());
    for id in carried.documents {
        if let Some(d) = store::documents::get(pool, org_id, id).await? {
            if !families.contains(&d.family_id) {
                families.push(d.family_id);
            }
        }
    }
    let families: Vec<&str> = families.iter().map(String::as_str).collect();
    let records: Vec<&str> = carried.records.iter().map(String::as_str).collect();
    let mut flags =
        store::intelligence::flags_of(pool, org_id, IntelItemKind::Document, &families).await?;
    flags.extend(
        store::intelligence::flags_of(pool, org_id, IntelItemKind::Record, &records).await?,
    );
    Ok(flags)
}

/// Whether an existing share may still carry what it carries now, checked on every
/// request (fails closed): each flagged item it carries — flagged since, or carried since a
/// record changed — needs this share's dissemination record to a partner that is still an
/// enabled law-enforcement agency, and no carried item may be purged. A share created
/// while a flag was being set, or refused one since, so ends at its next request.
///
/// An organisation that has never flagged anything answers after one indexed read.
pub(crate) async fn still_cleared(core: &Liaison, share: &crate::domain::Share) -> Result<bool> {
    if !store::intelligence::any_live(core.db.pool(), &share.org_id).await? {
        return Ok(true);
    }
    let (documents, records) = match &share.record_id {
        Some(record) => {
            let c = crate::services::records::carried(core, &share.org_id, record).await?;
            (c.documents, c.records)
        }
        None => {
            let ids = core
                .revocations
                .shares()
                .covered(&core.db, &share.org_id, &share.id)
                .await?;
            (ids.iter().cloned().collect(), Vec::new())
        }
    };
    let carried = Carried {
        documents: &documents,
        records: &records,
    };
    let flags = flags_on(core, &share.org_id, &carried).await?;
    if flags.is_empty() {
        return Ok(true);
    }
    let anyone = share.method == Method::Link
        || share
            .settings
            .federation
            .as_ref()
            .is_some_and(|f| f.any_partner_user);
    if anyone || flags.iter().any(|f| f.purged_at.is_some()) {
        return Ok(false);
    }
    for f in &flags {
        if !store::intelligence::cleared(
            core.db.pool(),
            &share.org_id,
            &share.id,
            &f.item_kind,
            &f.item_id,
        )
        .await?
        {
            return Ok(false);
        }
    }
    Ok(true)
}
