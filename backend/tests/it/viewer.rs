//! The protected viewer (issue 15) on both engines: pages drawn by the renderer process and
//! cached, the watermark baked into what a guest is served (pixel-level, and its marks
//! read back), views bound to their session, stamped downloads with the line on every
//! page, a leaked page traced to its view, and a purge that takes the cached pages too.

use backend::actor::{Guest, RequestMeta, Staff};
use backend::domain::ShareSettings;
use backend::services::access::{self, Purpose};
use backend::services::{documents, leaks, ServiceError};

use crate::common::{invited_guest, org_admin, Harness};

both_engines!(
    pages_are_drawn_cached_and_watermarked_for_their_view_only,
    downloads_are_stamped_and_a_leaked_page_names_its_view,
);

fn meta() -> RequestMeta {
    RequestMeta::default()
}

async fn pdf_document(h: &Harness, who: &Staff, pages: usize) -> String {
    documents::upload(
        &h.core,
        who,
        documents::Upload {
            title: "Brief".into(),
            file_name: "brief.pdf".into(),
            bytes: render::pdf::sample(pages).into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id
}

/// A share of `doc` for Jane with `settings`, opened: her session.
async fn guest(h: &Harness, who: &Staff, doc: &str, settings: ShareSettings) -> Guest {
    invited_guest(h, who, doc, "Jane", settings).await.1
}

fn decode(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory(jpeg).unwrap().to_rgb8()
}

async fn pages_are_drawn_cached_and_watermarked_for_their_view_only(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let doc = pdf_document(&h, &admin, 3).await;
    let marked = ShareSettings {
        watermark: true,
        ..Default::default()
    };
    let jane = guest(&h, &admin, &doc, marked).await;
    let view = access::open_view(&h.core, &jane, &doc, &meta())
        .await
        .unwrap();
    assert_eq!(view.pages.len(), 3);
    assert_eq!((view.pages[0].width, view.pages[0].height), (612.0, 792.0));
    let line = view.watermark.as_deref().expect("a watermark line");
    assert!(
        line.contains(&jane.recipient_email) && line.contains(&jane.share_id),
        "{line}"
    );

    let started = h.core.viewer.pool.started();
    let page = access::page_image(&h.core, &jane, &doc, &view.view, 1, 1200, &meta())
        .await
        .unwrap();
    assert_eq!(h.core.viewer.pool.started(), started + 1, "drawn once");
    let again = access::page_image(&h.core, &jane, &doc, &view.view, 1, 1150, &meta())
        .await
        .unwrap();
    assert_eq!(
        h.core.viewer.pool.started(),
        started + 1,
        "then from the cache"
    );
    let (page, again) = (decode(&page), decode(&again));
    assert_eq!(page.width(), 1200);
    assert!((1552..=1553).contains(&page.height()), "{}", page.height());
    assert_eq!(
        again.dimensions(),
        page.dimensions(),
        "1,150 px is served from the 1,200 bucket"
    );

    // The same page without a watermark: the watermarked one differs across the page
    // (every quarter), and its marks name the view.
    let plain = guest(&h, &admin, &doc, ShareSettings::default()).await;
    let plain_view = access::open_view(&h.core, &plain, &doc, &meta())
        .await
        .unwrap();
    let clean = decode(
        &access::page_image(&h.core, &plain, &doc, &plain_view.view, 1, 1200, &meta())
            .await
            .unwrap(),
    );
    for (qx, qy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        let differing = (0..page.height() / 2)
            .flat_map(|y| (0..page.width() / 2).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (x, y) = (x + qx * page.width() / 2, y + qy * page.height() / 2);
                let (a, b) = (page.get_pixel(x, y).0[0], clean.get_pixel(x, y).0[0]);
                a.abs_diff(b) > 24
            })
            .count();
        assert!(
            differing > 5_000,
            "quarter {qx},{qy}: {differing} pixels differ"
        );
    }
    let grey = image::DynamicImage::ImageRgb8(page.clone()).to_luma8();
    assert_eq!(render::mark::find(&grey), vec![view.view.clone()]);
    assert!(render::mark::find(&image::DynamicImage::ImageRgb8(clean).to_luma8()).is_empty());

    // A view is its own session's and document's; pages past the end are not found.
    for (who, view_id, n) in [
        (&plain, view.view.as_str(), 1),
        (&jane, "0000000000", 1),
        (&jane, view.view.as_str(), 4),
        (&jane, view.view.as_str(), 0),
    ] {
        assert!(matches!(
            access::page_image(&h.core, who, &doc, view_id, n, 1200, &meta()).await,
            Err(ServiceError::NotFound(_))
        ));
    }
    // The original is not shown inline to a view-only share.
    assert!(matches!(
        access::item_content(&h.core, &jane, &doc, Purpose::View, &meta()).await,
        Err(ServiceError::Forbidden(_))
    ));

    // A file that is no PDF at all: refused with its reason, remembered, audited.
    let junk = documents::upload(
        &h.core,
        &admin,
        documents::Upload {
            title: "Broken".into(),
            file_name: "broken.pdf".into(),
            bytes: b"%PDF-1.7\nthis is not a PDF body at all".to_vec().into(),
        },
        &meta(),
    )
    .await
    .unwrap()
    .id;
    let broken = guest(&h, &admin, &junk, ShareSettings::default()).await;
    for _ in 0..2 {
        match access::open_view(&h.core, &broken, &junk, &meta()).await {
            Err(ServiceError::Invalid { field, message }) => {
                assert_eq!(field, "document");
                assert!(message.contains("cannot be shown"), "{message}");
            }
            other => panic!("a broken PDF was shown: {other:?}"),
        }
    }
    let failures: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_type = 'item.render_failed'",
    )
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(failures, 2);
}

