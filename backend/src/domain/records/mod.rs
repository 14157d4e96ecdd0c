//! Data records: structured JSON with typed fields (a delivery, a lot, a location, a
//! partner organisation), an ordered custody history, links to other records and attached
//! documents. What a guest may see of them is decided in one place, [`redaction`].
//!
//! Invariants checked here, before anything is stored:
//! - a record's `fields` is a JSON object, at most [`MAX_DEPTH`] levels deep and
//!   [`MAX_FIELDS_BYTES`] long, every key a valid [`FieldName`];
//! - a [`FieldPath`] names keys and `[]` (every element of a list), never an empty segment.

pub mod redaction;
pub mod sensitive;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How deep a record's fields may nest (objects and lists).
pub const MAX_DEPTH: usize = 8;
/// The longest a record's (or a custody event's) fields may be, serialised.
pub const MAX_FIELDS_BYTES: usize = 64 * 1024;
/// The most custody events one record may hold.
pub const MAX_EVENTS: usize = 500;
/// The longest field name.
pub const MAX_FIELD_NAME: usize = 64;

/// What a record describes. Stored as text in `records.kind`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A thing whose history is tracked: a delivery, a lot, an exhibit.
    #[default]
    Item,
    /// A place custody events happen at.
    Location,
    /// An organisation that holds items (a carrier, a supplier, an agency).
    Organisation,
}

impl RecordKind {
    pub const ALL: [RecordKind; 3] = [
        RecordKind::Item,
        RecordKind::Location,
        RecordKind::Organisation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Item => "item",
            RecordKind::Location => "location",
            RecordKind::Organisation => "organisation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl TryFrom<String> for RecordKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("unknown record kind {s:?}"))
    }
}

/// A refusal of record input: which field of the input, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RecordError {
    /// The input field ("fields", "fields.consignee.phone", "events[2].occurred_at", …).
    pub field: String,
    pub message: String,
}

impl RecordError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A key of a record's fields: 1–64 characters, no control characters, and none of
/// `.`, `[`, `]` (which [`FieldPath`] uses to separate keys).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct FieldName(String);

impl FieldName {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("a field name may not be blank".into());
        }
        if s.chars().count() > MAX_FIELD_NAME {
            return Err(format!(
                "a field name is at most {MAX_FIELD_NAME} characters"
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| c.is_control() || matches!(c, '.' | '[' | ']'))
        {
            return Err(format!(
                "a field name may not contain {c:?} (\".\", \"[\" and \"]\" separate the parts of a field path)"
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as organisation rules compare it: case and surrounding spaces ignored.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

/// How rule names and keys are compared: trimmed, lower-case (Unicode), every kind of space
/// and dash as `_`, invisible formatting characters (zero-width spaces and joiners, soft
/// hyphens, byte-order marks) dropped — so `Phone\u{a0}Number`, `phone-number` and
/// `PHONE_NUMBER` are one name.
pub(crate) fn fold(s: &str) -> String {
    let invisible = |c: char| matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}');
    s.chars()
        .filter(|c| !invisible(*c))
        .collect::<String>()
        .trim()
        .chars()
        .flat_map(|c| {
            let dash = matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}');
            if c.is_whitespace() || dash {
                vec!['_']
            } else {
                c.to_lowercase().collect()
            }
        })
        .collect()
}

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    /// `[]`: every element of a list.
    Each,
}

/// A path into a record's fields: keys joined by `.`, `[]` after a key for every element
/// of the list it holds: `consignee.phone`, `items[].serial`. Its text form is canonical
/// (parse ∘ to_string is the identity on valid input).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("a field path may not be empty".into());
        }
        let mut segments = Vec::new();
        for part in s.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            let name = FieldName::parse(key).map_err(|e| format!("in {s:?}: {e}"))?;
            segments.push(Segment::Key(name.0));
            while !rest.is_empty() {
                match rest.strip_prefix("[]") {
                    Some(r) => {
                        segments.push(Segment::Each);
                        rest = r;
                    }
                    None => {
                        return Err(format!(
                            "in {s:?}: a list is named with \"[]\" (every element), not {rest:?}"
                        ))
                    }
                }
            }
        }
        // A mark on every element of a list and nothing below is a mark on the list: one
        // way to say it, so that no mark can match nothing.
        if segments.last() == Some(&Segment::Each) {
            return Err(format!(
                "{s:?} ends in \"[]\": to withhold a whole list, name the list ({})",
                s.trim_end_matches("[]")
            ));
        }
        if segments.len() > MAX_DEPTH + 1 {
            return Err(format!("{s:?} is deeper than any field can be"));
        }
        Ok(Self(segments))
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this path reaches at least one value of `root` (a fields object).
    pub fn exists_in(&self, root: &Value) -> bool {
        fn walk(v: &Value, rest: &[Segment]) -> bool {
            match rest.split_first() {
                None => true,
                Some((Segment::Key(k), tail)) => match v {
                    Value::Object(m) => m.get(k).is_some_and(|v| walk(v, tail)),
                    _ => false,
                },
                Some((Segment::Each, tail)) => match v {
                    Value::Array(items) => items.iter().any(|v| walk(v, tail)),
                    _ => false,
                },
            }
        }
        walk(root, &self.0)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            match s {
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Each => f.write_str("[]")?,
            }
            first = false;
        }
        Ok(())
    }
}

