//! Checking a batch's rows against the national directory: a thousand
//! numbers per read, each row's status from its province's rules.

use std::collections::HashMap;

use chrono::NaiveDate;
use safecert_domain::{CertNo, HolderName, IdNumber, Status, TenantSlug};
use serde::{Deserialize, Serialize};

use super::{columns::Columns, sheet::SheetRow};
use crate::{Platform, entry_facts, verify::same_name};

/// Rows checked per round of reads.
pub const CHUNK: usize = 1_000;

/// What a row came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Valid,
    Expiring,
    Expired,
    Revoked,
    Suspended,
    NotFound,
    Mismatch,
    /// The row itself has a problem (see its reason).
    Invalid,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::Valid,
        Outcome::Expiring,
        Outcome::Expired,
        Outcome::Revoked,
        Outcome::Suspended,
        Outcome::NotFound,
        Outcome::Mismatch,
        Outcome::Invalid,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Expiring => "expiring",
            Outcome::Expired => "expired",
            Outcome::Revoked => "revoked",
            Outcome::Suspended => "suspended",
            Outcome::NotFound => "not_found",
            Outcome::Mismatch => "mismatch",
            Outcome::Invalid => "invalid",
        }
    }

    fn of(status: Status) -> Self {
        match status {
            Status::Valid => Outcome::Valid,
            Status::Expiring => Outcome::Expiring,
            Status::Expired => Outcome::Expired,
            Status::Revoked => Outcome::Revoked,
            Status::Suspended => Outcome::Suspended,
        }
    }
}

/// Why a row is invalid, not found or a mismatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    MissingNumber,
    MalformedNumber,
    MissingName,
    MalformedName,
    MalformedIdNumber,
    UnknownNumber,
    NameDiffers,
    IdNumberDiffers,
}

impl Reason {
    pub const ALL: [Reason; 8] = [
        Reason::MissingNumber,
        Reason::MalformedNumber,
        Reason::MissingName,
        Reason::MalformedName,
        Reason::MalformedIdNumber,
        Reason::UnknownNumber,
        Reason::NameDiffers,
        Reason::IdNumberDiffers,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::MissingNumber => "missing_number",
            Reason::MalformedNumber => "malformed_number",
            Reason::MissingName => "missing_name",
            Reason::MalformedName => "malformed_name",
            Reason::MalformedIdNumber => "malformed_id_number",
            Reason::UnknownNumber => "unknown_number",
            Reason::NameDiffers => "name_differs",
            Reason::IdNumberDiffers => "id_number_differs",
        }
    }
}

/// One row's result. The number and name are as uploaded (the uploader's
/// own data); the ID number is never kept in a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    pub row: u32,
    pub cert_no: String,
    pub name: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The province that issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<NaiveDate>,
}

/// A row that parsed, waiting for the directory.
struct Parsed {
    index: usize,
    no: String,
    name: String,
    id_index: Option<String>,
}

impl Platform {
    /// Checks rows (at most [`CHUNK`] at a time is best) as of `today`.
    pub(crate) async fn check_rows(
        &self,
        rows: &[SheetRow],
        columns: &Columns,
        today: NaiveDate,
    ) -> Result<Vec<RowResult>, super::BatchError> {
        let mut results: Vec<RowResult> = rows
            .iter()
            .map(|row| RowResult {
                row: row.number,
                cert_no: row.cell(columns.cert_no).to_owned(),
                name: row.cell(columns.name).to_owned(),
                outcome: Outcome::Invalid,
                reason: None,
                province: None,
                expiry_date: None,
            })
            .collect();
        let mut parsed = Vec::with_capacity(rows.len());
        for (index, row) in rows.iter().enumerate() {
            match self.parse_row(row, columns) {
                Ok((no, name, id_index)) => parsed.push(Parsed { index, no, name, id_index }),
                Err(reason) => results[index].reason = Some(reason),
            }
        }
        let numbers: Vec<String> = parsed.iter().map(|p| p.no.clone()).collect();
        let entries = self.store.public_entries(&numbers).await?;
        // The ID numbers given are compared through the blind index, read
        // from each province that holds a number with one.
        let mut by_tenant: HashMap<TenantSlug, Vec<String>> = HashMap::new();
        for p in parsed.iter().filter(|p| p.id_index.is_some()) {
            if let Some(entry) = entries.get(&p.no) {
                by_tenant.entry(entry.tenant.clone()).or_default().push(p.no.clone());
            }
        }
        let mut holder_keys = HashMap::new();
        for (tenant, numbers) in &by_tenant {
            holder_keys.extend(self.store.holder_indexes(tenant, numbers).await?);
        }
        for p in parsed {
            let result = &mut results[p.index];
            let entry = entries.get(&p.no).filter(|e| self.tenant(&e.tenant).is_some());
            let rules = entry.and_then(|e| self.rules.get(&e.tenant));
            let (Some(entry), Some(rules)) = (entry, rules) else {
                result.outcome = Outcome::NotFound;
                result.reason = Some(Reason::UnknownNumber);
                continue;
            };
            result.province = Some(entry.tenant.to_string());
            if !same_name(&entry.holder_name, &p.name) {
                result.outcome = Outcome::Mismatch;
                result.reason = Some(Reason::NameDiffers);
                continue;
            }
            if p.id_index.as_ref().is_some_and(|given| holder_keys.get(&p.no) != Some(given)) {
                result.outcome = Outcome::Mismatch;
                result.reason = Some(Reason::IdNumberDiffers);
                continue;
            }
            let outcome = rules.outcome_cached(&entry_facts(entry), today)?;
            result.outcome = Outcome::of(outcome.status);
            result.expiry_date = Some(outcome.expiry);
        }
        Ok(results)
    }

    /// A row's number, name and the blind index of its ID number, or why
    /// the row cannot be checked.
    fn parse_row(&self, row: &SheetRow, columns: &Columns) -> Result<(String, String, Option<String>), Reason> {
        let no = row.cell(columns.cert_no);
        if no.is_empty() {
            return Err(Reason::MissingNumber);
        }
        let no = CertNo::parse(no).map_err(|_| Reason::MalformedNumber)?;
        let name = row.cell(columns.name);
        if name.is_empty() {
            return Err(Reason::MissingName);
        }
        let name = HolderName::parse(name).map_err(|_| Reason::MalformedName)?;
        let id_index = match columns.id_number.map(|c| row.cell(c)).filter(|id| !id.is_empty()) {
            Some(id) => {
                let id = IdNumber::parse(id).map_err(|_| Reason::MalformedIdNumber)?;
                Some(self.store.holder_index(&id))
            }
            None => None,
        };
        Ok((no.as_str().to_owned(), name.expose().to_owned(), id_index))
    }
}
