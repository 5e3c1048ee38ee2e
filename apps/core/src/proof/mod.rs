//! What proves a certificate on paper: a PDF report of certificates, a
//! holder's electronic certificate (电子证照), and the means to check
//! either. Every PDF carries a verification code and a QR code; the QR
//! code's facts are signed by the platform (Ed25519), so a phone can tell
//! a genuine code from a forged one, offline if it holds the platform's
//! public key. Every issued file is recorded with the digest of its bytes,
//! so `/api/v1/verify-report` tells an issued file from an altered one.

mod card;
mod pdf;
mod signer;
mod token;

use std::sync::OnceLock;

use safecert_domain::{CertNo, Locale};
use safecert_policy::{Action, ObjectKind, Resource};
use safecert_storage::{IssuedReportRow, StorageError, issued_now};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use card::Kind;
pub use pdf::{Font, PdfError, claimed_code};
pub use signer::Signer;
pub use token::SignedFacts;

use crate::{CertificateView, LookupError, Platform, identity::Caller, lookup::Seen};
use card::{Card, Label};

/// A report holds at most this many certificates.
pub const MAX_REPORT_CERTIFICATES: usize = 100;

/// The signing key and the PDF font (read on first use).
pub struct Proofs {
    signer: Signer,
    font: OnceLock<Result<Font, String>>,
}

impl Proofs {
    pub fn new(seed: &[u8; 32]) -> Result<Self, String> {
        Ok(Self { signer: Signer::new(seed)?, font: OnceLock::new() })
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The caller may read the certificate but is not its holder.
    #[error("only the holder gets an electronic certificate")]
    NotHolder,
    #[error("too many certificates for one report")]
    TooMany,
    #[error("no certificates named")]
    Empty,
    #[error("{0}")]
    Font(String),
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the system random source failed: {0}")]
    Random(String),
}

/// An issued PDF.
pub struct IssuedPdf {
    pub bytes: Vec<u8>,
    pub code: String,
    pub file_name: String,
}

/// The platform's public identity, for verifiers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformKey {
    /// `Ed25519`.
    pub algorithm: &'static str,
    /// The public key, base64url (32 bytes).
    pub public_key: String,
    /// SHA-256 of the key, first 16 hex digits: compare it by eye.
    pub fingerprint: String,
    /// The only address the platform answers at.
    pub public_url: String,
    /// How to check a QR code offline.
    pub token_format: &'static str,
}

