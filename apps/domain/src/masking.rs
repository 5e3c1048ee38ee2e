/// Masks a holder's name the way Chinese public notices do: `张*三`,
/// `欧**峰`, `李*`; a one-character name becomes `*`.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.as_slice() {
        [] => String::new(),
        [_] => "*".to_owned(),
        [first, _] => format!("{first}*"),
        [first, middle @ .., last] => {
            let mut out = String::with_capacity(name.len());
            out.push(*first);
            out.extend(std::iter::repeat_n('*', middle.len()));
            out.push(*last);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_name_length() {
        let cases = [
            ("", ""),
            ("王", "*"),
            ("李四", "李*"),
            ("张小三", "张*三"),
            ("欧阳修峰", "欧**峰"),
            ("Ali Wang", "A******g"),
        ];
        for (name, masked) in cases {
            assert_eq!(mask_name(name), masked, "masking {name:?}");
        }
    }
}
