//! Realistic pieces of synthetic certificates: names, ID numbers,
//! employers, certificate kinds.

use chrono::{Datelike, NaiveDate};
use safecert_domain::{IdNumber, RegionCode, Uscc};

use super::{Rng, SeedError};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
    "蒋", "蔡", "欧阳", "司马", "诸葛",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "建国", "志强", "海燕", "红梅", "晓东", "文博", "子涵", "浩然", "雨轩", "思远", "国庆",
    "春生", "玉兰",
];
const CITY_WORDS: &[&str] =
    &["华安", "恒泰", "安顺", "中诚", "宏远", "鑫源", "瑞丰", "永固", "泰和", "新能", "长盛", "金石"];
const BUSINESS: &[&str] =
    &["矿业", "化工", "建设工程", "物流", "冶金", "烟花爆竹", "运输", "机械制造", "燃气", "电力工程"];
pub const DEPARTMENTS: &[&str] =
    &["安全环保部", "生产技术部", "设备管理部", "工程部", "运输部", "综合办公室", "质量安全部"];
pub const INDUSTRIES: &[&str] = &["非煤矿山", "危险化学品", "烟花爆竹", "金属冶炼", "建筑施工", "道路运输", "其他"];
pub const COURSES: &[&str] =
    &["安全生产法律法规", "安全生产管理知识", "事故应急救援", "职业危害防治", "重大危险源管理", "安全技术与隐患排查"];
const SPECIAL_OPERATIONS: &[&str] =
    &["电工作业", "焊接与热切割作业", "高处作业", "制冷与空调作业", "危险化学品安全作业"];

#[derive(Clone, Debug)]
pub struct Employer {
    pub uscc: Uscc,
    pub name: String,
}

/// A kind of certificate: its type name and whether its number is the
/// holder's ID number prefixed with `T` (special operations).
pub struct CertKind {
    pub cert_type: &'static str,
    pub number_is_id: bool,
    positions: &'static [&'static str],
}

impl CertKind {
    pub fn position(&self, rng: &mut Rng) -> &'static str {
        pick(rng, self.positions)
    }
}

const KINDS: [CertKind; 3] = [
    CertKind {
        cert_type: "主要负责人安全生产知识和管理能力考核合格证",
        number_is_id: false,
        positions: &["主要负责人"],
    },
    CertKind {
        cert_type: "安全生产管理人员安全生产知识和管理能力考核合格证",
        number_is_id: false,
        positions: &["安全生产管理人员", "安全管理员", "安全总监"],
    },
    CertKind { cert_type: "特种作业操作证", number_is_id: true, positions: SPECIAL_OPERATIONS },
];

pub fn cert_kind(rng: &mut Rng) -> &'static CertKind {
    match rng.below(100) {
        0..35 => &KINDS[0],
        35..80 => &KINDS[1],
        _ => &KINDS[2],
    }
}

pub fn pick<T: Copy>(rng: &mut Rng, from: &[T]) -> T {
    from[rng.below(from.len() as u64) as usize]
}

pub fn name(rng: &mut Rng) -> String {
    let mut name = pick(rng, SURNAMES).to_owned();
    name.push_str(pick(rng, GIVEN));
    if rng.below(3) == 0 {
        name.push_str(pick(rng, GIVEN));
    }
    name
}

/// A valid ID number for someone born in the region between 1962 and
/// 2002 (aged 24 to 64 on `as_of`).
pub fn id_number(rng: &mut Rng, region: &RegionCode, as_of: NaiveDate) -> Result<IdNumber, SeedError> {
    let year = as_of.year() - 24 - rng.below(40) as i32;
    let birth = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(as_of) + chrono::TimeDelta::days(rng.below(365) as i64);
    let body = format!("{}{}{:03}", region.as_str(), birth.format("%Y%m%d"), rng.below(1000));
    let check = IdNumber::check_char(body.as_bytes()) as char;
    Ok(IdNumber::parse(&format!("{body}{check}"))?)
}

const USCC_BODY: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

pub fn employer(rng: &mut Rng, province: &RegionCode) -> Result<Employer, SeedError> {
    let prov = &province.as_str()[..2];
    let org: String = (0..9).map(|_| USCC_BODY[rng.below(31) as usize] as char).collect();
    let body = format!("91{prov}{:02}{:02}{org}", 1 + rng.below(9), rng.below(10));
    let check = Uscc::check_char(body.as_bytes()).map(char::from).unwrap_or('0');
    let uscc = Uscc::parse(&format!("{body}{check}"))?;
    let name = format!("{}{}有限公司", pick(rng, CITY_WORDS), pick(rng, BUSINESS));
    Ok(Employer { uscc, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_numbers_pass_their_standards() {
        let mut rng = Rng::new(42);
        let region = RegionCode::parse("440305").unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        for _ in 0..1000 {
            id_number(&mut rng, &region, as_of).unwrap();
            employer(&mut rng, &region).unwrap();
        }
    }
}
