//! The read behind every cache miss of a lookup: one row by its key (a
//! certificate by its number, a directory entry by its number).
//!
//! Its SQL is joined from a column list written once, not built as a
//! query tree and printed on every miss. On PostgreSQL the row is read by
//! position ([`InOrder`]): sea-orm's reading by name looks each column up
//! by its name, checks its type against a list of names, and writes out a
//! message for every empty column on its way to `None`, which on a
//! lookup's row cost more than the statement's trip to the database.

use sea_orm::{
    DbBackend, Statement,
    sea_query::Iden,
    sqlx::{self, Postgres, Row, postgres::PgRow},
};

use crate::db::Scoped;

/// `"a", "b", "c"`: the columns as a select list.
pub(crate) fn column_list<I: Iden>(columns: &[I]) -> String {
    columns.iter().map(|c| format!("\"{}\"", c.unquoted())).collect::<Vec<_>>().join(", ")
}

/// `SELECT <columns> FROM <table> WHERE "<key>" = <value>`, the value
/// bound, for the scope's backend. Names are ours, never input.
pub(crate) fn by_key(scoped: &Scoped, columns: &str, table: impl Iden, key: impl Iden, value: &str) -> Statement {
    let backend = scoped.conn.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres { "$1" } else { "?" };
    let table = scoped.qualified_name(table.unquoted());
    let sql = ["SELECT ", columns, " FROM ", &table, " WHERE \"", key.unquoted(), "\" = ", placeholder].concat();
    Statement::from_sql_and_values(backend, sql, [value.into()])
}

/// A PostgreSQL row read one column after another, each checked by name:
/// a row type lists its fields in the order its statement selects them,
/// and a statement that selects them otherwise is an error, never a
/// field read into another.
pub(crate) struct InOrder<'r> {
    row: &'r PgRow,
    next: usize,
}

impl<'r> InOrder<'r> {
    pub(crate) fn new(row: &'r PgRow) -> Self {
        Self { row, next: 0 }
    }

    /// The next column, which must be `name`. Its type is the schema's
    /// (sqlx's check of it against type names is skipped); a value that
    /// does not decode as `T` is an error.
    pub(crate) fn take<T: sqlx::Decode<'r, Postgres>>(&mut self, name: &str) -> Result<T, sqlx::Error> {
        let at = self.next;
        if self.row.columns().get(at).map(sqlx::Column::name) != Some(name) {
            return Err(sqlx::Error::ColumnNotFound(format!("{name} as column {at}")));
        }
        self.next += 1;
        self.row.try_get_unchecked(at)
    }
}

/// A row type that can also be read by position ([`InOrder`]).
pub(crate) trait ReadInOrder: sea_orm::FromQueryResult {
    fn read_in_order(row: &mut InOrder<'_>) -> Result<Self, sqlx::Error>;
}

/// Declares a row type read by name (sea-orm) and by position, its
/// fields in the order of its select list.
macro_rules! row_in_order {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(sea_orm::FromQueryResult)]
        $vis struct $name { $($field: $ty),* }

        impl $crate::point_read::ReadInOrder for $name {
            fn read_in_order(
                row: &mut $crate::point_read::InOrder<'_>,
            ) -> Result<Self, sea_orm::sqlx::Error> {
                Ok(Self { $($field: row.take(stringify!($field))?),* })
            }
        }
    };
}
pub(crate) use row_in_order;
