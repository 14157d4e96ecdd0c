//! Live revocation: every open stream of a share (portal event streams, downloads in
//! progress) ends the moment the share is revoked, on every node.
//!
//! Each node has one [`RevocationBus`]. A revocation is published on the node that made it
//! and, with PostgreSQL, sent as `NOTIFY liaison_revocations` inside the revoking
//! transaction (so it is delivered only if the revocation commits). Every node LISTENs
//! ([`listen`]) and republishes on its own bus.
//!
//! The bus also owns the node's [`ShareCache`]: publishing drops the revoked share from it
//! before any stream hears of the revocation. The cache is enabled only on a single node,
//! where every revocation is published on this bus before its request answers.
//!
//! The same bus and channel carry "changed" announcements ([`RevocationBus::publish_changed`]):
//! something that admits a share's guests changed without revoking it (a browser rejected,
//! a guest signed out), and its open live channels re-check their sessions at once.
//!
//! What transactions note for live readers (`store::Tx::note`: appended audit events,
//! changed comments, guests to re-check) the pool's commit watcher
//! ([`RevocationBus::commit_watcher`]) publishes here once committed and, on PostgreSQL,
//! NOTIFYs to the other nodes right after, on [`ACTIVITY_CHANNEL`].
//!
//! A node can miss notifications: while its LISTEN connection is down, or when a stream's
//! subscription falls behind. Then the bus says [`Heard::Unsure`] and each stream re-reads
//! its share from the database (`services::access::until_revoked`) instead of trusting
//! that silence means "not revoked".

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::share_cache::ShareCache;

mod document;

pub use document::{DocumentEvent, DocumentRef, HeardDocument, StaffRef, Topic, Watched, Watching};

use crate::store::audit::Appended;
use crate::store::{CommitWatcher, Committed};

pub const CHANNEL: &str = "liaison_revocations";
/// What transactions committed that live pages follow (`store::Committed`), apart from
/// revocations and on its own LISTEN connection: however busy activity gets, it never
/// delays a revocation.
pub const ACTIVITY_CHANNEL: &str = "liaison_activity";

/// A revoked share, as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    pub org_id: String,
    pub share_id: String,
}

impl Revoked {
    fn payload(&self) -> String {
        format!("{}:{}", self.org_id, self.share_id)
    }

    fn parse(payload: &str) -> Option<Self> {
        let (org_id, share_id) = payload.split_once(':')?;
        Some(Self {
            org_id: org_id.to_owned(),
            share_id: share_id.to_owned(),
        })
    }
}

/// A notification's payload for a share whose guests must be re-checked (see
/// [`RevocationBus::publish_changed`]): this prefix, then the revocation payload.
const CHANGED_PREFIX: &str = "changed:";

/// What a notification on [`CHANNEL`] says.
fn parse_payload(payload: &str) -> Option<BusEvent> {
    if let Some((origin, rest)) = payload.split_once('|') {
        if let Some(c) = Committed::parse(rest) {
            return Some(BusEvent::Committed(origin.to_owned(), c));
        }
        let e = DocumentEvent::parse(rest)?;
        return Some(BusEvent::Document(origin.to_owned(), e));
    }
    if let Some(s) = StaffRef::parse(payload) {
        return Some(BusEvent::Staff(s));
    }
    match payload.strip_prefix(CHANGED_PREFIX) {
        Some(rest) => Revoked::parse(rest).map(BusEvent::Changed),
        None => Revoked::parse(payload).map(BusEvent::Revoked),
    }
}

