//! Names that differ by at most one character: one wrong, one missing or
//! one extra. A search for 张三丰 finds 张三峰, 张丰 and 张三三丰, and
//! nothing further away.
//!
//! The match is written as patterns of literal text and single-character
//! gaps, which every SQL backend can run (`LIKE` with `_`, `GLOB` with
//! `?`), so the embedded database and PostgreSQL give the same answers.
//! [`variants`] is the name with each character left out in turn, plus the
//! name itself: two names within one edit always share a variant, which
//! lets PostgreSQL narrow the candidates with an index first.

/// A piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// Exactly one character, any.
    AnyOne,
}

/// What a name search looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameMatch {
    /// Names equal to one of these.
    pub exact: Vec<String>,
    /// Names matching one of these patterns.
    pub patterns: Vec<Vec<Piece>>,
}

/// Names shorter than this are matched exactly: one edit away from a
/// single character is almost every short name.
pub const MIN_FUZZY_CHARS: usize = 2;

/// The names within one edit of `name`.
pub fn within_one_edit(name: &str) -> NameMatch {
    let chars: Vec<char> = name.chars().collect();
    let text = |cs: &[char]| cs.iter().collect::<String>();
    if chars.len() < MIN_FUZZY_CHARS {
        return NameMatch { exact: vec![name.to_owned()], patterns: Vec::new() };
    }
    let mut exact = vec![name.to_owned()];
    let mut patterns = Vec::new();
    for i in 0..chars.len() {
        // One missing: the name without its i-th character.
        exact.push(text(&[&chars[..i], &chars[i + 1..]].concat()));
        // One wrong: anything in place of the i-th character.
        patterns.push(gap(text(&chars[..i]), text(&chars[i + 1..])));
    }
    // One extra: anything inserted before the i-th character (or at the end).
    for i in 0..=chars.len() {
        patterns.push(gap(text(&chars[..i]), text(&chars[i..])));
    }
    exact.sort_unstable();
    exact.dedup();
    patterns.dedup();
    NameMatch { exact, patterns }
}

fn gap(before: String, after: String) -> Vec<Piece> {
    let mut pattern = Vec::with_capacity(3);
    if !before.is_empty() {
        pattern.push(Piece::Text(before));
    }
    pattern.push(Piece::AnyOne);
    if !after.is_empty() {
        pattern.push(Piece::Text(after));
    }
    pattern
}

/// The name and the name with each character left out in turn.
pub fn variants(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = vec![name.to_owned()];
    for i in 0..chars.len() {
        out.push(chars[..i].iter().chain(&chars[i + 1..]).collect());
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Levenshtein distance of at most one, directly.
pub fn is_within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let start = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[start..].iter().skip(1).eq(long[start..].iter().skip(1))
    } else {
        short[start..] == long[start + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(m: &NameMatch, name: &str) -> bool {
        fn fits(pattern: &[Piece], name: &[char]) -> bool {
            match pattern.split_first() {
                None => name.is_empty(),
                Some((Piece::AnyOne, rest)) => !name.is_empty() && fits(rest, &name[1..]),
                Some((Piece::Text(t), rest)) => {
                    let t: Vec<char> = t.chars().collect();
                    name.starts_with(&t) && fits(rest, &name[t.len()..])
                }
            }
        }
        let chars: Vec<char> = name.chars().collect();
        m.exact.iter().any(|e| e == name) || m.patterns.iter().any(|p| fits(p, &chars))
    }

    #[test]
    fn one_wrong_missing_or_extra_character_matches_and_two_do_not() {
        let m = within_one_edit("张三丰");
        for near in ["张三丰", "张三峰", "李三丰", "张丰", "三丰", "张三", "张三三丰", "张三丰丰", "小张三丰"]
        {
            assert!(matches(&m, near), "{near}");
        }
        for far in ["张", "李四", "张四峰", "三张丰", "张三丰之子", "丰三张"] {
            assert!(!matches(&m, far), "{far}");
        }
    }

    #[test]
    fn the_patterns_agree_with_the_distance_on_every_short_name() {
        let alphabet = ['张', '三', '丰', '·'];
        let mut names = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> =
                names.iter().flat_map(|n| alphabet.iter().map(move |c| format!("{n}{c}"))).collect();
            names.extend(longer);
            names.sort_unstable();
            names.dedup();
        }
        for query in names.iter().filter(|n| n.chars().count() >= MIN_FUZZY_CHARS) {
            let m = within_one_edit(query);
            let v = variants(query);
            for name in &names {
                let near = is_within_one_edit(query, name);
                assert_eq!(matches(&m, name), near, "{query} ~ {name}");
                if near {
                    assert!(variants(name).iter().any(|x| v.contains(x)), "{query} and {name} share a variant");
                }
            }
        }
    }

    #[test]
    fn a_single_character_is_matched_exactly() {
        let m = within_one_edit("张");
        assert!(matches(&m, "张"));
        assert!(!matches(&m, "张三"));
    }
}
