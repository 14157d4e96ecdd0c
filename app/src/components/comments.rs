//! A document's comments panel, for guests (portal) and staff (console): threads with
//! their replies, a new thread (optionally on a page; staff choose who reads it), replies,
//! and editing or deleting one's own comment while the server allows it.
//!
//! The panel shows a [`LiveDocument`] that its page keeps: the comments filled from the
//! first load, then from each write's answer and from the live channel, with who else is
//! viewing and who is typing. Each thread and comment is keyed by id, so a change
//! elsewhere never resets a reply or edit being typed.

use leptos::prelude::*;

use super::{FieldError, LocalTime};
use crate::error::AppError;
use crate::live::LiveDocument;
use crate::types::{
    AuthorKind, CommentBook, CommentView, CommentsAccess, CommentsView, CurrentUser, Deletion,
    Typing,
};

/// Whom the panel writes as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voice {
    Guest,
    Staff,
}

/// What a write asks for.
#[derive(Clone, Debug)]
enum Write {
    Thread {
        page: String,
        audience: String,
        shares: Vec<String>,
        body: String,
    },
    Reply {
        to: String,
        body: String,
    },
    Edit {
        id: String,
        body: String,
    },
    Delete {
        id: String,
    },
}

/// Sends `write` as `voice`; the answer is the comment as it now stands (none for a
/// deletion: the live channel or the next load brings it).
async fn send(
    voice: Voice,
    document: String,
    csrf: String,
    write: Write,
) -> Result<Option<CommentView>, AppError> {
    use crate::server_fns::comments::*;
    match (voice, write) {
        (Voice::Guest, Write::Thread { page, body, .. }) => {
            post_guest_comment(document, None, page, body)
                .await
                .map(Some)
        }
        (Voice::Guest, Write::Reply { to, body }) => {
            post_guest_comment(document, Some(to), String::new(), body)
                .await
                .map(Some)
        }
        (Voice::Guest, Write::Edit { id, body }) => edit_guest_comment(id, body).await.map(Some),
        (Voice::Guest, Write::Delete { id }) => delete_guest_comment(id).await.map(|_| None),
        (
            Voice::Staff,
            Write::Thread {
                page,
                audience,
                shares,
                body,
            },
        ) => post_staff_comment(csrf, document, None, page, audience, Some(shares), body)
            .await
            .map(Some),
        (Voice::Staff, Write::Reply { to, body }) => post_staff_comment(
            csrf,
            document,
            Some(to),
            String::new(),
            String::new(),
            None,
            body,
        )
        .await
        .map(Some),
        (Voice::Staff, Write::Edit { id, body }) => {
            edit_staff_comment(csrf, id, body).await.map(Some)
        }
        (Voice::Staff, Write::Delete { id }) => delete_staff_comment(csrf, id).await.map(|_| None),
    }
}

/// Everything a part of the panel needs to write.
#[derive(Clone)]
struct Ctx {
    voice: Voice,
    document: String,
    /// The share whose threads the panel shows (a share's page), or every thread.
    share: Option<String>,
    csrf: String,
    book: RwSignal<CommentBook>,
    live: LiveDocument,
}

impl Ctx {
    /// An action that sends a write and applies its answer to the book.
    fn action(&self) -> Action<Write, Result<Option<CommentView>, AppError>> {
        self.action_then(None)
    }

    /// [`action`](Self::action), running `accepted` once the write is accepted and before
    /// its answer reaches the book: an edit box closes first, so the book's change cannot
    /// re-create it (and lose the close) on the way.
    fn action_then(
        &self,
        accepted: Option<Callback<()>>,
    ) -> Action<Write, Result<Option<CommentView>, AppError>> {
        let ctx = self.clone();
        Action::new(move |w: &Write| {
            let (voice, document, csrf, book, w) = (
                ctx.voice,
                ctx.document.clone(),
                ctx.csrf.clone(),
                ctx.book,
                w.clone(),
            );
            async move {
                let answer = send(voice, document, csrf, w).await;
                if answer.is_ok() {
                    // The box may be gone already (the page moved on): nothing to close.
                    if let Some(accepted) = accepted {
                        let _ = accepted.try_run(());
                    }
                }
                if let Ok(Some(c)) = &answer {
                    book.update(|b| {
                        b.apply_own(c.clone());
                    });
                }
                answer
            }
        })
    }
}

