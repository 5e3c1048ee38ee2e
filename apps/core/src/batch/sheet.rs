//! Reading an uploaded spreadsheet: .xlsx (and the older .xls) through
//! calamine, .csv in UTF-8 (with or without a byte-order mark) or GBK.
//! What comes out is the sheet's rows of text with their row numbers, never
//! more than [`MAX_ROWS`] of them: a larger file is refused as soon as the
//! reading passes the limit, so memory never grows with the file.

use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Reader, Xls, Xlsx};

/// Rows a batch holds at most, besides its header.
pub const MAX_ROWS: usize = 50_000;
/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Columns read per row; more are ignored.
const MAX_COLUMNS: usize = 26;
/// Characters kept per cell; no field of a batch is longer.
const MAX_CELL_CHARS: usize = 64;
/// What an .xlsx may unpack to: a compressed file that unpacks to more is
/// refused before its contents are read (a "zip bomb").
const MAX_UNPACKED_BYTES: u64 = 400 * 1024 * 1024;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Compound documents: an .xls, or an .xlsx encrypted with a password.
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// One row of the sheet: its number as the spreadsheet shows it (from 1)
/// and its cells as text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SheetRow {
    pub number: u32,
    pub cells: Vec<String>,
}

impl SheetRow {
    pub fn cell(&self, column: usize) -> &str {
        self.cells.get(column).map_or("", |c| c.trim())
    }

    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// Why an upload cannot be read. Each says what to do instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a spreadsheet (.xlsx or .csv)")]
    NotASpreadsheet,
    #[error("the spreadsheet is password-protected or cannot be opened")]
    Protected,
    #[error("the spreadsheet is damaged")]
    Damaged,
    #[error("the file is larger than the limit")]
    TooLarge,
    #[error("the file has more rows than the limit")]
    TooManyRows,
    #[error("the text is neither UTF-8 nor GBK")]
    Encoding,
}

/// The rows of an upload, the header candidate first, blank rows left out.
pub fn read_upload(bytes: &[u8]) -> Result<Vec<SheetRow>, SheetError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(SheetError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SheetError::Empty);
    }
    let mut rows = Rows::default();
    if bytes.starts_with(ZIP_MAGIC) {
        read_xlsx(bytes, &mut rows)?;
    } else if bytes.starts_with(CFB_MAGIC) {
        read_xls(bytes, &mut rows)?;
    } else {
        read_csv(&decode_text(bytes)?, &mut rows)?;
    }
    if rows.rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(rows.rows)
}

/// Collects non-blank rows up to the limit.
#[derive(Default)]
struct Rows {
    rows: Vec<SheetRow>,
}

impl Rows {
    fn push(&mut self, row: SheetRow) -> Result<(), SheetError> {
        if row.is_blank() {
            return Ok(());
        }
        // The header and MAX_ROWS rows under it.
        if self.rows.len() > MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        self.rows.push(row);
        Ok(())
    }
}

fn clip(text: &str) -> String {
    text.trim().chars().take(MAX_CELL_CHARS).collect()
}

/// Whole numbers typed into a number column (certificate numbers without
/// letters) read as they were typed, not as `1.0E+17`.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{f:.0}") } else { f.to_string() }
}

fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => clip(s),
        DataRef::SharedString(s) => clip(s),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.to_string(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

fn data_text(value: &Data) -> String {
    match value {
        Data::Float(f) => number_text(*f),
        other => clip(&other.to_string()),
    }
}

fn read_xlsx(bytes: &[u8], rows: &mut Rows) -> Result<(), SheetError> {
    // What the parts really unpack to, counted before anything is kept
    // (a directory can lie about sizes; the stream cannot).
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Damaged)?;
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(|_| SheetError::Damaged)?;
        let room = MAX_UNPACKED_BYTES - unpacked;
        unpacked +=
            std::io::copy(&mut (&mut part).take(room + 1), &mut std::io::sink()).map_err(|_| SheetError::Damaged)?;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(SheetError::TooLarge);
        }
    }
    drop(archive);
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::Damaged)?;
    let first = book.sheet_names().into_iter().next().ok_or(SheetError::Empty)?;
    let mut cells = book.worksheet_cells_reader(&first).map_err(|_| SheetError::Damaged)?;
    let mut current = SheetRow { number: 0, cells: Vec::new() };
    while let Some(cell) = cells.next_cell().map_err(|_| SheetError::Damaged)? {
        let (row, column) = cell.get_position();
        if row + 1 != current.number {
            rows.push(std::mem::replace(&mut current, SheetRow { number: row + 1, cells: Vec::new() }))?;
        }
        let column = column as usize;
        if column < MAX_COLUMNS {
            if current.cells.len() <= column {
                current.cells.resize(column + 1, String::new());
            }
            current.cells[column] = cell_text(cell.get_value());
        }
    }
    rows.push(current)
}

fn read_xls(bytes: &[u8], rows: &mut Rows) -> Result<(), SheetError> {
    // An .xlsx saved with a password is a compound document too; calamine
    // cannot open it, and neither can anyone without the password.
    let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|_| SheetError::Protected)?;
    let first = book.sheet_names().into_iter().next().ok_or(SheetError::Empty)?;
    let range = book.worksheet_range(&first).map_err(|_| SheetError::Protected)?;
    let (top, _) = range.start().unwrap_or((0, 0));
    for (i, row) in range.rows().enumerate() {
        let cells = row.iter().take(MAX_COLUMNS).map(data_text).collect();
        rows.push(SheetRow { number: top + i as u32 + 1, cells })?;
    }
    Ok(())
}

/// Text in UTF-8 (a byte-order mark dropped) or, failing that, GBK (as
/// Excel in China saves CSV).
fn decode_text(bytes: &[u8]) -> Result<String, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Binary files (an .exe renamed .csv) have NUL bytes; text never does.
    if bytes.contains(&0) {
        return Err(SheetError::NotASpreadsheet);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or(SheetError::Encoding)
}

fn read_csv(text: &str, rows: &mut Rows) -> Result<(), SheetError> {
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter =
        [b',', b'\t', b';'].into_iter().max_by_key(|d| first_line.bytes().filter(|b| b == d).count()).unwrap_or(b',');
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut number = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                number += 1;
                let cells = record.iter().take(MAX_COLUMNS).map(clip).collect();
                rows.push(SheetRow { number, cells })?;
            }
            Err(_) => return Err(SheetError::NotASpreadsheet),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_gbk_reads_as_chinese() {
        let (gbk, _, _) = encoding_rs::GBK.encode("证书编号,姓名\nAQ1,张三\n");
        let rows = read_upload(&gbk).unwrap();
        assert_eq!(rows[0].cells, ["证书编号", "姓名"]);
        assert_eq!(rows[1].cells, ["AQ1", "张三"]);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_header() {
        let rows = read_upload("\u{FEFF}证书编号,姓名\n".as_bytes()).unwrap();
        assert_eq!(rows[0].cell(0), "证书编号");
    }

    #[test]
    fn blank_rows_are_left_out_and_numbers_kept() {
        let rows = read_upload(b"a,b\n,\n1,2\n").unwrap();
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 3]);
    }

    #[test]
    fn binary_files_and_empty_files_are_refused() {
        assert_eq!(read_upload(b"MZ\x90\x00\x03\x00\x00\x00"), Err(SheetError::NotASpreadsheet));
        assert_eq!(read_upload(b"  \n"), Err(SheetError::Empty));
        assert_eq!(read_upload(CFB_MAGIC), Err(SheetError::Protected));
        assert_eq!(read_upload(b"PK\x03\x04garbage"), Err(SheetError::Damaged));
    }

    #[test]
    fn reading_stops_past_the_row_limit() {
        let text: String = (0..=MAX_ROWS + 1).map(|i| format!("{i},x\n")).collect();
        assert_eq!(read_upload(text.as_bytes()), Err(SheetError::TooManyRows));
    }
}
