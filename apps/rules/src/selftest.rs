//! A rule set's own test cases, from rules.toml: a certificate, a day, and
//! what the rules must say about it.

use chrono::NaiveDate;
use rhai::{Dynamic, INT, ImmutableString, Map};
use serde::Deserialize;

use crate::{CertFacts, RecordFacts, RuleError, RuleSet};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
    /// The day statuses are computed and records validated on.
    pub today: NaiveDate,
    pub cert: TestCert,
    pub expect: Expect,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCert {
    pub number: String,
    pub cert_type: String,
    pub issue_date: NaiveDate,
    #[serde(default)]
    pub reviewed_on: Option<NaiveDate>,
    #[serde(default)]
    pub revocation: Option<String>,
    #[serde(default)]
    pub holder_name: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub employer_uscc: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub training: Vec<TestCourse>,
    #[serde(default)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCourse {
    pub course: String,
    pub hours: INT,
    #[serde(default)]
    pub score: Option<INT>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The normalized number; `""` when the number must be rejected.
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub reminders: Option<Vec<u32>>,
    /// `field:code` of every problem, in any order; `[]` for a clean record.
    #[serde(default)]
    pub problems: Option<Vec<String>>,
}

/// How one test case went.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TestResult {
    pub name: String,
    /// What differed from the expectation, or the error that stopped it.
    pub failures: Vec<String>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn text(s: &Option<String>) -> ImmutableString {
    s.as_deref().unwrap_or_default().into()
}

impl TestCert {
    fn facts(&self, number: &str) -> CertFacts {
        let training = self
            .training
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("course".into(), ImmutableString::from(c.course.as_str()).into());
                m.insert("hours".into(), Dynamic::from_int(c.hours));
                m.insert("score".into(), c.score.map_or(Dynamic::UNIT, Dynamic::from_int));
                Dynamic::from_map(m)
            })
            .collect();
        CertFacts::new(number, &self.cert_type, self.issue_date)
            .reviewed_on(self.reviewed_on)
            .revocation(self.revocation.as_deref())
            .with_record(RecordFacts {
                holder_name: text(&self.holder_name),
                id_number: text(&self.id_number),
                employer_uscc: text(&self.employer_uscc),
                region: text(&self.region),
                position: text(&self.position),
                industry: text(&self.industry),
                training,
                fields: Map::new(),
            })
    }
}

fn differ<T: PartialEq + std::fmt::Debug>(failures: &mut Vec<String>, what: &str, want: &T, got: &T) {
    if want != got {
        failures.push(format!("{what}: expected {want:?}, got {got:?}"));
    }
}

fn run_case(rules: &RuleSet, case: &TestCase) -> Result<Vec<String>, RuleError> {
    let mut failures = Vec::new();
    let expect = &case.expect;
    let number = rules.normalize_number(&case.cert.number)?;
    if let Some(want) = &expect.number {
        differ(&mut failures, "number", want, &number.clone().unwrap_or_default());
    }
    let Some(number) = number else {
        if expect.number.as_deref() != Some("") {
            failures.push(format!("number {:?} was rejected", case.cert.number));
        }
        return Ok(failures);
    };
    let facts = case.cert.facts(&number);
    if let Some(want) = expect.expiry {
        differ(&mut failures, "expiry", &want, &rules.expiry(&facts)?);
    }
    if let Some(want) = &expect.status {
        differ(&mut failures, "status", want, &rules.outcome(&facts, case.today)?.status.code().to_owned());
    }
    if let Some(want) = &expect.reminders {
        differ(&mut failures, "reminders", want, &rules.reminders(&facts)?);
    }
    if let Some(want) = &expect.problems {
        let mut want = want.clone();
        want.sort();
        let got: Vec<String> =
            rules.validate(&facts, &case.cert.fields, case.today)?.iter().map(|p| p.to_string()).collect();
        differ(&mut failures, "problems", &want, &got);
    }
    Ok(failures)
}

/// Runs every test case; an error in the rules fails that case.
pub fn run_tests(rules: &RuleSet) -> Vec<TestResult> {
    rules
        .tests()
        .iter()
        .map(|case| TestResult {
            name: case.name.clone(),
            failures: run_case(rules, case).unwrap_or_else(|e| vec![e.to_string()]),
        })
        .collect()
}
