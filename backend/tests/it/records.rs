//! Data records (issue 14, part 1) on both engines: a delivery with its custody history,
//! links and documents; what a guest would see of it; bad input refused with nothing
//! written; edits on the current version only; the organisation's rules; imports all or
//! nothing; no crossing between organisations.

use backend::actor::{RequestMeta, Staff};
use backend::domain::records::RecordKind;
use backend::domain::Role;
use backend::services::audit_log::{self, AuditFilter};
use backend::services::records::{
    self, ColumnMap, CsvMapping, DocumentInput, EventInput, FieldType, LinkInput, ListFilter,
    RecordEdit, RecordInput,
};
use backend::services::ServiceError;
use serde_json::{json, Value};

use crate::common::{org_admin, text_document, Harness};

both_engines!(
    a_delivery_carries_its_history_links_and_documents,
    a_guest_preview_never_holds_what_is_withheld,
    bad_record_input_is_refused_and_writes_nothing,
    edits_need_the_current_version_and_the_audit_holds_no_values,
    marks_left_out_of_an_edit_stay_and_must_still_name_a_field,
    rules_withhold_a_field_name_in_every_record,
    a_csv_import_is_all_or_nothing,
    records_never_cross_organisations,
);

fn meta() -> RequestMeta {
    RequestMeta::new(Some("203.0.113.14".parse().unwrap()), Some("test-agent"))
}

fn input(v: Value) -> RecordInput {
    serde_json::from_value(v).expect("a valid record input")
}

fn event(v: Value) -> EventInput {
    serde_json::from_value(v).expect("a valid event input")
}

