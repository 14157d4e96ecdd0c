//! `/console/portals/:id/sections`: an administrator arranges the items shared in a portal
//! into named, ordered sections, which guests' homes group their shares by.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{CsrfField, FieldError};
use crate::server_fns::portals::{
    load_sections, ArrangeItem, CreateSection, DeleteSection, MoveSection, PlaceItem, RenameSection,
};
use crate::types::{SectionItemView, SectionRowView};

/// Every action on the page; any completing reloads the sections.
#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateSection>,
    rename: ServerAction<RenameSection>,
    delete: ServerAction<DeleteSection>,
    move_section: ServerAction<MoveSection>,
    place: ServerAction<PlaceItem>,
    arrange: ServerAction<ArrangeItem>,
}

impl Actions {
    fn version(&self) -> [usize; 6] {
        [
            self.create.version().get(),
            self.rename.version().get(),
            self.delete.version().get(),
            self.move_section.version().get(),
            self.place.version().get(),
            self.arrange.version().get(),
        ]
    }

    /// The last refusal to show above the sections: any but the new section's name, which
    /// shows under its field.
    fn error(&self) -> Option<crate::error::AppError> {
        [
            self.create
                .value()
                .get()
                .and_then(|r| r.err())
                .filter(|e| e.field.as_deref() != Some("name")),
            self.rename.value().get().and_then(|r| r.err()),
            self.delete.value().get().and_then(|r| r.err()),
            self.move_section.value().get().and_then(|r| r.err()),
            self.place.value().get().and_then(|r| r.err()),
            self.arrange.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

const NAME_FIELDS: &[&str] = &["name"];

#[component]
pub fn PortalSectionsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let find = move || query.read().get("find").unwrap_or_default();
    let actions = Actions {
        create: ServerAction::new(),
        rename: ServerAction::new(),
        delete: ServerAction::new(),
        move_section: ServerAction::new(),
        place: ServerAction::new(),
        arrange: ServerAction::new(),
    };
    let page = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                find(),
                actions.version(),
            )
        },
        |(id, find, _)| load_sections(id, find),
    );
    let create_error = Signal::derive(move || actions.create.value().get().and_then(|r| r.err()));
    let error = move || actions.error().map(|e| crate::error_text(&e));
    view! {
        <Title text="Sections · Liaison"/>
        <p><a href="/console/portals">"← Portals"</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <p class="error" role="alert">{crate::error_text(&e)}</p> }.into_any(),
                    Ok(p) => {
                        let portal_id = p.portal_id.clone();
                        let unplaced = p.unplaced.clone();
                        let count = p.sections.len();
                        view! {
                            <h1>{format!("Sections of “{}”", p.portal_name)}</h1>
                            <p class="muted">"Guests see their shares grouped under these sections, in this order; shares of items in no section come last, under “Other shares”. Sections only arrange what a guest may already see: they never grant or hide a share."</p>
                            {move || error().map(|e| view! { <p class="error" role="alert" data-testid="sections-error">{e}</p> })}
                            // Each section's "Add an item" offers the newest documents; older
                            // ones are found by title here.
                            <form method="get" class="find" role="search">
                                <label>"Find items to add by title"
                                    <input type="search" name="find" maxlength="200" value=find() data-testid="find-items"/>
                                </label>
                                <button type="submit" class="btn">"Find"</button>
                            </form>
                            {if p.sections.is_empty() {
                                view! { <p class="empty" data-testid="no-sections">"No sections yet: guests see one list."</p> }.into_any()
                            } else {
                                p.sections.into_iter().enumerate().map(|(i, s)| view! {
                                    <Section section=s first=i == 0 last=i + 1 == count unplaced=unplaced.clone() actions/>
                                }).collect_view().into_any()
                            }}
                            <section class="panel" aria-labelledby="new-section-h">
                                <h2 id="new-section-h">"Add a section"</h2>
                                <ActionForm action=actions.create>
                                    <CsrfField/>
                                    <input type="hidden" name="portal_id" value=portal_id/>
                                    <label>"Name"
                                        <input type="text" name="name" required maxlength="100" placeholder="Contracts" data-testid="section-name" aria-describedby="section-name-error"/>
                                        <FieldError error=create_error fields=NAME_FIELDS id="section-name-error"/>
                                    </label>
                                    <button type="submit" class="btn btn-primary" data-testid="add-section">"Add section"</button>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// One button that moves a section up or down.
#[component]
fn MoveSectionButton(
    action: ServerAction<MoveSection>,
    section_id: String,
    way: &'static str,
    label: &'static str,
    #[prop(into)] aria: String,
    testid: &'static str,
    disabled: bool,
) -> impl IntoView {
    view! {
        <ActionForm action attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="section_id" value=section_id/>
            <input type="hidden" name="way" value=way/>
            <button type="submit" class="btn btn-small" aria-label=aria data-testid=testid disabled=disabled>{label}</button>
        </ActionForm>
    }
}

/// One button that moves an item up or down in its section, or takes it out.
#[component]
fn ArrangeButton(
    action: ServerAction<ArrangeItem>,
    section_id: String,
    item: String,
    way: &'static str,
    label: &'static str,
    #[prop(into)] aria: String,
    testid: &'static str,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    view! {
        <ActionForm action attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="section_id" value=section_id/>
            <input type="hidden" name="item" value=item/>
            <input type="hidden" name="way" value=way/>
            <button type="submit" class="btn btn-small" aria-label=aria data-testid=testid disabled=disabled>{label}</button>
        </ActionForm>
    }
}

#[component]
fn Section(
    section: SectionRowView,
    first: bool,
    last: bool,
    unplaced: Vec<SectionItemView>,
    actions: Actions,
) -> impl IntoView {
    let id = section.id.clone();
    let name = section.name.clone();
    let n = section.items.len();
    let (up_id, down_id, delete_id, place_id) = (id.clone(), id.clone(), id.clone(), id.clone());
    let (up_label, down_label, heading, testname) = (
        format!("Move {name} up"),
        format!("Move {name} down"),
        name.clone(),
        name.clone(),
    );
    view! {
        <section class="panel section" data-testid="section" data-section=testname>
            <header class="section-head">
                <h2>{heading}</h2>
                <div class="actions">
                    <MoveSectionButton action=actions.move_section section_id=up_id way="up" label="↑" aria=up_label testid="section-up" disabled=first/>
                    <MoveSectionButton action=actions.move_section section_id=down_id way="down" label="↓" aria=down_label testid="section-down" disabled=last/>
                    <ActionForm action=actions.delete attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="section_id" value=delete_id/>
                        <button type="submit" class="btn btn-small btn-danger-outline" data-testid="delete-section">"Delete section"</button>
                    </ActionForm>
                </div>
            </header>
            {if section.items.is_empty() {
                view! { <p class="empty">"No items in this section."</p> }.into_any()
            } else {
                view! {
                    <ol class="section-items">
                        {section.items.into_iter().enumerate().map(|(i, item)| {
                            let title = item.title.clone();
                            let id = id.clone();
                            view! {
                                <li data-testid="section-item">
                                    <span><span class="badge">{item.kind_label}</span>" "{item.title}</span>
                                    <span class="actions">
                                        <ArrangeButton action=actions.arrange section_id=id.clone() item=item.key.clone() way="up" label="↑" aria=format!("Move {title} up") testid="item-up" disabled=i == 0/>
                                        <ArrangeButton action=actions.arrange section_id=id.clone() item=item.key.clone() way="down" label="↓" aria=format!("Move {title} down") testid="item-down" disabled=i + 1 == n/>
                                        <ArrangeButton action=actions.arrange section_id=id.clone() item=item.key way="out" label="Take out" aria=format!("Take {title} out of this section") testid="item-out"/>
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <div class="section-forms">
                {(!unplaced.is_empty()).then(|| view! {
                    <ActionForm action=actions.place>
                        <CsrfField/>
                        <input type="hidden" name="section_id" value=place_id/>
                        <label>"Add an item"
                            <select name="item" required data-testid="place-item">
                                {unplaced.into_iter().map(|i| view! { <option value=i.key>{format!("{}: {}", i.kind_label, i.title)}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="btn" data-testid="place">"Add to section"</button>
                    </ActionForm>
                })}
                <ActionForm action=actions.rename>
                    <CsrfField/>
                    <input type="hidden" name="section_id" value=id/>
                    <label>"Rename"
                        <input type="text" name="name" required maxlength="100" value=name data-testid="rename-section"/>
                    </label>
                    <button type="submit" class="btn" data-testid="rename">"Rename"</button>
                </ActionForm>
            </div>
        </section>
    }
}