/// What travels on a node's bus.
#[derive(Clone, Debug)]
enum BusEvent {
    Revoked(Revoked),
    /// Something that admits the share's guests changed without revoking it (a browser
    /// rejected, a guest signed out): open channels re-check their session.
    Changed(Revoked),
    /// Something live channels follow changed about a document (announced by the node
    /// named first; on the bus's own channel for documents, see [`RevocationBus`]).
    Document(String, DocumentEvent),
    /// A staff member's standing changed: their console channels re-check.
    Staff(StaffRef),
    /// A transaction of the node named first committed something live readers follow
    /// (`store::Tx::note`); only `listen` sees these.
    Committed(String, Committed),
    /// What admits the organisation's guests changed (a partner or IdP disabled): their
    /// open channels re-check their sessions.
    GuestsChanged(String),
    /// Revocations may have been missed (the LISTEN connection was down).
    Unsure,
}

#[derive(Clone, Debug)]
pub struct RevocationBus {
    tx: broadcast::Sender<BusEvent>,
    /// Changes about documents travel apart from revocations, so that however busy
    /// comments, presence and typing get, a revocation is never crowded out of a
    /// stream's subscription.
    documents: broadcast::Sender<HeardDocument>,
    /// Audit events appended on any node (apart for the same reason).
    audit: broadcast::Sender<Appended>,
    /// This node, as its own notifications name it (they are published locally already).
    node: Arc<str>,
    /// The live presence entries this node's channels hold (`services::presence`): only
    /// these are kept alive, so an entry whose removal failed still expires.
    presence: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    shares: Arc<ShareCache>,
    /// Open streams per share on this node (see [`Subscription::hold`]).
    open: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    /// At most this many per share ([`MAX_STREAMS_PER_SHARE`] but in load tests).
    streams_per_share: usize,
}

/// At most this many streams (event streams, downloads in progress) per share on one node:
/// a link holder cannot tie up a node's connections and memory by opening thousands.
pub const MAX_STREAMS_PER_SHARE: usize = 16;

/// A bus for one of several nodes: its share cache is disabled.
impl Default for RevocationBus {
    fn default() -> Self {
        Self::new(false)
    }
}

impl RevocationBus {
    /// `single_node`: no other node can revoke behind this one's back (SQLite), so the
    /// share cache is enabled; with several nodes every request reads the database.
    pub fn new(single_node: bool) -> Self {
        Self {
            tx: broadcast::channel(1024).0,
            documents: broadcast::channel(4096).0,
            audit: broadcast::channel(4096).0,
            node: crate::store::new_id().into(),
            presence: Arc::default(),
            shares: Arc::new(ShareCache::new(single_node)),
            open: Arc::default(),
            streams_per_share: MAX_STREAMS_PER_SHARE,
        }
    }

    /// This bus with `n` streams per share and node instead of [`MAX_STREAMS_PER_SHARE`]
    /// (`liaison bench` puts a thousand sockets on one share; nothing else should).
    pub fn with_streams_per_share(mut self, n: usize) -> Self {
        self.streams_per_share = n;
        self
    }

    /// Shares as portal requests see them (see [`ShareCache`]).
    pub fn shares(&self) -> &ShareCache {
        &self.shares
    }

    /// Announces a committed revocation: first drops the share from the cache, then ends
    /// its open streams.
    pub fn publish(&self, r: Revoked) {
        self.shares.forget(&r.share_id);
        // No receivers is fine: nothing is streaming.
        let _ = self.tx.send(BusEvent::Revoked(r));
    }

    /// Announces a committed change to what admits `r`'s guests (not a revocation): the
    /// share leaves the cache and its open channels re-check their sessions.
    pub fn publish_changed(&self, r: Revoked) {
        self.shares.forget(&r.share_id);
        let _ = self.tx.send(BusEvent::Changed(r));
    }

    /// This node's id (random per start).
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// What announces the database's committed notes on this bus and, with PostgreSQL, on
    /// every other node's (installed on the pool by the core).
    pub fn commit_watcher(&self) -> CommitWatcher {
        let channels = self.channels();
        CommitWatcher {
            channel: ACTIVITY_CHANNEL,
            origin: self.node.clone(),
            hear: Box::new(move |notes| channels.publish_committed(notes)),
        }
    }

