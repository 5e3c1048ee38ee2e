/// The languages SafeCert speaks. zh-CN is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    ZhCn,
    En,
    Ug,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::ZhCn, Locale::En, Locale::Ug];

    pub fn parse(tag: &str) -> Option<Self> {
        match tag {
            "zh-CN" => Some(Self::ZhCn),
            "en" => Some(Self::En),
            "ug" => Some(Self::Ug),
            _ => None,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
            Self::Ug => "ug",
        }
    }

    /// The language's own name, for a language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::ZhCn => "中文",
            Self::En => "English",
            Self::Ug => "ئۇيغۇرچە",
        }
    }

    pub fn is_rtl(self) -> bool {
        matches!(self, Self::Ug)
    }
}
