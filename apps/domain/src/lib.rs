//! Pure domain types of SafeCert: parsing, masking and status, with no IO.
//!
//! Every type here has private fields and a `parse` that returns a `Result`:
//! once a value of one of these types exists, it is valid.

mod cert_no;
mod certificate;
mod china_time;
mod holder_name;
mod id_number;
pub mod iso_date;
mod locale;
mod masking;
mod name_match;
mod region;
mod status;
mod tenant_slug;
mod uscc;

pub use cert_no::{CertNo, CertNoError, MAX_CERT_NO_LEN};
pub use certificate::{Certificate, Review, Revocation, RevocationKind, TrainingRecord};
pub use china_time::{CHINA_OFFSET, china_now, china_today};
pub use holder_name::{HolderName, HolderNameError};
pub use id_number::{IdNumber, IdNumberError};
pub use locale::Locale;
pub use masking::mask_name;
pub use name_match::{MIN_FUZZY_CHARS, NameMatch, Piece, is_within_one_edit, variants, within_one_edit};
pub use region::{RegionCode, RegionCodeError};
pub use status::Status;
pub use tenant_slug::{TenantSlug, TenantSlugError};
pub use uscc::{Uscc, UsccError};