/// The last refusal of `action`.
fn refusal(
    action: Action<Write, Result<Option<CommentView>, AppError>>,
) -> Signal<Option<AppError>> {
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// A comments panel kept live: its book starts from `first` and then follows the page's
/// live channel (staff pages open the console's channel for it).
#[component]
pub fn LiveComments(
    document: String,
    voice: Voice,
    access: CommentsAccess,
    first: CommentsView,
    /// Show only the threads this share's guest reads (a share's page).
    #[prop(optional_no_strip)]
    share: Option<String>,
) -> AnyView {
    let mut start = CommentBook::default();
    start.apply(first.items);
    start.last_rev = start.last_rev.max(first.last_rev);
    let live = LiveDocument::new(start);
    let followed = document.clone();
    Effect::new(move |_| {
        if voice == Voice::Staff {
            crate::live::hold_console();
        }
        crate::live::follow(followed.clone(), live);
    });
    let left = document.clone();
    on_cleanup(move || crate::live::unfollow(&left));
    view! { <CommentsPanel document voice access live share/> }.into_any()
}

#[component]
pub fn CommentsPanel(
    document: String,
    voice: Voice,
    access: CommentsAccess,
    live: LiveDocument,
    /// Show only the threads this share's guest reads.
    #[prop(optional_no_strip)]
    share: Option<String>,
) -> AnyView {
    let csrf = use_context::<CurrentUser>()
        .map(|u| u.csrf)
        .unwrap_or_default();
    let heading = format!("comments-{document}");
    let book = live.book;
    let ctx = Ctx {
        voice,
        document,
        share: share.clone(),
        csrf,
        book,
        live,
    };
    let shown = share.clone();
    let threads = Memo::new(move |_| book.with(|b| b.thread_ids_for(shown.as_deref())));
    let count = move || book.with(|b| b.live_count_for(share.as_deref()));
    let may_write = access.may_write;
    let thread_ctx = ctx.clone();
    view! {
        <section class="comments" data-testid="comments" aria-labelledby=heading.clone()>
            <h2 id=heading.clone()>"Comments " <span class="count" data-testid="comment-count">{count}</span></h2>
            <PresenceBar live/>
            {move || threads.with(Vec::is_empty).then(|| view! { <p class="muted">"No comments yet."</p> })}
            <ol class="threads">
                <For each=move || threads.get() key=|id| id.clone()
                    children=move |root| view! { <ThreadView ctx=thread_ctx.clone() root may_write/> }/>
            </ol>
            <TypingNote live thread=None/>
            {may_write.then(|| view! { <NewThread ctx access/> })}
        </section>
    }
    .into_any()
}

/// Who else is viewing the document now.
#[component]
fn PresenceBar(live: LiveDocument) -> impl IntoView {
    move || {
        let viewers = live.viewers.get();
        (!viewers.is_empty()).then(|| {
            let names = viewers
                .iter()
                .map(|v| v.label())
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <p class="presence" data-testid="presence" aria-live="polite">
                    <span class="presence-dot" aria-hidden="true"></span>
                    {format!("Viewing now: {names}")}
                </p>
            }
        })
    }
}

/// "… is typing" for `thread` (`None`: someone starting a thread).
#[component]
fn TypingNote(live: LiveDocument, thread: Option<String>) -> impl IntoView {
    move || {
        let names: Vec<String> = live.typing.with(|t| {
            t.iter()
                .filter(|x: &&Typing| x.thread == thread)
                .map(|x| x.who.name.clone())
                .collect()
        });
        (!names.is_empty()).then(|| {
            let text = match (names.len(), thread.is_some()) {
                (1, true) => format!("{} is replying…", names[0]),
                (_, true) => format!("{} are replying…", names.join(", ")),
                (1, false) => format!("{} is writing a comment…", names[0]),
                (_, false) => format!("{} are writing comments…", names.join(", ")),
            };
            view! { <p class="typing muted small" data-testid="typing" aria-live="polite">{text}</p> }
        })
    }
}

#[component]
fn ThreadView(ctx: Ctx, root: String, may_write: bool) -> AnyView {
    let book = ctx.book;
    let replies = {
        let root = root.clone();
        Memo::new(move |_| book.with(|b| b.reply_ids(&root)))
    };
    let replying = RwSignal::new(false);
    let reply_ctx = ctx.clone();
    let to = root.clone();
    let live = ctx.live;
    view! {
        <li class="thread" data-testid="thread">
            <CommentItem ctx=ctx.clone() id=root.clone()/>
            <ol class="replies">
                <For each=move || replies.get() key=|id| id.clone()
                    children={ let ctx = ctx.clone(); move |id| view! { <li><CommentItem ctx=ctx.clone() id/></li> }.into_any() }/>
            </ol>
            <TypingNote live thread=Some(root.clone())/>
            {may_write.then(move || {
                let ctx = reply_ctx.clone();
                let to = to.clone();
                view! {
                    <Show when=move || replying.get()
                        fallback=move || view! {
                            <button type="button" class="btn-link" data-testid="reply" on:click=move |_| replying.set(true)>"Reply"</button>
                        }>
                        <Composer ctx=ctx.clone() label="Your reply" submit="Post reply" initial=String::new() thread=Some(to.clone())
                            make=Callback::new({ let to = to.clone(); move |body| Write::Reply { to: to.clone(), body } })
                            done=Callback::new(move |_| replying.set(false))/>
                    </Show>
                }
            })}
        </li>
    }
    .into_any()
}

