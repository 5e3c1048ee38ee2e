//! A batch's results as files: a summary and the rows, as .xlsx and as CSV
//! (UTF-8 with a byte-order mark, so Excel in China opens it right). Labels
//! come from the caller's language.

use std::collections::HashMap;

use rust_xlsxwriter::{Color, Format, Workbook, XlsxError};

use super::check::{Outcome, Reason, RowResult};

/// Counts per outcome, in [`Outcome::ALL`] order, and the total.
pub type Summary = std::collections::BTreeMap<String, u32>;

pub fn summarize(results: &[RowResult]) -> Summary {
    let mut summary: Summary = Outcome::ALL.iter().map(|o| (o.code().to_owned(), 0)).collect();
    for r in results {
        *summary.entry(r.outcome.code().to_owned()).or_default() += 1;
    }
    summary.insert("total".to_owned(), results.len() as u32);
    summary
}

/// Labels of a report, in the caller's language: `label("batch-col-row")`,
/// `label("batch-outcome-valid")`, `label("batch-reason-name_differs")`.
pub trait Labels {
    fn label(&self, id: &str) -> String;
}

const COLUMNS: [&str; 7] = ["row", "cert_no", "name", "outcome", "province", "expiry_date", "reason"];

/// Every text a report needs, in one language, owned: the report is drawn
/// away from the threads that answer requests.
pub struct Texts {
    labels: HashMap<String, String>,
    provinces: HashMap<String, String>,
}

impl Texts {
    /// The labels, and the provinces' names by slug.
    pub fn new(labels: &dyn Labels, provinces: HashMap<String, String>) -> Self {
        let fixed = ["batch-sheet-summary", "batch-sheet-rows", "batch-col-count", "batch-total", "batch-counts-only"];
        let ids = fixed
            .iter()
            .map(|id| (*id).to_owned())
            .chain(COLUMNS.iter().map(|c| format!("batch-col-{c}")))
            .chain(Outcome::ALL.iter().map(|o| format!("batch-outcome-{}", o.code())))
            .chain(Reason::ALL.iter().map(|r| format!("batch-reason-{}", r.code())));
        Self {
            labels: ids
                .map(|id| {
                    let text = labels.label(&id);
                    (id, text)
                })
                .collect(),
            provinces,
        }
    }

    fn label(&self, id: &str) -> String {
        self.labels.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    fn province(&self, slug: &str) -> String {
        self.provinces.get(slug).cloned().unwrap_or_else(|| slug.to_owned())
    }
}

/// The cells of a result row as text.
fn cells(r: &RowResult, texts: &Texts) -> [String; 7] {
    [
        r.row.to_string(),
        r.cert_no.clone(),
        r.name.clone(),
        texts.label(&format!("batch-outcome-{}", r.outcome.code())),
        r.province.as_deref().map(|p| texts.province(p)).unwrap_or_default(),
        r.expiry_date.map(|d| d.to_string()).unwrap_or_default(),
        r.reason.map(|why| texts.label(&format!("batch-reason-{}", why.code()))).unwrap_or_default(),
    ]
}

fn fill(outcome: Outcome) -> Option<Color> {
    match outcome {
        Outcome::Valid => Some(Color::RGB(0xC6EFCE)),
        Outcome::Expiring => Some(Color::RGB(0xFFEB9C)),
        Outcome::Expired | Outcome::Revoked | Outcome::Suspended => Some(Color::RGB(0xFFC7CE)),
        Outcome::NotFound | Outcome::Mismatch | Outcome::Invalid => None,
    }
}

/// The workbook: its rows sheet is written row by row through a temporary
/// file, so memory stays flat whatever the number of rows.
pub fn xlsx(summary: &Summary, rows: &[RowResult], counts_only: bool, labels: &Texts) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(labels.label("batch-sheet-summary"))?;
    sheet.write_string_with_format(0, 0, labels.label("batch-col-outcome"), &bold)?;
    sheet.write_string_with_format(0, 1, labels.label("batch-col-count"), &bold)?;
    for (i, outcome) in Outcome::ALL.iter().enumerate() {
        let n = summary.get(outcome.code()).copied().unwrap_or(0);
        sheet.write_string(i as u32 + 1, 0, labels.label(&format!("batch-outcome-{}", outcome.code())))?;
        sheet.write_number(i as u32 + 1, 1, f64::from(n))?;
    }
    let total_row = Outcome::ALL.len() as u32 + 1;
    sheet.write_string_with_format(total_row, 0, labels.label("batch-total"), &bold)?;
    sheet.write_number_with_format(total_row, 1, f64::from(summary.get("total").copied().unwrap_or(0)), &bold)?;
    if counts_only {
        sheet.write_string(total_row + 2, 0, labels.label("batch-counts-only"))?;
    }
    sheet.set_column_width(0, 28)?;

    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(labels.label("batch-sheet-rows"))?;
    sheet.set_freeze_panes(1, 0)?;
    for (c, width) in [8, 22, 12, 14, 14, 12, 36].into_iter().enumerate() {
        sheet.set_column_width(c as u16, width)?;
    }
    for (c, id) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, labels.label(&format!("batch-col-{id}")), &bold)?;
    }
    let formats: Vec<(Outcome, Format)> = Outcome::ALL
        .iter()
        .filter_map(|&o| fill(o).map(|color| (o, Format::new().set_background_color(color))))
        .collect();
    for (i, r) in rows.iter().enumerate() {
        let line = i as u32 + 1;
        for (c, text) in cells(r, labels).iter().enumerate() {
            match formats.iter().find(|(o, _)| *o == r.outcome).filter(|_| c == 3) {
                Some((_, format)) => sheet.write_string_with_format(line, c as u16, text, format)?,
                None => sheet.write_string(line, c as u16, text)?,
            };
        }
    }
    book.save_to_buffer()
}

/// A cell as CSV keeps it: text a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`) is quoted with a leading apostrophe.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

pub fn csv(summary: &Summary, rows: &[RowResult], counts_only: bool, labels: &Texts) -> Result<Vec<u8>, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(&mut out);
        if counts_only {
            w.write_record([labels.label("batch-col-outcome"), labels.label("batch-col-count")])?;
            for outcome in Outcome::ALL {
                let n = summary.get(outcome.code()).copied().unwrap_or(0);
                w.write_record([labels.label(&format!("batch-outcome-{}", outcome.code())), n.to_string()])?;
            }
            w.write_record([labels.label("batch-total"), summary.get("total").copied().unwrap_or(0).to_string()])?;
            w.write_record([labels.label("batch-counts-only")])?;
        }
        if !counts_only || !rows.is_empty() {
            w.write_record(COLUMNS.iter().map(|id| labels.label(&format!("batch-col-{id}"))))?;
        }
        for r in rows {
            w.write_record(cells(r, labels).iter().map(|t| inert(t)))?;
        }
        w.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_run_as_formulas() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("张三"), "张三");
    }
}