    /// Records that one of this node's channels holds the presence entry `id`
    /// (`held: true`) or no longer does.
    pub fn hold_presence(&self, id: &str, held: bool) {
        let mut set = self.presence.lock().unwrap_or_else(|p| p.into_inner());
        if held {
            set.insert(id.to_owned());
        } else {
            set.remove(id);
        }
    }

    /// The presence entries this node's channels hold.
    pub fn held_presence(&self) -> Vec<String> {
        let set = self.presence.lock().unwrap_or_else(|p| p.into_inner());
        set.iter().cloned().collect()
    }

    /// Announces a (committed) change about a document to this node's live channels.
    pub fn publish_document(&self, e: DocumentEvent) {
        let _ = self.documents.send(HeardDocument::now(e));
    }

    /// Announces that a staff member's standing changed to this node's console channels.
    pub fn publish_staff(&self, s: StaffRef) {
        let _ = self.tx.send(BusEvent::Staff(s));
    }

    /// Announces `e`, which changes nothing in the database (presence, typing), here and
    /// to the other nodes.
    pub async fn announce_document(
        &self,
        db: &crate::store::Db,
        e: DocumentEvent,
    ) -> crate::store::Result<()> {
        notify_now(db, format!("{}|{}", self.node, e.payload())).await?;
        self.publish_document(e);
        Ok(())
    }

    /// Announces that `s`'s standing changed, here and to the other nodes (after the
    /// change committed).
    pub async fn announce_staff(
        &self,
        db: &crate::store::Db,
        s: StaffRef,
    ) -> crate::store::Result<()> {
        notify_now(db, s.payload()).await?;
        self.publish_staff(s);
        Ok(())
    }

    /// Announces what another node committed.
    fn publish_committed(&self, notes: &[Committed]) {
        self.channels().publish_committed(notes);
    }

    fn channels(&self) -> Channels {
        Channels {
            tx: self.tx.clone(),
            documents: self.documents.clone(),
            audit: self.audit.clone(),
        }
    }

    /// Tells every stream that revocations may have been missed, so each re-checks its
    /// session in the database; the share cache, which may hold what they revoked, is
    /// emptied first.
    pub fn publish_unsure(&self) {
        self.shares.forget_all();
        let _ = self.tx.send(BusEvent::Unsure);
    }

    /// A subscription that hears every revocation published from now on. Take it *before*
    /// checking a share for a stream, so a revocation between the check and the stream's
    /// start is not missed.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
            documents: self.documents.subscribe(),
            audit: self.audit.subscribe(),
            open: self.open.clone(),
            cap: self.streams_per_share,
            holding: None,
        }
    }
}

/// Revocations published since [`RevocationBus::subscribe`]; once [`held`](Self::hold)
/// for a share, also one of that share's stream slots on this node, given back on drop.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<BusEvent>,
    documents: broadcast::Receiver<HeardDocument>,
    audit: broadcast::Receiver<Appended>,
    open: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    /// The bus's streams per share.
    cap: usize,
    holding: Option<String>,
}

impl Subscription {
    /// Hears appended audit events from now on only (a socket that starts watching a feed
    /// reads what came before from the database, not from a backlog of every
    /// organisation's events since it connected).
    pub fn activity_from_now(&mut self) {
        self.audit = self.audit.resubscribe();
    }

    /// Takes one of `share_id`'s stream slots for as long as this subscription lives.
    /// False when the share already has [`MAX_STREAMS_PER_SHARE`] open on this node.
    pub fn hold(&mut self, share_id: &str) -> bool {
        let cap = self.cap;
        if self.holding.is_some() {
            return true;
        }
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(share_id.to_owned()).or_insert(0);
        if *n >= cap {
            return false;
        }
        *n += 1;
        self.holding = Some(share_id.to_owned());
        true
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(share_id) = self.holding.take() {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = open.get_mut(&share_id) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&share_id);
                }
            }
        }
    }
}

