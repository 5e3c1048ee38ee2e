//! Certificate search: filters, the part of the tenant the caller may
//! cover, sorting and pages, in one query on either backend. Names within
//! one edit are found with the same patterns on both (`LIKE` on
//! PostgreSQL, case-sensitive `GLOB` on SQLite); PostgreSQL first narrows
//! the candidates through its GIN index of name variants.

use chrono::NaiveDate;
use safecert_domain::{NameMatch, Piece, TenantSlug};
use sea_orm::{
    ConnectionTrait, FromQueryResult,
    sea_query::{Cond, Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement, SimpleExpr},
};

use crate::{
    Backend, CertificateRecord, CertificateStore, StorageError,
    record::CertificateRow,
    schema::{Certificates, RECORD_COLUMNS},
};

/// One slice of a tenant a query may cover; every set field must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReachSlice {
    pub region_prefix: Option<String>,
    pub employer_uscc: Option<String>,
    /// The department names (of that enterprise) the slice covers.
    pub departments: Option<Vec<String>>,
    pub holder_index: Option<String>,
}

/// What a caller's query may cover: the whole tenant, or the union of
/// slices, minus the excepted ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub whole_tenant: bool,
    pub slices: Vec<ReachSlice>,
    pub except: Vec<ReachSlice>,
}

/// The filters of a search; each one set narrows it.
#[derive(Clone, Debug, Default)]
pub struct CertificateQuery {
    /// Holder names within one edit of the name searched for.
    pub name: Option<NameMatch>,
    /// The searched name's variants ([`safecert_domain::variants`]).
    pub name_variants: Vec<String>,
    pub holder_index: Option<String>,
    pub employer_uscc: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub industry: Option<String>,
    pub cert_type: Option<String>,
    pub issue_year: Option<i32>,
    /// The status the nightly scan stored.
    pub status: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    CertNo,
    HolderName,
    IssueDate,
    ExpiryDate,
}

/// Which page, in which order.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub sort: SortBy,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
}

/// One page of a search.
#[derive(Clone, Debug)]
pub struct Found {
    /// How many certificates match in all.
    pub total: u64,
    pub records: Vec<CertificateRecord>,
}

/// Text for a `LIKE … ESCAPE '!'` pattern.
fn like_escape(text: &str) -> String {
    text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
        out
    })
}

fn glob_escape(text: &str) -> String {
    text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
        out
    })
}

fn column_name(column: Certificates) -> &'static str {
    match column {
        Certificates::CertNo => "cert_no",
        _ => "holder_name",
    }
}

/// The column compared byte by byte (PostgreSQL's "C" collation, SQLite's
/// BINARY): what the prefix indexes are built on, whatever the database's
/// own collation, and the same order on both backends.
fn bytewise(backend: Backend, column: Certificates) -> SimpleExpr {
    match backend {
        Backend::Postgres => Expr::cust(format!("\"{}\" COLLATE \"C\"", column_name(column))),
        Backend::Sqlite => Expr::col(column),
    }
}

/// `column` matches `pieces`, where the last piece may be "anything".
fn pattern(backend: Backend, column: Certificates, pieces: &[Piece], open_end: bool) -> SimpleExpr {
    let name = column_name(column);
    match backend {
        Backend::Postgres => {
            let mut p: String = pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Text(t) => like_escape(t),
                    Piece::AnyOne => "_".to_owned(),
                })
                .collect();
            if open_end {
                p.push('%');
            }
            Expr::cust_with_values(format!("\"{name}\" COLLATE \"C\" LIKE $1 ESCAPE '!'"), [p])
        }
        Backend::Sqlite => {
            let mut p: String = pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Text(t) => glob_escape(t),
                    Piece::AnyOne => "?".to_owned(),
                })
                .collect();
            if open_end {
                p.push('*');
            }
            Expr::cust_with_values(format!("\"{name}\" GLOB ?"), [p])
        }
    }
}