/// One comment: author, time, page, text, and what its reader may do to it.
#[component]
fn CommentItem(ctx: Ctx, id: String) -> AnyView {
    let book = ctx.book;
    let comment = {
        let id = id.clone();
        Memo::new(move |_| book.with(|b| b.get(&id).cloned()))
    };
    let editing = RwSignal::new(false);
    let delete = ctx.action();
    let delete_error = refusal(delete);
    let done = Callback::new(move |_| editing.set(false));
    // The edit box depends on `editing` alone: a change arriving meanwhile (the live
    // channel may bring the edit before its own answer does) never re-creates it.
    let edit_ctx = ctx.clone();
    let edit_box = move || {
        editing.get().then(|| {
            let (cid, initial) = comment.with_untracked(|c| {
                c.as_ref()
                    .map(|c| (c.id.clone(), c.body.clone()))
                    .unwrap_or_default()
            });
            view! {
                <Composer ctx=edit_ctx.clone() label="Edit your comment" submit="Save" initial thread=None
                    make=Callback::new(move |body| Write::Edit { id: cid.clone(), body })
                    done/>
            }
        })
    };
    let shown = move || {
        let c = comment.get()?;
        let deleted = c.deleted;
        let author_class = match c.author.kind {
            AuthorKind::Staff => "comment-author staff",
            AuthorKind::Guest => "comment-author",
        };
        let who =
            if c.author.organisation.is_empty() || c.author.name.contains(&c.author.organisation) {
                c.author.name.clone()
            } else {
                format!("{} · {}", c.author.name, c.author.organisation)
            };
        let readers = (!c.audience.is_empty()).then(|| {
            let names: Vec<String> = c.audience.iter().map(|r| r.recipient.clone()).collect();
            format!("Read by {}", names.join(", "))
        });
        let staff_only = c.is_root() && c.audience.is_empty() && ctx.voice == Voice::Staff;
        // Guests learn that others read an item-wide thread, not who.
        let shared = c.is_root() && c.shared && ctx.voice == Voice::Guest;
        let body = match deleted {
            Some(Deletion::Author) => {
                view! { <p class="comment-body muted">"Comment deleted by its author."</p> }
                    .into_any()
            }
            Some(Deletion::Moderator) => {
                view! { <p class="comment-body muted">"Comment removed by a moderator."</p> }
                    .into_any()
            }
            // Shown in the edit box instead.
            None if editing.get() => ().into_any(),
            None => {
                view! { <p class="comment-body" data-testid="comment-body">{c.body.clone()}</p> }
                    .into_any()
            }
        };
        let cid = c.id.clone();
        Some(view! {
                <header class="comment-head">
                    <strong class=author_class>{who}</strong>
                    <span class="muted small"><LocalTime at=c.created_at.clone()/>{c.edited.then_some(" · edited")}</span>
                    {c.page.map(|p| view! { <span class="badge">{format!("Page {p}")}</span> })}
                    {staff_only.then(|| view! { <span class="badge badge-muted">"Staff only"</span> })}
                    {shared.then(|| view! { <span class="badge badge-warn" data-testid="shared-thread">"Also read by other recipients"</span> })}
                    {readers.map(|r| view! { <span class="muted small">{r}</span> })}
                </header>
                {body}
                {(deleted.is_none() && !editing.get()).then(|| view! {
                    <div class="comment-actions">
                        {c.editable_until.is_some().then(|| view! {
                            <button type="button" class="btn-link" data-testid="edit-comment" on:click=move |_| editing.set(true)>"Edit"</button>
                        })}
                        {c.may_delete.then(|| view! {
                            <button type="button" class="btn-link danger" data-testid="delete-comment"
                                on:click=move |_| { delete.dispatch(Write::Delete { id: cid.clone() }); }>"Delete"</button>
                        })}
                    </div>
                })}
        }.into_any())
    };
    view! {
        <article class="comment" data-testid="comment">
            {shown}
            {edit_box}
            {move || delete_error.get().map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
        </article>
    }
    .into_any()
}

/// A fresh id for a composer's fields (composers appear only in the browser, after a click,
/// so server and browser never have to agree on it).
fn next_composer_id() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("composer-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A text box that sends one write: `make` turns the text into it, `done` runs after it
/// was accepted.
#[component]
fn Composer(
    ctx: Ctx,
    label: &'static str,
    submit: &'static str,
    initial: String,
    /// The thread a reply is typed in (tells the others); `None` for an edit.
    thread: Option<String>,
    make: Callback<String, Write>,
    done: Callback<()>,
) -> AnyView {
    let text = RwSignal::new(initial);
    let document = ctx.document.clone();
    let action = ctx.action_then(Some(Callback::new(move |_| {
        text.set(String::new());
        let _ = done.try_run(());
    })));
    let error = refusal(action);
    let field_id = next_composer_id();
    let err_id = format!("{field_id}-error");
    view! {
        <form class="comment-form form-grid" on:submit=move |ev| {
            ev.prevent_default();
            action.dispatch(make.run(text.get_untracked()));
        }>
            <label>{label}
                <textarea rows="3" maxlength="5000" required prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        if let Some(t) = &thread {
                            crate::live::typing(&document, Some(t));
                        }
                    }
                    aria-describedby=err_id.clone() data-testid="comment-text"></textarea>
            </label>
            <FieldError error fields=&["body"] id=err_id/>
            {move || error.get().filter(|e| e.field.as_deref() != Some("body")).map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get() data-testid="post-comment">{submit}</button>
            </div>
        </form>
    }
    .into_any()
}

/// A new thread: its text, an optional page, and for staff who reads it.
#[component]
fn NewThread(ctx: Ctx, access: CommentsAccess) -> AnyView {
    let text = RwSignal::new(String::new());
    let page = RwSignal::new(String::new());
    // Staff only unless chosen otherwise: an internal note never reaches a guest by
    // default. On a share's page, that share's guest, when the form offers that share
    // (an expired or revoked one it does not: the choice shown is what is sent).
    let start = ctx
        .share
        .clone()
        .filter(|s| access.shares.iter().any(|(id, _)| id == s))
        .unwrap_or_else(|| "staff".to_owned());
    let audience = RwSignal::new(start);
    let named = RwSignal::new(Vec::<String>::new());
    let action = ctx.action();
    let error = refusal(action);
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            text.set(String::new());
            page.set(String::new());
        }
    });
    let staff = ctx.voice == Voice::Staff;
    let document = ctx.document.clone();
    let shares = access.shares.clone();
    let may_moderate = access.may_moderate;
    view! {
        <form class="comment-form form-grid" data-testid="new-thread" on:submit=move |ev| {
            ev.prevent_default();
            action.dispatch(Write::Thread {
                page: page.get_untracked(),
                audience: audience.get_untracked(),
                shares: named.get_untracked(),
                body: text.get_untracked(),
            });
        }>
            <h3>"Start a thread"</h3>
            <label>"Comment"
                <textarea rows="3" maxlength="5000" required prop:value=move || text.get()
                    on:input=move |ev| {
                        text.set(event_target_value(&ev));
                        crate::live::typing(&document, None);
                    }
                    aria-describedby="new-thread-body-error" data-testid="new-comment"></textarea>
            </label>
            <FieldError error fields=&["body"] id="new-thread-body-error"/>
            <label>"Page (optional)"
                <input type="number" min="1" inputmode="numeric" prop:value=move || page.get()
                    on:input=move |ev| page.set(event_target_value(&ev))
                    aria-describedby="new-thread-page-error" data-testid="comment-page"/>
            </label>
            <FieldError error fields=&["page"] id="new-thread-page-error"/>
            {staff.then(|| view! {
                <label>"Who reads it"
                    <select data-testid="comment-audience" on:change=move |ev| audience.set(event_target_value(&ev))
                        aria-describedby="new-thread-audience-error">
                        <option value="staff" selected=move || audience.get() == "staff">"Staff only"</option>
                        {shares.iter().map(|(id, name)| {
                            let chosen = id.clone();
                            view! { <option value=id.clone() selected=move || audience.get() == chosen>{format!("{name} (their share)")}</option> }
                        }).collect_view()}
                        {(may_moderate && shares.len() > 1).then(|| view! { <option value="shares">"Several shares (choose below)"</option> })}
                    </select>
                </label>
                <FieldError error fields=&["audience"] id="new-thread-audience-error"/>
                {(may_moderate && shares.len() > 1).then(|| view! {
                    <Show when=move || audience.get() == "shares">
                        <fieldset class="checks">
                            <legend>"Shares that read the thread"</legend>
                            {shares.iter().map(|(id, name)| {
                                let id = id.clone();
                                let toggle = id.clone();
                                view! {
                                    <label class="check"><input type="checkbox" value=id
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            named.update(|n| { n.retain(|x| *x != toggle); if on { n.push(toggle.clone()); } });
                                        }/>" "{name.clone()}</label>
                                }
                            }).collect_view()}
                        </fieldset>
                    </Show>
                })}
            })}
            {move || error.get().filter(|e| !matches!(e.field.as_deref(), Some("body" | "page" | "audience"))).map(|e| view! { <p class="error" role="alert">{crate::error_text(&e)}</p> })}
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get() data-testid="post-thread">"Post comment"</button>
            </div>
        </form>
    }
    .into_any()
}