async fn downloads_are_stamped_and_a_leaked_page_names_its_view(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let doc = pdf_document(&h, &admin, 2).await;
    let original = render::pdf::sample(2);
    let jane = guest(
        &h,
        &admin,
        &doc,
        ShareSettings {
            watermark: true,
            allow_download: true,
            ..Default::default()
        },
    )
    .await;
    let (item, bytes) = access::item_content(&h.core, &jane, &doc, Purpose::Download, &meta())
        .await
        .unwrap();
    assert_eq!(item.content_type, "application/pdf");
    assert_ne!(bytes.as_ref(), original.as_slice(), "not the original");
    let stamped = lopdf::Document::load_mem(&bytes).unwrap();
    let pages = stamped.get_pages();
    assert_eq!(pages.len(), 2);
    for n in pages.keys() {
        let text = stamped.extract_text(&[*n]).unwrap();
        assert!(text.contains("jane@counsel.example"), "page {n}: {text}");
        assert!(
            text.contains("Exhibit page"),
            "page {n} keeps its own text: {text}"
        );
    }

    // A screenshot of a served page, shrunk and recompressed: traced to Jane's view.
    let view = access::open_view(&h.core, &jane, &doc, &meta())
        .await
        .unwrap();
    let page = decode(
        &access::page_image(&h.core, &jane, &doc, &view.view, 2, 1200, &meta())
            .await
            .unwrap(),
    );
    let half = image::imageops::resize(
        &page,
        600,
        page.height() / 2,
        image::imageops::FilterType::Triangle,
    );
    let mut shot = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut shot, 60)
        .encode_image(&half)
        .unwrap();
    let found = leaks::trace(&h.core, &admin, shot.clone().into(), &meta())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].view, view.view);
    assert_eq!(found[0].recipient_email, "jane@counsel.example");
    assert_eq!(found[0].document_id, doc);
    // Another organisation learns nothing from the same picture; junk is refused clearly.
    let other = org_admin(&h, "Other").await;
    assert!(leaks::trace(&h.core, &other, shot.into(), &meta())
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        leaks::trace(&h.core, &admin, b"not a picture".to_vec().into(), &meta()).await,
        Err(ServiceError::Invalid {
            field: "picture",
            ..
        })
    ));
    let traced: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_type = 'item.leak_traced'",
    )
    .fetch_one(h.core.db.pool())
    .await
    .unwrap();
    assert_eq!(
        traced, 3,
        "the two traces and the picture that could not be read"
    );
}
