//! A small PDF writer for reports and electronic certificates: text in a
//! CJK TrueType font (subset to the characters used and embedded, with a
//! ToUnicode map so the text can be searched and copied), filled
//! rectangles (status colours, the QR code's modules) and links.

use std::{io::Write, path::Path, sync::Arc};

use flate2::{Compression, write::ZlibEncoder};
use pdf_writer::{
    Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr,
    types::{ActionType, AnnotationType, CidFontType, FontFlags, SystemInfo, UnicodeCmap},
};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// A4, in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

/// Where a CJK font with TrueType outlines is usually installed (the
/// README's set-up installs the first).
const FONT_CANDIDATES: [&str; 3] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no CJK font for PDFs: install fonts-wqy-microhei (the README's set-up does) or set SAFECERT_PDF_FONT")]
    NoFont,
    #[error("the PDF font {0} cannot be used: {1}")]
    BadFont(String, String),
    #[error("cannot subset the PDF font: {0}")]
    Subset(String),
}

/// A font file, read once and shared.
#[derive(Clone)]
pub struct Font {
    data: Arc<Vec<u8>>,
    index: u32,
}

impl Font {
    /// The configured font, or the first of the usual ones that exists.
    pub fn load(configured: Option<&Path>) -> Result<Self, PdfError> {
        let path = match configured {
            Some(path) => path.to_path_buf(),
            None => FONT_CANDIDATES.iter().map(Path::new).find(|p| p.is_file()).ok_or(PdfError::NoFont)?.to_path_buf(),
        };
        let shown = path.display().to_string();
        let data = std::fs::read(&path).map_err(|e| PdfError::BadFont(shown.clone(), e.to_string()))?;
        let font = Self { data: Arc::new(data), index: 0 };
        let face = font.face().map_err(|e| PdfError::BadFont(shown.clone(), e))?;
        if face.glyph_index('证').is_none() || face.tables().glyf.is_none() {
            return Err(PdfError::BadFont(shown, "it needs TrueType outlines and Chinese characters".into()));
        }
        Ok(font)
    }

    fn face(&self) -> Result<Face<'_>, String> {
        Face::parse(&self.data, self.index).map_err(|e| e.to_string())
    }

    /// The width of a text at a size, in points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = self.face() else { return 0.0 };
        let per_unit = size / f32::from(face.units_per_em());
        text.chars()
            .map(|c| {
                let glyph = face.glyph_index(c).unwrap_or(GlyphId(0));
                f32::from(face.glyph_hor_advance(glyph).unwrap_or(0)) * per_unit
            })
            .sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

pub const BLACK: Rgb = Rgb(0.1, 0.1, 0.1);
pub const MUTED: Rgb = Rgb(0.38, 0.38, 0.38);

enum Op {
    Text { x: f32, y: f32, size: f32, color: Rgb, text: String },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
    Link { x: f32, y: f32, w: f32, h: f32, uri: String },
}

/// One page, drawn from its bottom-left corner in points.
#[derive(Default)]
pub struct Page {
    ops: Vec<Op>,
}

impl Page {
    pub fn text(&mut self, x: f32, y: f32, size: f32, color: Rgb, text: impl Into<String>) {
        self.ops.push(Op::Text { x, y, size, color, text: text.into() });
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.ops.push(Op::Rect { x, y, w, h, color });
    }

    /// A clickable area that opens an address.
    pub fn link(&mut self, x: f32, y: f32, w: f32, h: f32, uri: impl Into<String>) {
        self.ops.push(Op::Link { x, y, w, h, uri: uri.into() });
    }
}

/// What the document says about itself.
pub struct Info<'a> {
    pub title: &'a str,
    /// The verification code, also kept as `/SafeCertCode` so a verifier
    /// can name the report an altered copy claims to be.
    pub code: &'a str,
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

const FONT_NAME: Name<'static> = Name(b"SCCJKF+SafeCertCJK");
const FONT_RESOURCE: Name<'static> = Name(b"F1");

