//! The disclaimer's Markdown subset: paragraphs, emphasis, strong, lists, line breaks,
//! inline code and links to `https:` or `mailto:` addresses. Raw HTML is shown as text,
//! headings become strong paragraphs, images become their alt text, link titles are
//! dropped, and any other link keeps only its text. The output is HTML that is safe to insert as is: every piece of
//! text goes through `pulldown-cmark`'s escaping, and only the tags above are written.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Renders `source` to the safe HTML described in the module documentation.
pub fn render(source: &str) -> String {
    // No tables, footnotes, task lists, maths or metadata blocks: the plain subset.
    let parser = Parser::new_ext(source, Options::empty());
    let mut events: Vec<Event<'_>> = Vec::new();
    // Whether each open link was kept (so its end is written or dropped to match).
    let mut links: Vec<bool> = Vec::new();
    for event in parser {
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::Start(Tag::Heading { .. }) => {
                events.push(Event::Start(Tag::Paragraph));
                events.push(Event::Start(Tag::Strong));
            }
            Event::End(TagEnd::Heading(_)) => {
                events.push(Event::End(TagEnd::Strong));
                events.push(Event::End(TagEnd::Paragraph));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title: _,
                id,
            }) => {
                // An autolinked address (`<a@b.example>`) has no scheme yet.
                let keep = link_type == LinkType::Email || safe_destination(&dest_url);
                links.push(keep);
                if keep {
                    let dest_url = if link_type == LinkType::Email {
                        CowStr::from(format!("mailto:{dest_url}"))
                    } else {
                        dest_url
                    };
                    events.push(Event::Start(Tag::Link {
                        link_type: LinkType::Inline,
                        dest_url,
                        // Titles are dropped: the link text says enough.
                        title: CowStr::from(""),
                        id,
                    }));
                }
            }
            Event::End(TagEnd::Link) => {
                if links.pop().unwrap_or(false) {
                    events.push(Event::End(TagEnd::Link));
                }
            }
            // The alt text arrives as Text events between these, and stays.
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {}
            Event::Start(Tag::CodeBlock(_)) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::CodeBlock) => events.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::BlockQuote(_)) | Event::End(TagEnd::BlockQuote(_)) => {}
            Event::Rule => {}
            e @ (Event::Text(_)
            | Event::Code(_)
            | Event::SoftBreak
            | Event::HardBreak
            | Event::Start(
                Tag::Paragraph | Tag::Emphasis | Tag::Strong | Tag::List(_) | Tag::Item,
            )
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::List(_)
                | TagEnd::Item,
            )) => events.push(e),
            // Anything else (strikethrough, tables…) cannot occur with no options set;
            // were it to, its text still arrives as Text events.
            _ => {}
        }
    }
    let mut html = String::with_capacity(source.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    // Links leave the guest's page: never send the referrer or give the new page a handle.
    html.replace("<a href=", "<a rel=\"noopener noreferrer nofollow\" href=")
}

/// `https:` and `mailto:` only; relative and every other scheme (`javascript:`, `data:`…)
/// are refused.
fn safe_destination(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") && url::Url::parse(url).is_ok()) || lower.starts_with("mailto:")
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn the_subset_renders() {
        assert_eq!(
            render("Do **not** forward.\n\n- one\n- *two*"),
            "<p>Do <strong>not</strong> forward.</p>\n<ul>\n<li>one</li>\n<li><em>two</em></li>\n</ul>\n"
        );
        assert_eq!(
            render("[Policy](https://agency.example/p)"),
            "<p><a rel=\"noopener noreferrer nofollow\" href=\"https://agency.example/p\">Policy</a></p>\n"
        );
        assert_eq!(render("# Notice"), "<p><strong>Notice</strong></p>\n");
    }

    #[test]
    fn no_markup_survives_from_the_source() {
        let hostile = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html,<script>alert(1)</script>)",
            "![x](https://evil.example/t.png)",
            "<a href=\"https://evil.example\">x</a>",
            "[x](https://ok.example \"\\\" onmouseover=alert(1)\")",
            "<svg/onload=alert(1)>",
            "<https://ok.example><javascript:alert(1)>",
        ];
        for h in hostile {
            let out = render(h);
            assert_only_safe_markup(h, &out);
        }
    }

    /// Every tag is one of the subset's, with no attribute but a link's `rel` and `href`
    /// (https or mailto).
    fn assert_only_safe_markup(source: &str, out: &str) {
        const TAGS: &[&str] = &["p", "em", "strong", "ul", "ol", "li", "a", "code", "br"];
        for tag in out.split('<').skip(1) {
            let inside = tag.split('>').next().unwrap_or_default();
            let name = inside
                .trim_start_matches('/')
                .split([' ', '/'])
                .next()
                .unwrap_or_default();
            assert!(
                TAGS.contains(&name),
                "{source:?} rendered a <{name}> tag: {out:?}"
            );
            if name == "a" && !inside.starts_with('/') {
                let href = inside.split("href=\"").nth(1).unwrap_or_default();
                assert!(
                    href.starts_with("https://") || href.starts_with("mailto:"),
                    "{source:?} rendered a link to {href:?}"
                );
                // rel and href, each in a pair of quotes (quotes in values are escaped).
                assert_eq!(
                    inside.matches('"').count(),
                    4,
                    "{source:?} rendered extra attributes: {inside:?}"
                );
            }
        }
    }
}
