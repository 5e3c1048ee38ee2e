//! Which column holds what: recognized from the header row (in Chinese or
//! English), or given by the uploader when the headers are their own.

use serde::{Deserialize, Serialize};

use super::sheet::SheetRow;

/// Where a batch's fields are, by column (from 0), and whether the first
/// row is a header to skip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Columns {
    pub cert_no: usize,
    pub name: usize,
    pub id_number: Option<usize>,
    pub header: bool,
}

const CERT_NO: &[&str] = &[
    "证书编号",
    "证书号",
    "证书号码",
    "证号",
    "合格证编号",
    "证书",
    "certificateno",
    "certificatenumber",
    "certno",
    "certnumber",
    "certificate",
];
const NAME: &[&str] = &["姓名", "持证人", "持证人姓名", "名字", "name", "holdername", "holder", "fullname"];
const ID_NUMBER: &[&str] = &[
    "身份证号",
    "身份证号码",
    "身份证",
    "公民身份号码",
    "证件号码",
    "证件号",
    "idnumber",
    "idno",
    "id",
    "idcard",
    "idcardnumber",
];

/// A header as compared: lower case, without spaces, punctuation or the
/// marks people add (`*姓名`, `Name:`, `证书编号（必填）`).
fn key(header: &str) -> String {
    let header = header.split(['(', '（']).next().unwrap_or(header);
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn position(header: &SheetRow, names: &[&str]) -> Option<usize> {
    header.cells.iter().position(|h| names.contains(&key(h).as_str()))
}

impl Columns {
    /// The columns named by a header row, when it names at least the
    /// certificate number and the name.
    pub fn recognize(header: &SheetRow) -> Option<Self> {
        let cert_no = position(header, CERT_NO)?;
        let name = position(header, NAME)?;
        let id_number = position(header, ID_NUMBER);
        (cert_no != name && id_number.is_none_or(|i| i != cert_no && i != name)).then_some(Self {
            cert_no,
            name,
            id_number,
            header: true,
        })
    }

    /// A mapping given by letters (`A`, `B`, … as the spreadsheet shows
    /// them), checked against the sheet's width.
    pub fn from_letters(
        cert_no: &str,
        name: &str,
        id_number: Option<&str>,
        header: bool,
        width: usize,
    ) -> Result<Self, MappingError> {
        let column = |letters: &str| {
            column_index(letters).filter(|&i| i < width).ok_or_else(|| MappingError::UnknownColumn(letters.to_owned()))
        };
        let cert_no = column(cert_no)?;
        let name = column(name)?;
        let id_number = id_number.filter(|l| !l.trim().is_empty()).map(column).transpose()?;
        if cert_no == name || id_number.is_some_and(|i| i == cert_no || i == name) {
            return Err(MappingError::SameColumn);
        }
        Ok(Self { cert_no, name, id_number, header })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("the sheet has no column {0}")]
    UnknownColumn(String),
    #[error("one column cannot hold two fields")]
    SameColumn,
}

/// `A` → 0, `Z` → 25, `AA` → 26.
pub fn column_index(letters: &str) -> Option<usize> {
    let letters = letters.trim();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters
        .chars()
        .try_fold(0usize, |n, c| {
            let c = c.to_ascii_uppercase();
            c.is_ascii_uppercase().then(|| n * 26 + (c as usize - 'A' as usize + 1))
        })
        .map(|n| n - 1)
}

/// 0 → `A`, 26 → `AA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> SheetRow {
        SheetRow { number: 1, cells: cells.iter().map(|c| c.to_string()).collect() }
    }

    #[test]
    fn chinese_and_english_headers_are_recognized() {
        let zh = Columns::recognize(&header(&["序号", "*姓名", "身份证号码", "证书编号（必填）"])).unwrap();
        assert_eq!((zh.cert_no, zh.name, zh.id_number), (3, 1, Some(2)));
        let en = Columns::recognize(&header(&["Certificate No.", "Holder Name"])).unwrap();
        assert_eq!((en.cert_no, en.name, en.id_number), (0, 1, None));
    }

    #[test]
    fn headers_of_their_own_need_a_mapping() {
        assert_eq!(Columns::recognize(&header(&["工号", "员工", "备注"])), None);
        let mapped = Columns::from_letters("c", "B", None, true, 3).unwrap();
        assert_eq!((mapped.cert_no, mapped.name), (2, 1));
        assert_eq!(Columns::from_letters("D", "B", None, true, 3), Err(MappingError::UnknownColumn("D".into())));
        assert_eq!(Columns::from_letters("A", "A", None, true, 3), Err(MappingError::SameColumn));
    }

    #[test]
    fn column_letters_round_trip() {
        for i in [0, 1, 25, 26, 27, 51, 52, 701] {
            assert_eq!(column_index(&column_letters(i)), Some(i));
        }
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_index("1"), None);
    }
}
