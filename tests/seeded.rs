use chrono::NaiveDate;
use safecert_core::seed::{self, SeedOptions};

use crate::TestApp;

/// One certificate made by `safecert seed`, as its export lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededRow {
    pub tenant: String,
    pub cert_no: String,
    pub holder_name: String,
    pub id_number: String,
    pub cert_type: String,
    pub status: String,
    pub issue_date: String,
    pub expiry_date: String,
    pub employer_uscc: String,
}

impl TestApp {
    /// Seeds `per_tenant` certificates in every tenant and returns the
    /// export, read back from its CSV file.
    pub async fn seed(&self, per_tenant: u64, seed: u64) -> Vec<SeededRow> {
        let export = self.dir.join(format!("seed-{seed}-{per_tenant}.csv"));
        let opts = SeedOptions {
            certs_per_tenant: per_tenant,
            seed,
            as_of: self.platform.today(),
            export: Some(export.clone()),
            progress: false,
            only: vec![],
        };
        seed::run(&self.platform, &opts).await.unwrap();
        read_export(&std::fs::read_to_string(export).unwrap())
    }

    pub async fn seed_as_of(&self, per_tenant: u64, seed: u64, as_of: NaiveDate) -> String {
        let export = self.dir.join(format!("seed-asof-{seed}.csv"));
        let opts = SeedOptions {
            certs_per_tenant: per_tenant,
            seed,
            as_of,
            export: Some(export.clone()),
            progress: false,
            only: vec![],
        };
        seed::run(&self.platform, &opts).await.unwrap();
        std::fs::read_to_string(export).unwrap()
    }
}

pub fn read_export(text: &str) -> Vec<SeededRow> {
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("tenant,cert_no,holder_name,id_number,cert_type,status,issue_date,expiry_date,employer_uscc"),
        "export header"
    );
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 9, "export line {line:?}");
            SeededRow {
                tenant: f[0].into(),
                cert_no: f[1].into(),
                holder_name: f[2].into(),
                id_number: f[3].into(),
                cert_type: f[4].into(),
                status: f[5].into(),
                issue_date: f[6].into(),
                expiry_date: f[7].into(),
                employer_uscc: f[8].into(),
            }
        })
        .collect()
}