/// The document's bytes.
pub fn render(font: &Font, pages: &[Page], info: &Info<'_>) -> Result<Vec<u8>, PdfError> {
    let face = font.face().map_err(|e| PdfError::BadFont("PDF font".into(), e))?;
    // The glyphs used, renumbered for the subset (0 stays .notdef).
    let mut remapper = GlyphRemapper::new();
    let mut used: Vec<(char, u16)> = Vec::new();
    for page in pages {
        for op in &page.ops {
            if let Op::Text { text, .. } = op {
                for c in text.chars() {
                    if !used.iter().any(|(u, _)| *u == c) {
                        let glyph = face.glyph_index(c).map_or(0, |g| g.0);
                        used.push((c, remapper.remap(glyph)));
                    }
                }
            }
        }
    }
    let subset =
        subsetter::subset(&font.data, font.index, &remapper).map_err(|e| PdfError::Subset(format!("{e:?}")))?;
    let cid = |c: char| used.iter().find(|(u, _)| *u == c).map_or(0, |(_, g)| *g);
    let units = f32::from(face.units_per_em());
    let scale = |v: f32| v * 1000.0 / units;

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, type0, cid_font, descriptor, font_file, to_unicode, info_ref) =
        (alloc(), alloc(), alloc(), alloc(), alloc(), alloc(), alloc(), alloc());
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|(p, _)| *p)).count(pages.len() as i32);
    for (page, (page_ref, content_ref)) in pages.iter().zip(&page_refs) {
        let links: Vec<(Ref, &Op)> =
            page.ops.iter().filter(|op| matches!(op, Op::Link { .. })).map(|op| (alloc(), op)).collect();
        let mut writer = pdf.page(*page_ref);
        writer.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(*content_ref);
        writer.resources().fonts().pair(FONT_RESOURCE, type0);
        if !links.is_empty() {
            writer.annotations(links.iter().map(|(r, _)| *r));
        }
        writer.finish();
        for (r, op) in &links {
            if let Op::Link { x, y, w, h, uri } = op {
                let mut annotation = pdf.annotation(*r);
                annotation.subtype(AnnotationType::Link).rect(Rect::new(*x, *y, x + w, y + h));
                annotation.border(0.0, 0.0, 0.0, None);
                annotation.action().action_type(ActionType::Uri).uri(Str(uri.as_bytes()));
            }
        }
        let mut content = Content::new();
        for op in &page.ops {
            match op {
                Op::Rect { x, y, w, h, color } => {
                    content.set_fill_rgb(color.0, color.1, color.2).rect(*x, *y, *w, *h).fill_nonzero();
                }
                Op::Text { x, y, size, color, text } => {
                    let codes: Vec<u8> = text.chars().flat_map(|c| cid(c).to_be_bytes()).collect();
                    content
                        .begin_text()
                        .set_fill_rgb(color.0, color.1, color.2)
                        .set_font(FONT_RESOURCE, *size)
                        .next_line(*x, *y)
                        .show(Str(&codes))
                        .end_text();
                }
                Op::Link { .. } => {}
            }
        }
        pdf.stream(*content_ref, &deflate(&content.finish())).filter(Filter::FlateDecode);
    }

    let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(type0)
        .base_font(FONT_NAME)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    let mut cid_writer = pdf.cid_font(cid_font);
    cid_writer
        .subtype(CidFontType::Type2)
        .base_font(FONT_NAME)
        .system_info(system)
        .font_descriptor(descriptor)
        .default_width(1000.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut widths = cid_writer.widths();
    for (c, new_glyph) in &used {
        let glyph = face.glyph_index(*c).unwrap_or(GlyphId(0));
        widths.consecutive(*new_glyph, [scale(f32::from(face.glyph_hor_advance(glyph).unwrap_or(0)))]);
    }
    widths.finish();
    cid_writer.finish();
    let bbox = face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(FONT_NAME)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            scale(f32::from(bbox.x_min)),
            scale(f32::from(bbox.y_min)),
            scale(f32::from(bbox.x_max)),
            scale(f32::from(bbox.y_max)),
        ))
        .italic_angle(0.0)
        .ascent(scale(f32::from(face.ascender())))
        .descent(scale(f32::from(face.descender())))
        .cap_height(scale(f32::from(face.capital_height().unwrap_or(face.ascender()))))
        .stem_v(80.0)
        .font_file2(font_file);
    pdf.stream(font_file, &deflate(&subset)).filter(Filter::FlateDecode);
    let mut cmap = UnicodeCmap::new(Name(b"SafeCert-UTF16"), system);
    for (c, new_glyph) in &used {
        cmap.pair(*new_glyph, *c);
    }
    pdf.stream(to_unicode, &cmap.finish());
    let mut doc_info = pdf.document_info(info_ref);
    doc_info.title(TextStr(info.title)).producer(TextStr("SafeCert")).creator(TextStr("SafeCert"));
    doc_info.pair(Name(b"SafeCertCode"), Str(info.code.as_bytes()));
    doc_info.finish();
    pdf.set_file_id((info.code.as_bytes().to_vec(), info.code.as_bytes().to_vec()));
    Ok(pdf.finish())
}

/// The verification code a PDF claims, read from its `/SafeCertCode`.
pub fn claimed_code(bytes: &[u8]) -> Option<String> {
    let key = b"/SafeCertCode (";
    let at = bytes.windows(key.len()).position(|w| w == key)? + key.len();
    let end = bytes[at..].iter().position(|&b| b == b')')?;
    let code = std::str::from_utf8(&bytes[at..at + end]).ok()?;
    (code.len() <= 32 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')).then(|| code.to_owned())
}