/// What a stream of one share hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// The share was revoked.
    Revoked,
    /// Revocations may have been missed (lost LISTEN connection, or this subscription
    /// fell behind): the share must be checked in the database.
    Unsure,
    /// What admits the share's guests changed: sessions must be checked again.
    Changed,
    /// Something changed about a document the stream follows.
    Document(HeardDocument),
    /// Audit events were appended that the stream watches.
    Activity(Appended),
}

impl Subscription {
    /// Waits for the next thing a stream of `share_id` must act on. Never resolves once the
    /// bus is gone (the process is ending).
    pub async fn next_for(&mut self, share_id: &str) -> Heard {
        self.next_live(Interest {
            share_id: Some(share_id),
            ..Default::default()
        })
        .await
    }

    /// Like [`next_for`](Self::next_for) for a live channel: what ends or re-checks its
    /// viewer (a guest's share, a staff member), and changes about the documents it
    /// follows. Revocations come first when both are waiting.
    pub async fn next_live(&mut self, interest: Interest<'_>) -> Heard {
        loop {
            tokio::select! {
                biased;
                event = self.rx.recv() => match event {
                    Ok(BusEvent::Revoked(r)) if interest.share(&r) => return Heard::Revoked,
                    Ok(BusEvent::Changed(r)) if interest.share(&r) => return Heard::Changed,
                    Ok(BusEvent::Staff(s)) if interest.staff(&s) => return Heard::Changed,
                    Ok(BusEvent::GuestsChanged(org)) if interest.guests_of == Some(org.as_str()) => {
                        return Heard::Changed
                    }
                    Ok(
                        BusEvent::Revoked(_)
                        | BusEvent::Changed(_)
                        | BusEvent::Staff(_)
                        | BusEvent::GuestsChanged(_),
                    ) => {}
                    // Only `listen` sees these: it republishes them on their own channels.
                    Ok(BusEvent::Document(..) | BusEvent::Committed(..)) => {}
                    Ok(BusEvent::Unsure) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Heard::Unsure
                    }
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                },
                event = self.documents.recv(), if !interest.documents.is_empty() => match event {
                    Ok(e) if interest.hears_document(&e.event) => return Heard::Document(e),
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return Heard::Unsure,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                },
                event = self.audit.recv(), if !interest.activity.is_empty() => match event {
                    Ok(a) if interest.activity.iter().any(|w| w.hears(&a)) => {
                        return Heard::Activity(a)
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return Heard::Unsure,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                },
            }
        }
    }
}

/// What a live channel listens for (see [`Subscription::next_live`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Interest<'a> {
    /// A guest's share: its revocation ends the channel, its changes re-check it.
    pub share_id: Option<&'a str>,
    /// A guest's organisation: changes to what admits its guests re-check the channel.
    pub guests_of: Option<&'a str>,
    /// A staff member (organisation, user): changes to their standing re-check it.
    pub staff: Option<(&'a str, &'a str)>,
    pub documents: &'a [DocumentRef],
    /// Guests coming and going on those documents change nothing for this channel (a
    /// guest's: guests are shown staff only), so it does not hear of them. When a thousand
    /// guests open a document, each of their channels is not woken a thousand times.
    pub skip_guest_presence: bool,
    /// Whose audit events it shows as they are appended (staff).
    pub activity: &'a [Watched],
}

impl Interest<'_> {
    fn share(&self, r: &Revoked) -> bool {
        Some(r.share_id.as_str()) == self.share_id
    }

    fn staff(&self, s: &StaffRef) -> bool {
        self.staff == Some((s.org_id.as_str(), s.user_id.as_str()))
    }

    fn hears_document(&self, e: &DocumentEvent) -> bool {
        let skipped = self.skip_guest_presence && e.topic == (Topic::Presence { staff: false });
        !skipped && self.documents.contains(&e.document)
    }
}

