//! Fields that look sensitive: the share form warns when a record carrying one is about to
//! be shared with nothing redacted. A heuristic, by name and by value; it never withholds
//! anything itself.

use serde_json::Value;

use super::{fold, FieldPath, Segment};

/// Folded name fragments that suggest personal or secret data.
const NAMES: [&str; 30] = [
    "ssn",
    "social_security",
    "national_id",
    "passport",
    "birth",
    "dob",
    "phone",
    "mobile",
    "email",
    "e_mail",
    "address",
    "street",
    "postcode",
    "zip",
    "iban",
    "account",
    "card",
    "password",
    "secret",
    "token",
    "salary",
    "tax",
    "medical",
    "health",
    "diagnosis",
    "religion",
    "ethnic",
    "informant",
    "source_name",
    "licence",
];

fn name_looks_sensitive(key: &str) -> bool {
    let f = fold(key);
    NAMES.iter().any(|n| f.contains(n)) || f.contains("license")
}

fn value_looks_sensitive(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let s = s.trim();
    let email = s.contains('@')
        && s.rsplit('@').next().is_some_and(|d| d.contains('.'))
        && !s.contains(' ');
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let phone = digits >= 9
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    email || phone
}

/// The paths of `fields` that look sensitive, by key name or by value, in path order.
pub fn sensitive_paths(fields: &Value) -> Vec<FieldPath> {
    fn walk(v: &Value, at: &mut Vec<Segment>, out: &mut Vec<FieldPath>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    at.push(Segment::Key(k.clone()));
                    if name_looks_sensitive(k) || value_looks_sensitive(v) {
                        out.push(FieldPath(at.clone()));
                    } else {
                        walk(v, at, out);
                    }
                    at.pop();
                }
            }
            Value::Array(items) => {
                at.push(Segment::Each);
                for v in items {
                    walk(v, at, out);
                }
                at.pop();
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(fields, &mut Vec::new(), &mut out);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_values_that_look_personal_are_flagged() {
        let f = json!({
            "weight_kg": 12,
            "Contact Phone": "n/a",
            "consignee": {"name": "Port", "reach": "ops@port.example"},
            "people": [{"Date of Birth": "1990-01-01"}, {"note": "+44 20 7946 0958"}],
            "batch": "2026-11-30"
        });
        let got: Vec<String> = sensitive_paths(&f).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            got,
            [
                "Contact Phone",
                "consignee.reach",
                "people[].Date of Birth",
                "people[].note"
            ]
        );
    }
}
