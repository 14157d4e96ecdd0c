use serde_json::json;

use super::*;

fn path(s: &str) -> FieldPath {
    FieldPath::parse(s).unwrap()
}

fn data(id: &str, kind: RecordKind, fields: Value, redacted: &[&str]) -> RecordData {
    RecordData {
        id: id.into(),
        kind,
        record_type: "delivery".into(),
        title: format!("Record {id}"),
        reference: None,
        fields,
        redacted: redacted.iter().map(|p| path(p)).collect(),
    }
}

fn event(id: &str, holder: &str, location: &str, redacted: &[&str]) -> CustodyEvent {
    CustodyEvent {
        id: id.into(),
        occurred_at_ms: 1_000,
        process: "shipped".into(),
        actor: Some("Dana Driver".into()),
        holder_id: Some(holder.into()),
        location_id: Some(location.into()),
        notes: Some("sealed".into()),
        fields: json!({"seal": "S-1", "driver_phone": "CANARY-E"}),
        redacted: redacted.iter().map(|p| path(p)).collect(),
    }
}

fn document(id: &str, private: bool) -> AttachedDocument {
    AttachedDocument {
        family_id: id.into(),
        document_id: id.into(),
        title: format!("Doc {id}"),
        file_name: format!("{id}.pdf"),
        content_type: "application/pdf".into(),
        size_bytes: 10,
        sha256: "00".repeat(32),
        private,
    }
}

fn full() -> FullRecord {
    FullRecord {
        record: data(
            "r",
            RecordKind::Item,
            json!({
                "weight_kg": 12.5,
                "consignee": {"name": "Port Authority", "phone": "CANARY-R"},
                "items": [{"serial": "A", "owner_ssn": "CANARY-N"}, {"serial": "B"}]
            }),
            &["consignee.phone"],
        ),
        history: vec![
            event("e1", "carrier", "depot", &["fields.driver_phone", "actor"]),
            event("e2", "carrier", "hidden-place", &["location"]),
        ],
        links: vec![(
            "derived from".into(),
            data(
                "up",
                RecordKind::Item,
                json!({"lot": "L1", "cost": "CANARY-L"}),
                &["cost"],
            ),
        )],
        referenced: vec![
            data(
                "carrier",
                RecordKind::Organisation,
                json!({"name": "Carrier"}),
                &[],
            ),
            data("depot", RecordKind::Location, json!({"city": "Ghent"}), &[]),
            data(
                "hidden-place",
                RecordKind::Location,
                json!({"city": "CANARY-P"}),
                &[],
            ),
        ],
        documents: vec![document("public", false), document("CANARY-D", true)],
    }
}

/// Everything a guest could be sent, as one string.
fn seen(g: &GuestRecord) -> String {
    serde_json::to_string(g).unwrap()
}

#[test]
fn marks_rules_and_private_documents_never_reach_the_projection() {
    let g = project(&full(), &Rules::new(["Owner SSN"]));
    let all = seen(&g);
    assert!(!all.contains("CANARY-R"), "record mark leaked: {all}");
    assert!(!all.contains("CANARY-N"), "rule leaked: {all}");
    assert!(
        !all.contains("CANARY-L"),
        "linked record's mark leaked: {all}"
    );
    assert!(!all.contains("CANARY-D"), "private document leaked: {all}");
    assert!(
        !all.contains("CANARY-P"),
        "a location only withheld history names leaked"
    );
    assert!(
        !all.contains("hidden-place"),
        "a withheld location's id leaked"
    );
    // What is not withheld is all there.
    assert_eq!(g.record.fields["consignee"]["name"], "Port Authority");
    assert_eq!(g.record.fields["items"][1]["serial"], "B");
    assert_eq!(g.record.withheld, 2);
    assert_eq!(g.history[0].actor, None);
    assert_eq!(g.history[0].fields, json!({"seal": "S-1"}));
    assert_eq!(g.history[0].withheld, 2);
    assert_eq!(g.history[1].location_id, None);
    assert_eq!(g.history[1].actor.as_deref(), Some("Dana Driver"));
    assert_eq!(g.linked[0].record.fields, json!({"lot": "L1"}));
    let referenced: Vec<&str> = g.referenced.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(referenced, ["carrier", "depot"]);
    assert_eq!(g.documents.len(), 1);
    assert_eq!(g.documents[0].document_id, "public");
}

#[test]
fn rules_match_names_at_any_depth_whatever_their_case_and_separators() {
    let g = project(&full(), &Rules::new(["DRIVER-PHONE", "owner ssn"]));
    assert!(!seen(&g).contains("CANARY-E"));
    assert!(!seen(&g).contains("CANARY-N"));
}

#[test]
fn marks_must_name_fields_that_exist_and_leave_one_visible() {
    let f = json!({"a": 1, "b": {"c": 2}});
    assert!(check_record_marks("redacted", &f, &[path("b.c")]).is_ok());
    let e = check_record_marks("redacted", &f, &[path("a"), path("b.x")]).unwrap_err();
    assert_eq!(e.field, "redacted[1]");
    assert!(e.message.contains("no field b.x"), "{}", e.message);
    let e = check_record_marks("redacted", &f, &[path("a"), path("b")]).unwrap_err();
    assert!(e.message.contains("every field"), "{}", e.message);
}

#[test]
fn event_marks_start_with_an_attribute_and_never_withhold_the_process() {
    let mut e = event("e", "h", "l", &["fields.seal", "notes", "holder"]);
    assert!(check_event_marks("events[0].redacted", &e).is_ok());
    e.redacted = vec![path("seal")];
    assert!(check_event_marks("x", &e)
        .unwrap_err()
        .message
        .contains("start with"));
    e.redacted = vec![path("process")];
    assert!(check_event_marks("x", &e).is_err());
    e.redacted = vec![path("fields.nothing")];
    assert_eq!(check_event_marks("x", &e).unwrap_err().field, "x[0]");
}

#[test]
fn a_rule_names_one_field() {
    assert!(check_rule_name("*").is_err());
    assert!(check_rule_name("ssn*").is_err());
    assert!(check_rule_name("a.b").is_err());
    assert_eq!(check_rule_name(" ssn ").unwrap().as_str(), "ssn");
}