/// Sends the cross-node notification of a change to what admits `r`'s guests inside the
/// changing transaction ([`RevocationBus::publish_changed`] on every node; PostgreSQL
/// only).
pub async fn notify_changed_in(
    tx: &mut crate::store::Tx,
    engine: crate::store::Engine,
    r: &Revoked,
) -> crate::store::Result<()> {
    notify(tx, engine, format!("{CHANGED_PREFIX}{}", r.payload())).await
}

/// Sends the cross-node notification inside the revoking transaction (PostgreSQL only;
/// SQLite is a single node and needs none).
pub async fn notify_in(
    tx: &mut crate::store::Tx,
    engine: crate::store::Engine,
    r: &Revoked,
) -> crate::store::Result<()> {
    notify(tx, engine, r.payload()).await
}

/// `pg_notify` on [`CHANNEL`] inside `tx`: delivered only if it commits.
async fn notify(
    tx: &mut crate::store::Tx,
    engine: crate::store::Engine,
    payload: String,
) -> crate::store::Result<()> {
    if engine == crate::store::Engine::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// `pg_notify` on [`CHANNEL`] now, outside any transaction (PostgreSQL only).
async fn notify_now(db: &crate::store::Db, payload: String) -> crate::store::Result<()> {
    if db.engine() == crate::store::Engine::Postgres {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// The bus's channels, as committed notes are published on them.
struct Channels {
    tx: broadcast::Sender<BusEvent>,
    documents: broadcast::Sender<HeardDocument>,
    audit: broadcast::Sender<Appended>,
}

impl Channels {
    /// Publishes each note on its channel (no receivers is fine).
    fn publish_committed(&self, notes: &[Committed]) {
        for note in notes {
            match note {
                Committed::Audit(a) => {
                    let _ = self.audit.send(a.clone());
                }
                Committed::GuestsChanged { org_id } => {
                    let _ = self.tx.send(BusEvent::GuestsChanged(org_id.clone()));
                }
                Committed::Comments {
                    org_id,
                    document_id,
                } => {
                    let event = DocumentEvent::new(org_id, document_id, Topic::Comments);
                    let _ = self.documents.send(HeardDocument::now(event));
                }
            }
        }
    }
}

/// LISTENs on `channel` ([`CHANNEL`] or [`ACTIVITY_CHANNEL`], one connection each) for what
/// other nodes announce and republishes it on `bus`, reconnecting after errors. Runs until
/// the process ends.
///
/// `try_recv`, unlike `recv`, reports a lost connection instead of reconnecting silently:
/// the loss is logged, and once listening again the bus is told it may have missed
/// announcements ([`RevocationBus::publish_unsure`]).
pub async fn listen(postgres_url: String, bus: RevocationBus, channel: &'static str) {
    // After the first connection, every (re)connection may follow missed notifications.
    let mut connected_before = false;
    loop {
        match sqlx::postgres::PgListener::connect(&postgres_url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(channel).await {
                    tracing::warn!(error.detail = %e, channel, "cannot LISTEN for other nodes");
                } else {
                    tracing::info!(channel, "listening to other nodes");
                    if connected_before {
                        bus.publish_unsure();
                    }
                    connected_before = true;
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(n)) => match parse_payload(n.payload()) {
                                Some(BusEvent::Revoked(r)) => bus.publish(r),
                                Some(BusEvent::Changed(r)) => bus.publish_changed(r),
                                // This node's own were published here already.
                                Some(BusEvent::Document(origin, e)) => {
                                    if *origin != *bus.node {
                                        bus.publish_document(e)
                                    }
                                }
                                Some(BusEvent::Staff(s)) => bus.publish_staff(s),
                                Some(BusEvent::Committed(origin, c)) => {
                                    if *origin != *bus.node {
                                        bus.publish_committed(&[c])
                                    }
                                }
                                _ => tracing::warn!("malformed revocation notification"),
                            },
                            Ok(None) => {
                                tracing::warn!("revocation listener lost its connection");
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error.detail = %e, "revocation listener failed");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error.detail = %e, "cannot connect the revocation listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests;
