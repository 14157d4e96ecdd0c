//! Access reviews at scale: a campaign over 100,000 active shares (goal: created in < 5 s)
//! and a reviewer's queue page (goal: p95 < 50 ms), each beside a reference measured in
//! the same run — copying the same shares' ids into a table in one statement, and the
//! active shares table's first page.

use std::time::{Duration, Instant};

use anyhow::Result;
use backend::actor::RequestMeta;
use backend::domain::review::{DefaultAction, Recurrence, ReviewScope, ReviewerRule};
use backend::services::reviews::{self, NewCampaign, QueueFilter};
use backend::services::shares::{self, ShareFilter};

use super::{admin, document, ms, percentile, seed_shares, TempDb};

/// Active shares the campaign covers (a tenth of the seeded shares are revoked).
const ACTIVE: usize = 100_000;
const ROUNDS: usize = 5;
const PAGES: usize = 20;

pub async fn run(db: &TempDb, engine: &str) -> Result<()> {
    let core = db.core(1).await?;
    let who = admin(&core).await?;
    let doc = document(&core, &who).await?;
    seed_shares(&core.db, &who, &doc, ACTIVE * 10 / 9 + 1).await?;
    let pool = core.db.pool();

    // Reference: the same shares' ids copied into a table in one statement.
    let t = Instant::now();
    sqlx::query(
        "CREATE TABLE bench_review_copy AS SELECT s.id FROM shares s \
         WHERE s.org_id = $1 AND s.revoked_at IS NULL",
    )
    .bind(&who.org_id)
    .execute(pool)
    .await?;
    let copy = t.elapsed();

    let t = Instant::now();
    let campaign = reviews::start(
        &core,
        &who,
        NewCampaign {
            name: "Bench".into(),
            scope: ReviewScope::default(),
            reviewer_rule: ReviewerRule::Creator,
            reviewer_id: None,
            default_action: DefaultAction::Keep,
            recurrence: Recurrence::Once,
            due_at: core.now() + time::Duration::days(14),
            no_response_days: 14,
        },
        &RequestMeta::default(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let created = t.elapsed();

    let mut queue = Vec::new();
    let mut table = Vec::new();
    for _ in 0..ROUNDS {
        let mut after = None;
        for _ in 0..PAGES {
            let t = Instant::now();
            let page = reviews::queue(
                &core,
                &who,
                &campaign.id,
                QueueFilter {
                    pending: Some(true),
                    everyone: false,
                    after: after.take(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            queue.push(t.elapsed());
            after = page.next_after;
        }
        let t = Instant::now();
        shares::list(&core, &who, ShareFilter::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        table.push(t.elapsed());
    }
    queue.sort();
    table.sort();
    let p95 = |v: &[Duration]| percentile(v, 0.95);
    println!(
        "## Access reviews, {engine}, {} active shares\n",
        campaign.items
    );
    println!("| measure | time | reference | ratio | goal |\n|---|---|---|---|---|");
    println!(
        "| campaign created (items written, reviewers mailed) | **{}** | copy of the ids: {} | {:.1}× | < 5 s |",
        ms(created),
        ms(copy),
        created.as_secs_f64() / copy.as_secs_f64().max(1e-9)
    );
    println!(
        "| reviewer's queue page, 50 rows, p95 over {} pages | **{}** | shares table page p95: {} | {:.1}× | < 50 ms |\n",
        queue.len(),
        ms(p95(&queue)),
        ms(p95(&table)),
        p95(&queue).as_secs_f64() / p95(&table).as_secs_f64().max(1e-9)
    );
    Ok(())
}