/// What a check of an issued PDF (by its code or its bytes) found.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportCheck {
    /// The file (or code) is one the platform issued, unaltered.
    pub genuine: bool,
    /// `issued`, `altered` (bytes differ from what was issued under the
    /// code the file claims) or `unknown`.
    pub finding: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `report` or `e_certificate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The certificates it shows, as public verification shows them now.
    pub certificates: Vec<CertificateView>,
}

/// `ABCD-EFGH-JKLM-NPQR`: 16 characters no one confuses (no I, O, 0, 1).
fn new_code() -> Result<String, ProofError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ProofError::Random(e.to_string()))?;
    let chars: Vec<char> = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    Ok(chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-"))
}

/// A code as typed: upper case, dashes where they belong.
pub fn normalize_code(raw: &str) -> Option<String> {
    let clean: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    (clean.len() == 16).then(|| {
        clean.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
    })
}

impl Platform {
    pub fn platform_key(&self) -> PlatformKey {
        PlatformKey {
            algorithm: "Ed25519",
            public_key: self.proofs.signer.public_key(),
            fingerprint: self.proofs.signer.fingerprint(),
            public_url: self.config.public_url.clone(),
            token_format: "{public_url}/q/v1.<facts>.<signature>: facts and signature base64url (no padding); \
                           the signature is Ed25519 over the ASCII of `v1.<facts>`; facts are JSON: c code, \
                           n certificate number, t province, h holder (masked), s status, e expiry date, i issue day",
        }
    }

    fn font(&self) -> Result<&Font, ProofError> {
        self.proofs
            .font
            .get_or_init(|| Font::load(self.config.pdf_font.as_deref()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| ProofError::Font(e.clone()))
    }

    fn label(&self, id: &str) -> Label {
        Label { zh: self.localizer.message(Locale::ZhCn, id, &[]), en: self.localizer.message(Locale::En, id, &[]) }
    }

    fn card(&self, kind: Kind, view: &CertificateView, code: &str, issued: &str, token: String) -> Card {
        let province = self.tenants.find(&view.province.slug);
        let province = province.map_or_else(
            || view.province.name.clone(),
            |t| format!("{} {}", t.names.get(Locale::ZhCn), t.names.get(Locale::En)),
        );
        let mut fields = vec![
            (self.label("field-cert-no"), view.cert_no.clone()),
            (self.label("field-holder"), view.holder_name.clone()),
        ];
        if let Some(id) = &view.id_number {
            fields.push((self.label("field-id-number"), id.clone()));
        }
        fields.extend([
            (self.label("field-cert-type"), view.cert_type.clone()),
            (self.label("field-authority"), view.issuing_authority.clone()),
            (self.label("field-province"), province),
            (self.label("field-issue-date"), view.issue_date.to_string()),
            (self.label("field-expiry-date"), view.expiry_date.to_string()),
        ]);
        if let Some(revoked) = view.revoked_on {
            fields.push((self.label("field-revoked-on"), revoked.to_string()));
        }
        let base = &self.config.public_url;
        Card {
            platform: self.label("site-name"),
            title: self.label(match kind {
                Kind::Report => "pdf-report-title",
                Kind::ECertificate => "pdf-ecert-title",
            }),
            status: self.label(&format!("status-{}", view.status.code())),
            status_code: view.status.code().to_owned(),
            fields,
            code: code.to_owned(),
            issued_at: issued.to_owned(),
            verify_url: format!("{base}/r/{code}"),
            qr_url: format!("{base}/q/{token}"),
            footer: self.label("pdf-footer"),
        }
    }

    /// Draws, records and returns a PDF of these certificates.
    async fn issue(
        &self,
        caller: &Caller,
        kind: Kind,
        tenant: &str,
        views: &[CertificateView],
    ) -> Result<IssuedPdf, ProofError> {
        let font = self.font()?;
        let code = new_code()?;
        let at = issued_now();
        let china = at.with_timezone(&safecert_domain::CHINA_OFFSET);
        let issued = china.format("%Y-%m-%d %H:%M (UTC+8)").to_string();
        let pages: Vec<_> = views
            .iter()
            .map(|view| {
                let facts = SignedFacts {
                    code: code.clone(),
                    cert_no: view.cert_no.clone(),
                    tenant: view.province.slug.clone(),
                    holder: safecert_domain::mask_name(&view.holder_name),
                    status: view.status.code().to_owned(),
                    expiry_date: view.expiry_date,
                    issued_on: china.date_naive(),
                };
                card::draw(font, &self.card(kind, view, &code, &issued, facts.to_token(&self.proofs.signer)))
            })
            .collect();
        let title = self.localizer.message(
            Locale::ZhCn,
            if kind == Kind::Report { "pdf-report-title" } else { "pdf-ecert-title" },
            &[],
        );
        let bytes = pdf::render(font, &pages, &pdf::Info { title: &title, code: &code })?;
        let row = IssuedReportRow {
            code: code.clone(),
            kind: kind.code().to_owned(),
            tenant_slug: tenant.to_owned(),
            cert_nos: views.iter().map(|v| v.cert_no.as_str()).collect::<Vec<_>>().join(","),
            account_id: caller.account_id,
            digest: hex::encode(Sha256::digest(&bytes)),
            issued_at: at,
        };
        self.store.databases().insert_issued_report(&row).await.map_err(StorageError::from)?;
        let first = views.first().map_or("report", |v| v.cert_no.as_str());
        let file_name = match kind {
            Kind::Report if views.len() > 1 => format!("report-{}.pdf", code),
            Kind::Report => format!("report-{first}.pdf"),
            Kind::ECertificate => format!("e-certificate-{first}.pdf"),
        };
        Ok(IssuedPdf { bytes, code, file_name })
    }

    /// A report of certificates of one province, each as the caller may
    /// see it (masked or in full; refused where it may not read one).
    pub async fn certificate_report(
        &self,
        caller: &Caller,
        tenant: &str,
        numbers: &[CertNo],
        locale: Locale,
    ) -> Result<IssuedPdf, ProofError> {
        if numbers.is_empty() {
            return Err(ProofError::Empty);
        }
        if numbers.len() > MAX_REPORT_CERTIFICATES {
            return Err(ProofError::TooMany);
        }
        let mut views = Vec::with_capacity(numbers.len());
        for no in numbers {
            views.push(self.lookup_as(caller, tenant, no, locale).await?);
        }
        self.issue(caller, Kind::Report, tenant, &views).await
    }

    /// Whether the caller holds the certificate they see (the policy's
    /// `e_certificate`/`export`, condition `own`).
    fn holds(&self, caller: &Caller, seen: &Seen<'_>) -> bool {
        let resource = Resource::new(ObjectKind::ECertificate, seen.tenant.slug.as_str()).holder(&seen.record.id_index);
        self.identity.authorize(caller, Action::Export, &resource)
    }

    /// Whether the caller may have this certificate's electronic
    /// certificate (it is theirs).
    pub async fn may_issue_e_certificate(&self, caller: &Caller, tenant: &str, no: &CertNo) -> bool {
        match self.seen_as(caller, tenant, no, Locale::ZhCn).await {
            Ok(seen) => self.holds(caller, &seen),
            Err(_) => false,
        }
    }

    /// A holder's electronic certificate: only for the holder, with their
    /// data in full.
    pub async fn e_certificate(&self, caller: &Caller, tenant: &str, no: &CertNo) -> Result<IssuedPdf, ProofError> {
        let seen = self.seen_as(caller, tenant, no, Locale::ZhCn).await?;
        if !self.holds(caller, &seen) {
            return Err(ProofError::NotHolder);
        }
        let slug = seen.tenant.slug.to_string();
        self.issue(caller, Kind::ECertificate, &slug, &[seen.view]).await
    }

    /// A certificate as public verification shows it now, if the national
    /// directory has it.
    async fn public_view(&self, no: &CertNo, locale: Locale) -> Result<Option<CertificateView>, ProofError> {
        let Some(entry) = self.store.public_entry(no).await? else { return Ok(None) };
        let (Some(tenant), Some(rules)) = (self.tenant(&entry.tenant), self.rules.get(&entry.tenant)) else {
            return Ok(None);
        };
        let view = CertificateView::public(&entry, tenant, &rules, self.today(), locale)
            .map_err(|e| ProofError::Lookup(LookupError::Rules(e)))?;
        Ok(Some(view))
    }

    /// What a check found: the issued report, or nothing; `claimed` is the
    /// code a file that matched no issued one claims (an altered copy).
    async fn check(&self, row: Option<IssuedReportRow>, claimed: Option<String>) -> Result<ReportCheck, ProofError> {
        let Some(row) = row else {
            return Ok(ReportCheck {
                genuine: false,
                finding: if claimed.is_some() { "altered" } else { "unknown" },
                code: claimed,
                kind: None,
                issued_at: None,
                certificates: Vec::new(),
            });
        };
        let mut certificates = Vec::new();
        for no in row.cert_nos.split(',').filter_map(|n| CertNo::parse(n).ok()) {
            certificates.extend(self.public_view(&no, Locale::ZhCn).await?);
        }
        Ok(ReportCheck {
            genuine: true,
            finding: "issued",
            code: Some(row.code),
            kind: Some(row.kind),
            issued_at: Some(row.issued_at),
            certificates,
        })
    }

    /// Whether a verification code was issued, and what it shows now.
    pub async fn check_report_code(&self, code: &str) -> Result<ReportCheck, ProofError> {
        let row = match normalize_code(code) {
            Some(code) => self.store.databases().issued_report_by_code(&code).await?,
            None => None,
        };
        self.check(row, None).await
    }

    /// Whether a file is a PDF the platform issued, byte for byte.
    pub async fn check_report_file(&self, bytes: &[u8]) -> Result<ReportCheck, ProofError> {
        let digest = hex::encode(Sha256::digest(bytes));
        let row = self.store.databases().issued_report_by_digest(&digest).await?;
        let claimed = if row.is_none() { claimed_code(bytes) } else { None };
        self.check(row, claimed).await
    }

    /// The facts of a QR code whose signature holds, with the certificate
    /// as public verification shows it now.
    pub async fn read_qr(
        &self,
        token: &str,
        locale: Locale,
    ) -> Result<Option<(SignedFacts, Option<CertificateView>)>, ProofError> {
        let Some(facts) = SignedFacts::from_token(token, &self.proofs.signer) else {
            return Ok(None);
        };
        let now = match CertNo::parse(&facts.cert_no) {
            Ok(no) => self.public_view(&no, locale).await?,
            Err(_) => None,
        };
        Ok(Some((facts, now)))
    }
}