/// A carrier, two locations and a delivery that passed through them, with a public and a
/// private document. Returns the delivery's id.
pub(crate) async fn delivery(h: &Harness, who: &Staff) -> (String, String, String) {
    let public = text_document(h, who, "Bill of lading").await;
    let private = text_document(h, who, "Customs notes CANARY-DOC").await;
    let upstream = records::create(
        &h.core,
        who,
        input(json!({
            "record_type": "lot", "title": "Lot 7", "reference": "LOT-7",
            "fields": {"origin": "Antwerp", "cost": "CANARY-LINK"}, "redacted": ["cost"]
        })),
        &meta(),
    )
    .await
    .unwrap();
    records::import(
        &h.core,
        who,
        &[
            input(
                json!({"kind": "organisation", "record_type": "carrier", "title": "North Freight",
                     "reference": "ORG-NF", "fields": {"vat": "BE0123"}}),
            ),
            input(
                json!({"kind": "location", "record_type": "depot", "title": "Ghent depot",
                     "reference": "LOC-GH", "fields": {"city": "Ghent"}}),
            ),
            input(
                json!({"kind": "location", "record_type": "safehouse", "title": "Safe house",
                     "reference": "LOC-SH", "fields": {"city": "CANARY-PLACE"}}),
            ),
        ],
        "json",
        &meta(),
    )
    .await
    .unwrap();
    let d = records::create(
        &h.core,
        who,
        input(json!({
            "record_type": "delivery", "title": "Consignment 42", "reference": "DEL-42",
            "fields": {
                "weight_kg": 12.5,
                "consignee": {"name": "Port Authority", "phone": "CANARY-FIELD"},
                "items": [{"serial": "A1", "seal": "CANARY-NESTED"}, {"serial": "A2"}]
            },
            "redacted": ["consignee.phone", "items[].seal"],
            "history": [
                {"occurred_at": "2026-11-02T08:00:00Z", "process": "received", "holder": "ORG-NF",
                 "location": "LOC-SH", "actor": "CANARY-ACTOR", "redacted": ["location", "actor"]},
                {"occurred_at": "2026-11-01T08:00:00Z", "process": "loaded", "holder": "ORG-NF",
                 "location": "LOC-GH", "notes": "two pallets",
                 "fields": {"driver_phone": "CANARY-EVENT", "temperature_c": 4},
                 "redacted": ["fields.driver_phone"]}
            ],
            "links": [{"target": "LOT-7", "relation": "derived from"}],
            "documents": [{"document_id": public}, {"document_id": private, "private": true}]
        })),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(d.version, 1);
    (d.summary.id, upstream.summary.id, public)
}

async fn a_delivery_carries_its_history_links_and_documents(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let (id, upstream, public) = delivery(&h, &admin).await;
    let r = records::get(&h.core, &admin, &id).await.unwrap();
    assert_eq!(r.summary.reference.as_deref(), Some("DEL-42"));
    assert_eq!(
        r.fields["consignee"]["phone"], "CANARY-FIELD",
        "staff see everything"
    );
    let processes: Vec<&str> = r.history.iter().map(|e| e.process.as_str()).collect();
    assert_eq!(
        processes,
        ["loaded", "received"],
        "history is in time order"
    );
    assert_eq!(r.history[0].holder.as_ref().unwrap().title, "North Freight");
    assert_eq!(r.history[0].location.as_ref().unwrap().title, "Ghent depot");
    assert_eq!(r.links[0].relation, "derived from");
    assert_eq!(r.links[0].record.id, upstream);
    assert_eq!(r.documents.len(), 2);
    assert!(r.documents[1].private);
    assert_eq!(r.documents[0].document_id, public);
    // A new revision of an attached document is what the record carries from then on.
    let staged = backend::services::documents::stage(
        &h.core,
        &admin,
        "lading.txt",
        backend::services::uploads::once(bytes::Bytes::from_static(b"revised")),
    )
    .await
    .unwrap();
    let rev = backend::services::documents::adopt_revision(
        &h.core,
        &admin,
        &public,
        String::new(),
        staged,
        &meta(),
    )
    .await
    .unwrap();
    let r = records::get(&h.core, &admin, &id).await.unwrap();
    assert_eq!(
        (r.documents[0].document_id.clone(), r.documents[0].revision),
        (rev.id, 2)
    );
    // History, links and documents change one at a time.
    let r = records::add_event(
        &h.core,
        &admin,
        &id,
        event(json!({
            "occurred_at": "2026-11-03T09:00:00Z", "process": "delivered", "location": "LOC-GH"
        })),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(r.history.last().unwrap().process, "delivered");
    let last = r.history.last().unwrap().id.clone();
    let r = records::change_event(
        &h.core,
        &admin,
        &id,
        &last,
        event(json!({
            "occurred_at": "2026-10-30T09:00:00Z", "process": "packed"
        })),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        r.history[0].process, "packed",
        "a changed time moves the event"
    );
    let r = records::remove_event(&h.core, &admin, &id, &last, &meta())
        .await
        .unwrap();
    assert_eq!(r.history.len(), 2);
    let r = records::unlink(&h.core, &admin, &id, &upstream, &meta())
        .await
        .unwrap();
    assert!(r.links.is_empty());
    let r = records::detach_document(&h.core, &admin, &id, &public, &meta())
        .await
        .unwrap();
    assert_eq!(r.documents.len(), 1);
    let list = records::list(
        &h.core,
        &admin,
        &ListFilter {
            text: Some("del-42".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(list.len(), 1);
    let places = records::list(
        &h.core,
        &admin,
        &ListFilter {
            kind: Some(RecordKind::Location),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(places.len(), 2);
    // An auditor reads records and changes none.
    let auditor = Staff {
        role: Role::Auditor,
        ..admin.clone()
    };
    records::get(&h.core, &auditor, &id).await.unwrap();
    let refused = records::link(
        &h.core,
        &auditor,
        &id,
        LinkInput {
            target: upstream,
            relation: "x".into(),
        },
        &meta(),
    )
    .await;
    assert!(
        matches!(refused, Err(ServiceError::Forbidden(_))),
        "{refused:?}"
    );
}

async fn a_guest_preview_never_holds_what_is_withheld(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let (id, _, _) = delivery(&h, &admin).await;
    let p = records::preview(&h.core, &admin, &id).await.unwrap();
    let all = serde_json::to_string(&p).unwrap();
    for canary in [
        "CANARY-FIELD",
        "CANARY-NESTED",
        "CANARY-EVENT",
        "CANARY-ACTOR",
        "CANARY-PLACE",
        "CANARY-LINK",
        "CANARY-DOC",
        "Safe house",
    ] {
        assert!(!all.contains(canary), "{canary} reached the preview: {all}");
    }
    let g = &p.guest;
    assert_eq!(
        g.record.fields["consignee"],
        json!({"name": "Port Authority"})
    );
    assert_eq!(
        g.record.withheld, 2,
        "one mark per item seal plus the phone"
    );
    assert_eq!(g.history.len(), 2);
    assert_eq!(g.history[0].fields, json!({"temperature_c": 4}));
    assert_eq!(g.linked[0].record.fields, json!({"origin": "Antwerp"}));
    let titles: Vec<&str> = g.referenced.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["North Freight", "Ghent depot"]);
    assert_eq!(g.documents.len(), 1);
    assert!(
        p.unredacted_sensitive.is_empty(),
        "{:?}",
        p.unredacted_sensitive
    );
    // A record with a sensitive-looking field and no marks is flagged.
    let loud = records::create(
        &h.core,
        &admin,
        input(json!({
            "record_type": "contact", "title": "Agent",
            "fields": {"email": "agent@example.org", "desk": 4}
        })),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        loud.unredacted_sensitive
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
        ["email"]
    );
}

/// Every kind of bad input, each refused naming its field, none of them writing anything.
async fn bad_record_input_is_refused_and_writes_nothing(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    records::create(
        &h.core,
        &admin,
        input(json!({
            "kind": "location", "record_type": "depot", "title": "Depot", "reference": "LOC-1"
        })),
        &meta(),
    )
    .await
    .unwrap();
    let cases: [(Value, &str, &str); 10] = [
        (
            json!({"record_type": "x", "title": "T", "fields": [1, 2]}),
            "fields",
            "JSON object",
        ),
        (
            json!({"record_type": "x", "title": "T", "fields": {"a.b": 1}}),
            "fields",
            "fields.a.b",
        ),
        (
            json!({"record_type": "x", "title": "T", "fields": {"a": 1}, "redacted": ["b"]}),
            "redacted",
            "no field b",
        ),
        (
            json!({"record_type": "x", "title": "T", "fields": {"a": 1}, "redacted": ["a"]}),
            "redacted",
            "every field",
        ),
        (
            json!({"record_type": "x", "title": "T", "redacted": ["a[0]"]}),
            "redacted",
            "[]",
        ),
        (
            json!({"record_type": "x", "title": " "}),
            "title",
            "required",
        ),
        (
            json!({"record_type": "<x>", "title": "T"}),
            "record_type",
            "letters",
        ),
        (
            json!({"record_type": "x", "title": "T", "history": [
            {"occurred_at": "yesterday", "process": "p"}]}),
            "history",
            "history[0].occurred_at",
        ),
        (
            json!({"record_type": "x", "title": "T", "history": [
            {"occurred_at": "2026-11-01T00:00:00Z", "process": "p", "holder": "LOC-1"}]}),
            "history",
            "not organisation",
        ),
        (
            json!({"record_type": "x", "title": "T", "documents": [{"document_id": "nope"}]}),
            "documents",
            "no such document",
        ),
    ];
    for (body, field, says) in cases {
        match records::create(&h.core, &admin, input(body.clone()), &meta()).await {
            Err(ServiceError::Invalid { field: f, message }) => {
                assert_eq!(f, field, "{body}: {message}");
                assert!(message.contains(says), "{body}: {message}");
            }
            other => panic!("{body} was not refused: {other:?}"),
        }
    }
    let dup = records::create(
        &h.core,
        &admin,
        input(json!({
            "record_type": "x", "title": "T", "reference": "LOC-1"
        })),
        &meta(),
    )
    .await;
    assert!(matches!(dup, Err(ServiceError::Conflict(_))), "{dup:?}");
    // A batch with one bad record writes none of the good ones.
    let batch = [
        input(json!({"record_type": "x", "title": "Good", "reference": "G-1"})),
        input(json!({"record_type": "x", "title": "Bad", "fields": {"a": 1}, "redacted": ["zz"]})),
    ];
    match records::import(&h.core, &admin, &batch, "json", &meta()).await {
        Err(ServiceError::Invalid { field, message }) => {
            assert_eq!(field, "records");
            assert!(message.starts_with("records[1].redacted[0]"), "{message}");
        }
        other => panic!("the batch was not refused: {other:?}"),
    }
    let all = records::list(&h.core, &admin, &ListFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "only the depot exists: {all:?}");
    let audit = audit_log::list(
        &h.core,
        &admin,
        AuditFilter {
            event_type: Some("record.created".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(audit.items.len(), 1);
    // Event marks must name something the event has.
    let id = &all[0].id;
    let bad = records::add_event(
        &h.core,
        &admin,
        id,
        event(json!({
            "occurred_at": "2026-11-01T00:00:00Z", "process": "p", "redacted": ["fields.none"]
        })),
        &meta(),
    )
    .await;
    assert!(
        matches!(
            bad,
            Err(ServiceError::Invalid {
                field: "history",
                ..
            })
        ),
        "{bad:?}"
    );
    let bad = records::link(
        &h.core,
        &admin,
        id,
        LinkInput {
            target: "LOC-1".into(),
            relation: "self".into(),
        },
        &meta(),
    )
    .await;
    assert!(matches!(bad, Err(ServiceError::Invalid { .. })), "{bad:?}");
    assert!(records::get(&h.core, &admin, id)
        .await
        .unwrap()
        .history
        .is_empty());
}

async fn edits_need_the_current_version_and_the_audit_holds_no_values(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let r = records::create(&h.core, &admin, input(json!({
        "record_type": "exhibit", "title": "Phone", "fields": {"imei": "CANARY-IMEI-1", "colour": "red"}
    })), &meta()).await.unwrap();
    let edit = |version: i64, imei: &str| RecordEdit {
        record_type: "exhibit".into(),
        title: "Phone".into(),
        reference: Some("EX-1".into()),
        fields: json!({"imei": imei, "colour": "red"}),
        redacted: Some(vec!["imei".into()]),
        version,
    };
    let after = records::update(
        &h.core,
        &admin,
        &r.summary.id,
        edit(1, "CANARY-IMEI-2"),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(after.version, 2);
    assert_eq!(after.redacted.len(), 1);
    let stale = records::update(
        &h.core,
        &admin,
        &r.summary.id,
        edit(1, "CANARY-IMEI-3"),
        &meta(),
    )
    .await;
    assert!(matches!(stale, Err(ServiceError::Conflict(_))), "{stale:?}");
    assert_eq!(
        records::get(&h.core, &admin, &r.summary.id)
            .await
            .unwrap()
            .fields["imei"],
        "CANARY-IMEI-2"
    );
    let audit = audit_log::list(
        &h.core,
        &admin,
        AuditFilter {
            item_id: Some(r.summary.id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let types: Vec<&str> = audit.items.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["record.changed", "record.created"]);
    assert_eq!(audit.items[0].details["fields_changed"], json!(["imei"]));
    let text = serde_json::to_string(&audit.items).unwrap();
    assert!(
        !text.contains("CANARY-IMEI"),
        "a field value reached the audit: {text}"
    );
}

async fn rules_withhold_a_field_name_in_every_record(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let r = records::create(&h.core, &admin, input(json!({
        "record_type": "person", "title": "Witness",
        "fields": {"name": "W", "Date-of-Birth": "CANARY-DOB", "contacts": [{"date of birth": "CANARY-DOB2"}]}
    })), &meta()).await.unwrap();
    assert!(!r.unredacted_sensitive.is_empty());
    let rules = records::add_rule(&h.core, &admin, "date_of_birth", &meta())
        .await
        .unwrap();
    assert_eq!(rules, ["date_of_birth"]);
    assert_eq!(
        records::add_rule(&h.core, &admin, "Date of Birth", &meta())
            .await
            .unwrap()
            .len(),
        1
    );
    let p = records::preview(&h.core, &admin, &r.summary.id)
        .await
        .unwrap();
    assert!(!serde_json::to_string(&p).unwrap().contains("CANARY-DOB"));
    assert_eq!(p.guest.record.withheld, 2);
    assert!(
        p.unredacted_sensitive.is_empty(),
        "{:?}",
        p.unredacted_sensitive
    );
    for bad in ["*", "a.b", ""] {
        let e = records::add_rule(&h.core, &admin, bad, &meta()).await;
        assert!(
            matches!(
                e,
                Err(ServiceError::Invalid {
                    field: "field_name",
                    ..
                })
            ),
            "{bad}: {e:?}"
        );
    }
    let controller = Staff {
        role: Role::Controller,
        ..admin.clone()
    };
    let e = records::add_rule(&h.core, &controller, "ssn", &meta()).await;
    assert!(matches!(e, Err(ServiceError::Forbidden(_))), "{e:?}");
    assert!(
        records::remove_rule(&h.core, &admin, "DATE-OF-BIRTH", &meta())
            .await
            .unwrap()
            .is_empty()
    );
    let p = records::preview(&h.core, &admin, &r.summary.id)
        .await
        .unwrap();
    assert!(serde_json::to_string(&p).unwrap().contains("CANARY-DOB"));
}

async fn a_csv_import_is_all_or_nothing(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let mapping = CsvMapping {
        record_type: "delivery".into(),
        title_column: "Name".into(),
        reference_column: Some("Ref".into()),
        columns: vec![ColumnMap {
            column: "Kg".into(),
            path: backend::domain::records::FieldPath::parse("weight.kg").unwrap(),
            ty: FieldType::Number,
        }],
        ..Default::default()
    };
    let csv = "Ref,Name,Kg,Note\nD-1,First,10,fragile\nD-2,Second,2.5,\n";
    let inputs = records::csv_inputs(csv.as_bytes(), &mapping).unwrap();
    let made = records::import(&h.core, &admin, &inputs, "csv", &meta())
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    let first = records::get(&h.core, &admin, &made[0].id).await.unwrap();
    assert_eq!(
        first.fields,
        json!({"weight": {"kg": 10}, "Note": "fragile"})
    );
    // D-2 exists: the second file's D-3 is not written either.
    let again = "Ref,Name,Kg,Note\nD-3,Third,1,\nD-2,Second again,1,\n";
    let inputs = records::csv_inputs(again.as_bytes(), &mapping).unwrap();
    let e = records::import(&h.core, &admin, &inputs, "csv", &meta()).await;
    assert!(
        matches!(e, Err(ServiceError::Conflict(ref m)) if m.contains("records[1].reference")),
        "{e:?}"
    );
    assert_eq!(
        records::list(&h.core, &admin, &ListFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
    let audit = audit_log::list(
        &h.core,
        &admin,
        AuditFilter {
            event_type: Some("record.imported".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(audit.items.len(), 1);
    assert_eq!(audit.items[0].details["count"], 2);
}

async fn records_never_cross_organisations(h: Harness) {
    let acme = org_admin(&h, "Acme").await;
    let globex = org_admin(&h, "Globex").await;
    let (id, upstream, document) = delivery(&h, &acme).await;
    let mine = records::create(
        &h.core,
        &globex,
        input(json!({"record_type": "x", "title": "Mine"})),
        &meta(),
    )
    .await
    .unwrap();
    fn not_found<T>(r: Result<T, ServiceError>) -> bool {
        matches!(r, Err(ServiceError::NotFound(_)))
    }
    assert!(not_found(records::get(&h.core, &globex, &id).await));
    assert!(not_found(records::preview(&h.core, &globex, &id).await));
    for target in [upstream.clone(), "LOT-7".into()] {
        let e = records::link(
            &h.core,
            &globex,
            &mine.summary.id,
            LinkInput {
                target,
                relation: "x".into(),
            },
            &meta(),
        )
        .await;
        assert!(
            matches!(e, Err(ServiceError::Invalid { field: "links", .. })),
            "{e:?}"
        );
    }
    let e = records::attach_document(
        &h.core,
        &globex,
        &mine.summary.id,
        DocumentInput {
            document_id: document,
            private: false,
        },
        &meta(),
    )
    .await;
    assert!(not_found(e));
    assert_eq!(
        records::list(&h.core, &globex, &ListFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

/// An edit that does not mention the marks keeps them — never a silent unredaction — and
/// is refused when a kept mark would name a field the edit removes.
async fn marks_left_out_of_an_edit_stay_and_must_still_name_a_field(h: Harness) {
    let admin = org_admin(&h, "Acme").await;
    let r = records::create(
        &h.core,
        &admin,
        input(json!({
            "record_type": "exhibit", "title": "Phone",
            "fields": {"imei": "CANARY-KEEP", "colour": "red"}, "redacted": ["imei"],
            "history": [{"occurred_at": "2026-11-01T00:00:00Z", "process": "seized",
                         "notes": "CANARY-NOTE", "redacted": ["notes"]}]
        })),
        &meta(),
    )
    .await
    .unwrap();
    let id = r.summary.id.clone();
    let edit = |version: i64, fields: Value| RecordEdit {
        record_type: "exhibit".into(),
        title: "Phone".into(),
        reference: None,
        fields,
        redacted: None,
        version,
    };
    let after = records::update(
        &h.core,
        &admin,
        &id,
        edit(1, json!({"imei": "CANARY-KEEP", "colour": "blue"})),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(after.redacted.len(), 1, "the mark stayed");
    let e = records::update(
        &h.core,
        &admin,
        &id,
        edit(2, json!({"serial": "CANARY-KEEP", "colour": "blue"})),
        &meta(),
    )
    .await;
    assert!(
        matches!(
            e,
            Err(ServiceError::Invalid {
                field: "redacted",
                ..
            })
        ),
        "{e:?}"
    );
    let event = after.history[0].id.clone();
    let changed = records::change_event(
        &h.core,
        &admin,
        &id,
        &event,
        self::event(json!({
            "occurred_at": "2026-11-01T00:00:00Z", "process": "seized", "notes": "CANARY-NOTE again"
        })),
        &meta(),
    )
    .await
    .unwrap();
    assert_eq!(
        changed.history[0].redacted.len(),
        1,
        "the event's mark stayed"
    );
    let p = records::preview(&h.core, &admin, &id).await.unwrap();
    let text = serde_json::to_string(&p).unwrap();
    assert!(
        !text.contains("CANARY-KEEP") && !text.contains("CANARY-NOTE"),
        "{text}"
    );
}
