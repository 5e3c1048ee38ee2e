//! The pages of a report and of an electronic certificate: one certificate
//! per page, in Chinese with English beside it, the status in its colour,
//! the verification code and the signed QR code that opens the public
//! verify page.

use qrcode::{Color, EcLevel, QrCode};

use super::pdf::{BLACK, Font, MUTED, PAGE_HEIGHT, PAGE_WIDTH, Page, Rgb};

/// Which document a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A verification report (any caller who may read the certificates).
    Report,
    /// A holder's electronic certificate (电子证照).
    ECertificate,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Report => "report",
            Kind::ECertificate => "e_certificate",
        }
    }
}

/// A label in Chinese and English.
pub struct Label {
    pub zh: String,
    pub en: String,
}

/// What one page shows.
pub struct Card {
    pub platform: Label,
    pub title: Label,
    pub status: Label,
    /// `valid`, `expiring`, …: picks the colour.
    pub status_code: String,
    pub fields: Vec<(Label, String)>,
    pub code: String,
    pub issued_at: String,
    pub verify_url: String,
    pub qr_url: String,
    pub footer: Label,
}

fn status_colour(code: &str) -> Rgb {
    match code {
        "valid" => Rgb(0.10, 0.50, 0.22),
        "expiring" => Rgb(0.75, 0.55, 0.05),
        _ => Rgb(0.75, 0.12, 0.12),
    }
}

const MARGIN: f32 = 56.0;
const BRAND: Rgb = Rgb(0.04, 0.24, 0.57);
const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
const LINE: Rgb = Rgb(0.85, 0.85, 0.85);

/// Draws a QR code's dark modules as squares, with a quiet zone.
fn draw_qr(page: &mut Page, url: &str, x: f32, y: f32, size: f32) -> bool {
    let Ok(code) = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M) else {
        return false;
    };
    let width = code.width();
    let module = size / (width + 8) as f32;
    page.rect(x, y, size, size, WHITE);
    for (i, colour) in code.to_colors().into_iter().enumerate() {
        if colour == Color::Dark {
            let (row, col) = (i / width, i % width);
            let mx = x + (col + 4) as f32 * module;
            let my = y + size - (row + 5) as f32 * module;
            // A hair wider than the module, so neighbours join without seams.
            page.rect(mx, my, module + 0.05, module + 0.05, BLACK);
        }
    }
    page.link(x, y, size, size, url);
    true
}

pub fn draw(font: &Font, card: &Card) -> Page {
    let mut page = Page::default();
    let right = PAGE_WIDTH - MARGIN;
    // The platform's identity, first and plain: who issued this.
    page.rect(0.0, PAGE_HEIGHT - 70.0, PAGE_WIDTH, 70.0, BRAND);
    page.text(MARGIN, PAGE_HEIGHT - 38.0, 15.0, WHITE, &card.platform.zh);
    page.text(MARGIN, PAGE_HEIGHT - 56.0, 9.0, WHITE, &card.platform.en);

    let mut y = PAGE_HEIGHT - 120.0;
    page.text(MARGIN, y, 20.0, BLACK, &card.title.zh);
    y -= 20.0;
    page.text(MARGIN, y, 11.0, MUTED, &card.title.en);

    // The status, in its colour.
    y -= 48.0;
    let colour = status_colour(&card.status_code);
    let badge = format!("{}  {}", card.status.zh, card.status.en);
    let badge_width = font.width(&badge, 16.0) + 28.0;
    page.rect(MARGIN, y - 10.0, badge_width, 34.0, colour);
    page.text(MARGIN + 14.0, y + 1.0, 16.0, WHITE, badge);

    y -= 44.0;
    for (label, value) in &card.fields {
        page.rect(MARGIN, y - 8.0, right - MARGIN, 0.6, LINE);
        page.text(MARGIN, y + 6.0, 10.0, MUTED, &label.zh);
        page.text(MARGIN, y - 4.0, 7.5, MUTED, &label.en);
        page.text(MARGIN + 150.0, y, 12.0, BLACK, value);
        y -= 30.0;
    }

    // The code and the QR code that checks it.
    let qr_size = 150.0;
    let qr_y = 120.0;
    draw_qr(&mut page, &card.qr_url, right - qr_size, qr_y, qr_size);
    page.text(MARGIN, qr_y + 120.0, 10.0, MUTED, "核验码 Verification code");
    page.text(MARGIN, qr_y + 98.0, 16.0, BLACK, &card.code);
    page.text(MARGIN, qr_y + 72.0, 10.0, MUTED, format!("签发时间 Issued {}", card.issued_at));
    page.text(MARGIN, qr_y + 46.0, 9.0, MUTED, "扫描二维码或登录下方网址核验 Scan the code, or verify at:");
    page.text(MARGIN, qr_y + 32.0, 9.0, BRAND, &card.verify_url);
    page.link(MARGIN, qr_y + 28.0, font.width(&card.verify_url, 9.0), 12.0, &card.verify_url);

    page.rect(MARGIN, 84.0, right - MARGIN, 0.6, LINE);
    page.text(MARGIN, 66.0, 8.5, MUTED, &card.footer.zh);
    page.text(MARGIN, 54.0, 7.5, MUTED, &card.footer.en);
    page
}
