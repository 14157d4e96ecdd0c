use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::GuestFrame;
use crate::server_fns::portal::{share_landing, OpenShare, RequestRenewal};
use crate::types::LandingView;

/// `/s/{token}`: the denial page, or the acknowledgement screen / continue button, in the
/// brand of the share's portal. Nothing here counts an access; the form's POST does, after
/// verifying the token.
#[component]
pub fn LandingPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let landing = Resource::new(token, share_landing);
    let open = ServerAction::<OpenShare>::new();
    let open_error = move || {
        open.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::error_text(&e))
    };
    view! {
            <Suspense fallback=|| view! { <main class="guest-card"><p class="loading">"Loading…"</p></main> }>
                {move || Suspend::new(async move {
                    match landing.await {
                        Err(e) => view! { <main class="guest-card"><p class="error">{crate::error_text(&e)}</p></main> }.into_any(),
                        Ok(LandingView::Denied { brand, code, message, may_ask_more_time }) => view! {
                            <GuestFrame brand title="Shared with you"><main class="guest-card">
                            <h1 data-testid="denied" data-code=code>{message}</h1>
                            {if may_ask_more_time {
                                view! { <AskMoreTime token=token()/> }.into_any()
                            } else {
                                view! { <p class="muted">"If you still need access, ask the person who shared it with you."</p> }.into_any()
                            }}
                            </main></GuestFrame>
                        }.into_any(),
                        Ok(LandingView::Open { brand, federation: Some(f), org_name, tlp, .. }) if f.signed_in_as.is_none() => view! {
                            <GuestFrame brand title="Shared with you"><main class="guest-card">
                            <p class="tlp" data-testid="tlp">{tlp}</p>
                            <p class="muted">{format!("Shared with you by {org_name}")}</p>
                            <h1>"Sign in with your organisation"</h1>
                            <p>{format!("This link is for staff of {}. Sign in with your organisation's account to continue.", f.partner_name)}</p>
                            {if f.idps.is_empty() {
                                view! { <p class="error" data-testid="no-idp">"Your organisation's sign-in is not available at the moment. Contact the person who shared this with you."</p> }.into_any()
                            } else {
                                f.idps.into_iter().map(|(id, name)| view! {
                                    <form method="post" action="/auth/federation/share" class="federation-start">
                                        <input type="hidden" name="token" value=token()/>
                                        <input type="hidden" name="idp" value=id/>
                                        <button type="submit" class="btn btn-primary" data-testid="federated-sign-in">{format!("Sign in with {name}")}</button>
                                    </form>
                                }).collect_view().into_any()
                            }}
                            </main></GuestFrame>
                        }.into_any(),
                        Ok(LandingView::Open { brand, org_name, tlp, needs_password, needs_code, require_acknowledgement, terms, federation }) => {
                            let disclaimer = brand.disclaimer_html.clone();
                            view! {
                            <GuestFrame brand title="Shared with you"><main class="guest-card">
                            <p class="tlp" data-testid="tlp">{tlp}</p>
                            <p class="muted">{format!("Shared with you by {org_name}")}</p>
                            {if require_acknowledgement {
                                view! {
                                    <h1>"Before you continue"</h1>
                                    <div class="disclaimer" data-testid="disclaimer" inner_html=disclaimer></div>
                                }.into_any()
                            } else {
                                view! { <h1>"A document has been shared with you"</h1> }.into_any()
                            }}
                            {federation.and_then(|f| f.signed_in_as).map(|email| view! {
                                <p class="signed-in-as" data-testid="signed-in-as">{format!("Signed in as {email}")}</p>
                            })}
                            <ActionForm action=open>
                                <input type="hidden" name="token" value=token()/>
                                {needs_password.then(|| view! {
                                    <label>"Password"
                                        <input type="password" name="password" autocomplete="off" required data-testid="password"/>
                                    </label>
                                })}
                                {needs_code.then(|| view! {
                                    <p class="muted">"For your security we email a verification code to the invited address when you continue. Enter it here once it arrives."</p>
                                    <label>"Verification code"
                                        <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" data-testid="code"/>
                                    </label>
                                })}
                                {terms.map(|(version, body)| view! {
                                    <details class="terms" open>
                                        <summary>{format!("Terms of access (version {version})")}</summary>
                                        <pre class="terms-text" data-testid="terms">{body}</pre>
                                    </details>
                                    <label class="check"><input type="checkbox" name="accept_terms" required data-testid="accept-terms"/>
                                    " I accept these terms"</label>
                                })}
                                {require_acknowledgement.then(|| view! {
                                    <label class="check"><input type="checkbox" name="acknowledged" required data-testid="ack"/>
                                    " I have read and accept these conditions"</label>
                                })}
                                <button type="submit" class="btn btn-primary" data-testid="continue">
                                    {if require_acknowledgement { "Accept and continue" } else { "View the shared content" }}
                                </button>
                            </ActionForm>
                            {move || open_error().map(|e| view! { <p class="error" role="alert" data-testid="open-error">{e}</p> })}
                            </main></GuestFrame>
                        }.into_any()
                        }
                    }
                })}
            </Suspense>
    }
}

/// "Ask for more time" on the page of a share that expired or used up its opens: the
/// reason goes to the person who shared it, who extends the share (the same link works
/// again, and the guest is mailed) or declines.
#[component]
fn AskMoreTime(token: String) -> impl IntoView {
    let ask = ServerAction::<RequestRenewal>::new();
    let sent = move || ask.value().get().is_some_and(|r| r.is_ok());
    let error = move || {
        ask.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| crate::error_text(&e))
    };
    view! {
        <Show
            when=sent
            fallback=move || { let token = token.clone(); view! {
                <section class="ask-more-time" aria-labelledby="ask-more-time">
                    <h2 id="ask-more-time">"Ask for more time"</h2>
                    <p class="muted">"Tell the person who shared this with you why you still need it. They will decide, and you will get an email either way; the same link works again if they agree."</p>
                    <ActionForm action=ask>
                        <input type="hidden" name="token" value=token/>
                        <label>"Why do you need more time?"
                            <textarea name="reason" rows="4" maxlength="1000" required
                                data-testid="renewal-reason"></textarea>
                        </label>
                        {move || error().map(|e| view! { <p class="error field-error" role="alert" data-testid="renewal-error">{e}</p> })}
                        <button type="submit" class="btn btn-primary" data-testid="ask-more-time">"Send the request"</button>
                    </ActionForm>
                </section>
            }}
        >
            <p class="notice" role="status" data-testid="renewal-sent">
                "Your request has been sent. You will get an email when it has been decided."
            </p>
        </Show>
    }
}