impl Serialize for FieldPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FieldPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        FieldPath::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Checks a record's (or a custody event's) fields: an object within the size and depth
/// limits whose every key is a valid [`FieldName`]. `field` names the input in errors.
pub fn check_fields(field: &str, fields: &Value) -> Result<(), RecordError> {
    let Value::Object(map) = fields else {
        return Err(RecordError::new(
            field,
            "must be a JSON object of named fields",
        ));
    };
    let len = serde_json::to_vec(fields)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if len > MAX_FIELDS_BYTES {
        return Err(RecordError::new(
            field,
            format!("is {len} bytes long; the limit is {MAX_FIELDS_BYTES}"),
        ));
    }
    fn walk(at: &str, map: &Map<String, Value>, depth: usize) -> Result<(), RecordError> {
        if depth > MAX_DEPTH {
            return Err(RecordError::new(
                at,
                format!("nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        for (k, v) in map {
            FieldName::parse(k).map_err(|e| RecordError::new(format!("{at}.{k}"), e))?;
            let here = format!("{at}.{k}");
            walk_value(&here, v, depth + 1)?;
        }
        Ok(())
    }
    fn walk_value(at: &str, v: &Value, depth: usize) -> Result<(), RecordError> {
        match v {
            Value::Object(m) => walk(at, m, depth),
            Value::Array(items) => {
                if depth > MAX_DEPTH {
                    return Err(RecordError::new(
                        at,
                        format!("nests deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let here = format!("{at}[]");
                items
                    .iter()
                    .try_for_each(|v| walk_value(&here, v, depth + 1))
            }
            _ => Ok(()),
        }
    }
    walk(field, map, 1)
}

/// A record's type label ("delivery", "lot", "carrier"): 1–64 characters of letters,
/// digits, spaces, `-` and `_`.
pub fn check_record_type(s: &str) -> Result<String, RecordError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 64 {
        return Err(RecordError::new(
            "record_type",
            "a record type is 1 to 64 characters (\"delivery\", \"lot\")",
        ));
    }
    if !t
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
    {
        return Err(RecordError::new(
            "record_type",
            "a record type holds letters, digits, spaces, \"-\" and \"_\" only",
        ));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_paths_round_trip_and_refuse_what_they_cannot_name() {
        for ok in [
            "a",
            "consignee.phone",
            "items[].serial",
            "grid[][].x",
            "Weight kg",
        ] {
            assert_eq!(FieldPath::parse(ok).unwrap().to_string(), ok);
        }
        for bad in [
            "", ".a", "a.", "a..b", "a[0]", "a[", "[]", "a]b", "items[]", "a.b[][]",
        ] {
            assert!(FieldPath::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let e = FieldPath::parse("items[]").unwrap_err();
        assert!(e.contains("name the list"), "{e}");
    }

    #[test]
    fn a_path_exists_when_it_reaches_a_value() {
        let v = json!({"consignee": {"phone": "1"}, "items": [{"serial": "x"}, {}]});
        let yes = ["consignee", "consignee.phone", "items", "items[].serial"];
        for p in yes {
            assert!(FieldPath::parse(p).unwrap().exists_in(&v), "{p}");
        }
        for p in ["phone", "consignee.fax", "items.serial", "consignee[].x"] {
            assert!(!FieldPath::parse(p).unwrap().exists_in(&v), "{p}");
        }
    }

    #[test]
    fn fields_must_be_a_bounded_object_of_named_keys() {
        assert!(check_fields("fields", &json!({"a": {"b": [1, {"c": null}]}})).is_ok());
        let e = check_fields("fields", &json!([1])).unwrap_err();
        assert_eq!(e.field, "fields");
        let e = check_fields("fields", &json!({"a": {"b.c": 1}})).unwrap_err();
        assert_eq!(e.field, "fields.a.b.c");
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH + 1 {
            deep = json!({ "k": deep });
        }
        assert!(check_fields("fields", &deep)
            .unwrap_err()
            .message
            .contains("deeper"));
        let big = json!({ "k": "x".repeat(MAX_FIELDS_BYTES) });
        assert!(check_fields("fields", &big)
            .unwrap_err()
            .message
            .contains("bytes"));
    }

    #[test]
    fn names_fold_across_case_spaces_dashes_and_invisible_characters() {
        let same = [
            "phone number",
            "Phone\u{a0}Number",
            "PHONE-NUMBER",
            "phone\u{200b}_number",
            "\u{feff}Phone\u{2011}number ",
        ];
        for s in same {
            assert_eq!(fold(s), "phone_number", "{s:?}");
        }
        assert_eq!(fold("TÉLÉPHONE"), fold("téléphone"));
    }

    #[test]
    fn record_types_are_short_labels() {
        assert_eq!(check_record_type(" delivery ").unwrap(), "delivery");
        assert!(check_record_type("").is_err());
        assert!(check_record_type("<b>").is_err());
    }
}