fn name_condition(backend: Backend, m: &NameMatch, variants: &[String]) -> SimpleExpr {
    let mut any = Cond::any().add(Expr::col(Certificates::HolderName).is_in(m.exact.iter().map(String::as_str)));
    for p in &m.patterns {
        any = any.add(pattern(backend, Certificates::HolderName, p, false));
    }
    let mut all = Cond::all().add(any);
    if backend == Backend::Postgres && !variants.is_empty() {
        // Implied by the patterns; there so the GIN index is used.
        // PostgreSQL placeholders number this expression's own values.
        let marks = (1..=variants.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        all = all.add(Expr::cust_with_values(
            format!("platform.name_variants(\"holder_name\") && ARRAY[{marks}]::text[]"),
            variants.iter().map(String::as_str),
        ));
    }
    all.into()
}

fn slice_condition(slice: &ReachSlice) -> SimpleExpr {
    let mut all = Cond::all();
    if let Some(prefix) = &slice.region_prefix {
        all = all.add(
            Expr::col(Certificates::RegionCode).like(LikeExpr::new(format!("{}%", like_escape(prefix))).escape('\\')),
        );
    }
    if let Some(uscc) = &slice.employer_uscc {
        all = all.add(Expr::col(Certificates::EmployerUscc).eq(uscc.as_str()));
    }
    if let Some(departments) = &slice.departments {
        all = all.add(Expr::col(Certificates::Department).is_in(departments.iter().map(String::as_str)));
    }
    if let Some(holder) = &slice.holder_index {
        all = all.add(Expr::col(Certificates::IdIndex).eq(holder.as_str()));
    }
    all.into()
}

fn reach_condition(reach: &Reach) -> Cond {
    let mut all = Cond::all();
    if !reach.whole_tenant {
        let mut any = Cond::any();
        for slice in &reach.slices {
            any = any.add(slice_condition(slice));
        }
        // No slices: nothing (an empty `any` would be true).
        all = all.add(if reach.slices.is_empty() { Expr::val(1).eq(0) } else { any.into() });
    }
    for slice in &reach.except {
        all = all.add(slice_condition(slice).not());
    }
    all
}

fn query_condition(backend: Backend, q: &CertificateQuery) -> Cond {
    let mut all = Cond::all();
    if let Some(m) = &q.name {
        all = all.add(name_condition(backend, m, &q.name_variants));
    }
    let exact = [
        (Certificates::IdIndex, &q.holder_index),
        (Certificates::EmployerUscc, &q.employer_uscc),
        (Certificates::Department, &q.department),
        (Certificates::Position, &q.position),
        (Certificates::Industry, &q.industry),
        (Certificates::CertType, &q.cert_type),
        (Certificates::Status, &q.status),
    ];
    for (column, value) in exact {
        if let Some(v) = value {
            all = all.add(Expr::col(column).eq(v.as_str()));
        }
    }
    if let Some(year) = q.issue_year {
        let (from, to) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year + 1, 1, 1));
        match (from, to) {
            (Some(from), Some(to)) => {
                all = all
                    .add(Expr::col(Certificates::IssueDate).gte(from))
                    .add(Expr::col(Certificates::IssueDate).lt(to));
            }
            _ => all = all.add(Expr::val(1).eq(0)),
        }
    }
    all
}

impl CertificateStore {
    /// One page of the certificates of `tenant` that match `q` within
    /// `reach`, sorted (ties broken by number), with the total.
    pub async fn search(
        &self,
        tenant: &TenantSlug,
        reach: &Reach,
        q: &CertificateQuery,
        page_request: PageRequest,
    ) -> Result<Found, StorageError> {
        let PageRequest { sort, descending, offset, limit } = page_request;
        let scoped = self.databases().tenant(tenant)?;
        let backend = self.databases().backend();
        let filter = |stmt: &mut SelectStatement| {
            stmt.cond_where(reach_condition(reach)).cond_where(query_condition(backend, q));
        };
        let mut count = Query::select()
            .expr_as(Func::count(Expr::col(Certificates::Id)), "n")
            .from(scoped.table(Certificates::Table))
            .to_owned();
        filter(&mut count);
        let total = match scoped.conn.query_one(&count).await? {
            Some(row) => u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0),
            None => 0,
        };
        if total == 0 || offset >= total {
            return Ok(Found { total, records: Vec::new() });
        }
        let order = if descending { Order::Desc } else { Order::Asc };
        // Text sorts byte by byte: the same order on both backends.
        let key = match sort {
            SortBy::CertNo => bytewise(backend, Certificates::CertNo),
            SortBy::HolderName => bytewise(backend, Certificates::HolderName),
            SortBy::IssueDate => Expr::col(Certificates::IssueDate),
            SortBy::ExpiryDate => Expr::col(Certificates::ExpiryDate),
        };
        let mut page = Query::select().columns(RECORD_COLUMNS).from(scoped.table(Certificates::Table)).to_owned();
        filter(&mut page);
        page.order_by_expr(key, order.clone());
        if sort != SortBy::CertNo {
            page.order_by_expr(bytewise(backend, Certificates::CertNo), order);
        }
        page.offset(offset).limit(limit);
        let rows = CertificateRow::find_by_statement(scoped.conn.get_database_backend().build(&page))
            .all(&scoped.conn)
            .await?;
        let records = rows.into_iter().map(CertificateRecord::try_from).collect::<Result<_, _>>()?;
        Ok(Found { total, records })
    }

    /// Up to `limit` certificates within `reach` whose holder name (when
    /// `names`) or number (when `numbers`) starts with `prefix`, names
    /// first, each in byte order.
    pub async fn suggest(
        &self,
        tenant: &TenantSlug,
        reach: &Reach,
        prefix: &str,
        (names, numbers): (bool, bool),
        limit: u64,
    ) -> Result<Vec<CertificateRecord>, StorageError> {
        let scoped = self.databases().tenant(tenant)?;
        let backend = self.databases().backend();
        let start = [Piece::Text(prefix.to_owned())];
        let mut found: Vec<CertificateRecord> = Vec::new();
        let columns = [(Certificates::HolderName, names), (Certificates::CertNo, numbers)];
        for column in columns.into_iter().filter(|(_, wanted)| *wanted).map(|(c, _)| c) {
            let left = limit.saturating_sub(found.len() as u64);
            if left == 0 {
                break;
            }
            let stmt = Query::select()
                .columns(RECORD_COLUMNS)
                .from(scoped.table(Certificates::Table))
                .cond_where(reach_condition(reach))
                .and_where(pattern(backend, column, &start, true))
                .order_by_expr(bytewise(backend, column), Order::Asc)
                .limit(left)
                .to_owned();
            let rows = CertificateRow::find_by_statement(scoped.conn.get_database_backend().build(&stmt))
                .all(&scoped.conn)
                .await?;
            for row in rows {
                let record = CertificateRecord::try_from(row)?;
                if !found.iter().any(|f| f.cert_no == record.cert_no) {
                    found.push(record);
                }
            }
        }
        Ok(found)
    }
}
