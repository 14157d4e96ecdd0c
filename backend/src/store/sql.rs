//! A tiny builder for dynamic SQL with numbered `$n` placeholders, which both engines
//! accept through the `Any` driver. Values are always bound, never spliced into the text.

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, Executor};

use super::Result;

pub enum Arg {
    Text(String),
    Int(i64),
}

#[derive(Default)]
pub struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// Appends raw SQL (never user input).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Binds a value and returns its placeholder.
    pub fn arg(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    pub fn text_arg(&mut self, value: impl Into<String>) -> String {
        self.arg(Arg::Text(value.into()))
    }

    pub fn int_arg(&mut self, value: i64) -> String {
        self.arg(Arg::Int(value))
    }

    /// The statement with its arguments bound, to execute.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query::<Any>(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }

    pub fn query_as<'q, O>(&'q self) -> QueryAs<'q, Any, O, AnyArguments<'q>>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as::<Any, O>(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

/// Runs `select` — `$1` the organisation, `{ids}` where the list goes — over `ids`, 500 at
/// a time (the engines' limits on bound values), and gathers the rows.
pub(crate) async fn for_ids<'e, E, O>(
    db: E,
    org_id: &str,
    ids: &[&str],
    select: &str,
) -> Result<Vec<O>>
where
    E: Executor<'e, Database = sqlx::Any> + Copy,
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = (2..chunk.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = select.replace("{ids}", &marks);
        let mut q = sqlx::query_as(&sql).bind(org_id);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(db).await?);
    }
    Ok(out)
}
