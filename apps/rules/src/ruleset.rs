//! One tenant's compiled rules: the script's syntax tree, its field
//! definitions and test cases, evaluated per certificate.

use std::{
    any::Any,
    borrow::Cow,
    panic::AssertUnwindSafe,
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, Ordering},
    },
};

use chrono::NaiveDate;
use rhai::{AST, Array, Dynamic, Engine, EvalAltResult, INT, ImmutableString, Map, Scope};
use safecert_domain::Status;
use safecert_memo::{Memo, Scratch};
use serde::Deserialize;

use crate::{
    CertFacts, RuleError, RuleSettings,
    dates::{from_day, to_day},
    facts,
    fields::{self, Field, FieldDef},
    limits,
    sandbox::{self, Location},
    selftest::TestCase,
};

pub const SCRIPT_FILE: &str = "rules.rhai";
pub const DATA_FILE: &str = "rules.toml";

/// The text of a rule set as stored or uploaded.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleSource {
    pub script: String,
    /// rules.toml: custom fields and test cases.
    #[serde(default)]
    pub data: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleData {
    #[serde(default)]
    fields: Vec<FieldDef>,
    #[serde(default)]
    tests: Vec<TestCase>,
}

/// One thing wrong with a record: which field, and a stable code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Problem {
    pub field: String,
    pub code: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, code: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into() }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.field, self.code)
    }
}

/// Expiry and status of a certificate on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub expiry: NaiveDate,
    pub status: Status,
}

/// The rules a script provides, one arm each of its `switch rule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Number,
    Expiry,
    Status,
    Reminders,
    Validate,
}

impl Rule {
    pub const ALL: [Rule; 5] = [Rule::Number, Rule::Expiry, Rule::Status, Rule::Reminders, Rule::Validate];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Number => "number",
            Rule::Expiry => "expiry",
            Rule::Status => "status",
            Rule::Reminders => "reminders",
            Rule::Validate => "validate",
        }
    }
}

pub struct RuleSet {
    tenant: String,
    version: String,
    engine: Arc<Engine>,
    /// The script after its leading constants.
    body: AST,
    /// The leading `const`/`let` of literal values, evaluated once.
    prelude: Vec<Declared>,
    fields: Vec<Field>,
    tests: Vec<TestCase>,
    settings: RuleSettings,
    names: [ImmutableString; 5],
    source: RuleSource,
    /// Answers already given to lookups, by facts and day. Scripts are
    /// deterministic, so an answer holds for as long as this version does;
    /// one reached without reading the number holds for every number with
    /// the same other facts, and is kept without it.
    outcomes: Memo<OutcomeKey, Outcome>,
    /// Whether expiry or status have read the number: then every answer is
    /// kept by its number, and none is looked for without.
    reads_number: AtomicBool,
    /// The same answers by the identity of a kept value they were read
    /// from (see [`RuleSet::outcome_kept`]), with a weak reference to it.
    kept_outcomes: Memo<(usize, INT), (Weak<dyn Any + Send + Sync>, Outcome)>,
    numbers: Memo<String, Option<String>>,
    /// Which registered function each operator and call resolves to,
    /// kept from one evaluation to the next on each thread (the engine
    /// keeps a function once a thread has met it twice). An evaluation
    /// through `Engine::eval_ast_with_scope` starts with an empty cache
    /// and looks every one up again.
    resolved: Scratch<rhai::Caches>,
}

/// Answers remembered per version for lookups, at most this many each
/// for each thread that serves lookups, in each of the 32 provinces: a
/// scan of numbers nobody asked before fills them all.
const MEMO_ENTRIES: usize = 2_000;
/// Answers remembered by a kept value's identity, at most this many for
/// each thread, in each province: each keeps its value's allocation.
const KEPT_ENTRIES: usize = 1_000;

#[derive(Clone, PartialEq, Eq, Hash)]
struct OutcomeKey {
    /// `None` for an answer reached without reading the number.
    number: Option<ImmutableString>,
    cert_type: ImmutableString,
    issue_date: INT,
    reviewed_on: Option<INT>,
    revocation: Option<ImmutableString>,
    today: INT,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RuleSet({} {})", self.tenant, self.version)
    }
}

fn toml_location(source: &str, span: Option<std::ops::Range<usize>>) -> Location {
    let Some(span) = span else { return Location::default() };
    let before = &source[..span.start.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location { line, column }
}

/// A parse error, with what to do instead when it is about something rules
/// may not do.
fn explain(message: &str) -> String {
    let hint = if ["'loop'", "'while'", "'for'", "'do'"].iter().any(|k| message.contains(k)) {
        "rules cannot loop; use if … else if … or switch, and helpers such as sum_of"
    } else if message.contains("'fn'") {
        "rules cannot define functions; compute values with let"
    } else {
        return message.to_owned();
    };
    format!("{message}: {hint}")
}

/// Stack for parsing untrusted scripts. The parser recurses once per
/// nested expression and has no depth limit in this engine; a script within
/// the size cap can nest a few thousand levels, which this covers. The
/// memory is reserved, not used, until touched.
const PARSE_STACK: usize = 256 * 1024 * 1024;

/// Parses and checks a script on a thread with a deep stack. A script whose
/// syntax tree is too deep is rejected, and dropped, there: what comes back
/// is shallow enough for any thread.
fn parse(engine: &Engine, script: &str) -> Result<AST, RuleError> {
    let work = || {
        let ast = engine
            .compile_with_scope(&sandbox::compile_scope(), script)
            .map_err(|e| RuleError::at(SCRIPT_FILE, e.position().into(), explain(&e.err_type().to_string())))?;
        sandbox::check_ast(&ast).map_err(|r| RuleError::at(SCRIPT_FILE, r.at, r.message))?;
        Ok(ast)
    };
    std::thread::scope(|scope| {
        let parser =
            std::thread::Builder::new().name("rules-parse".into()).stack_size(PARSE_STACK).spawn_scoped(scope, work);
        match parser {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(RuleError::at(SCRIPT_FILE, Location::default(), "the script could not be parsed"))
            }),
            Err(e) => Err(RuleError::at(SCRIPT_FILE, Location::default(), format!("no thread to parse on: {e}"))),
        }
    })
}

/// A variable the script declares before its `switch`: name, whether it is
/// a `const`, value.
type Declared = (String, bool, Dynamic);

/// Splits off the leading declarations of literal values (`const YEARS =
/// 3;`), which are the same for every certificate, and evaluates them once.
fn split_prelude(engine: &Engine, ast: &AST) -> Result<(Vec<Declared>, AST), RuleError> {
    let statements = ast.statements();
    let n = statements.iter().take_while(|s| matches!(s, rhai::Stmt::Var(x, ..) if x.1.is_constant())).count();
    let mut scope = sandbox::compile_scope();
    let provided = scope.len();
    engine.run_ast_with_scope(&mut scope, &AST::new(statements[..n].iter().cloned())).map_err(|mut e| {
        let at = e.take_position();
        RuleError::at(SCRIPT_FILE, at.into(), describe(&e))
    })?;
    // `iter_raw` runs from the newest entry to the oldest.
    let mut prelude: Vec<Declared> = scope
        .iter_raw()
        .take(scope.len() - provided)
        .map(|(name, constant, v)| (name.to_owned(), constant, v.clone()))
        .collect();
    prelude.reverse();
    Ok((prelude, AST::new(statements[n..].iter().cloned())))
}

/// What a rule gets to read.
struct Inputs<'a> {
    /// `None`: the variable `number` is not there to read.
    number: Option<Dynamic>,
    cert: Option<&'a CertFacts>,
    today: Option<INT>,
    expiry: Option<INT>,
}

impl RuleSet {
    /// Compiles and checks a rule set. Nothing runs yet: see
    /// [`crate::check`] for the test cases and the caller's dry run.
    pub fn compile(
        engine: &Arc<Engine>,
        tenant: &str,
        version: &str,
        source: RuleSource,
        settings: RuleSettings,
    ) -> Result<Self, RuleError> {
        let tag = |e: RuleError| e.of(tenant, version);
        sandbox::check_source(&source.script).map_err(|r| tag(RuleError::at(SCRIPT_FILE, r.at, r.message)))?;
        let ast = parse(engine, &source.script).map_err(tag)?;
        let (prelude, body) = split_prelude(engine, &ast).map_err(tag)?;
        let data: RuleData = toml::from_str(&source.data).map_err(|e| {
            tag(RuleError::at(DATA_FILE, toml_location(&source.data, e.span()), e.message().to_owned()))
        })?;
        let fields =
            fields::parse_fields(data.fields).map_err(|m| tag(RuleError::at(DATA_FILE, Location::default(), m)))?;
        // `is_def_var("number")` tells an evaluation without the number
        // from one with it without reading it.
        let reads_number = source.script.contains("is_def_var");
        Ok(Self {
            tenant: tenant.to_owned(),
            version: version.to_owned(),
            engine: Arc::clone(engine),
            body,
            prelude,
            fields,
            tests: data.tests,
            settings,
            names: Rule::ALL.map(|r| ImmutableString::from(r.name())),
            source,
            outcomes: Memo::per_thread(MEMO_ENTRIES),
            reads_number: AtomicBool::new(reads_number),
            kept_outcomes: Memo::per_thread(KEPT_ENTRIES),
            numbers: Memo::per_thread(MEMO_ENTRIES),
            resolved: Scratch::default(),
        })
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn source(&self) -> &RuleSource {
        &self.source
    }

    pub fn fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().map(|f| &f.def)
    }

    pub(crate) fn tests(&self) -> &[TestCase] {
        &self.tests
    }

    /// How many functions this thread has kept resolved, in how many
    /// caches.
    #[cfg(test)]
    pub(crate) fn resolved_here(&self) -> (usize, usize) {
        self.resolved.with(|caches| {
            let levels = caches.fn_resolution_caches_len();
            (levels, if levels == 0 { 0 } else { caches.fn_resolution_cache_mut().dict.len() })
        })
    }

    /// Answers kept for lookups, and whether they are kept by number.
    #[cfg(test)]
    pub(crate) fn outcomes_kept(&self) -> (usize, bool) {
        (self.outcomes.len(), self.reads_number.load(Ordering::Relaxed))
    }

    fn error(&self, rule: Rule, at: Location, message: impl Into<String>) -> RuleError {
        let mut e = RuleError::at(SCRIPT_FILE, at, message).of(&self.tenant, &self.version);
        e.rule = Some(rule.name());
        e
    }

    /// A scope with the provided variables and the prelude. They are plain
    /// variables so that they can be refilled between rules; the compile
    /// checks keep scripts from assigning or redeclaring them.
    fn scope(&self, rule: Rule, inputs: Inputs<'_>) -> Scope<'static> {
        let mut scope = Scope::with_capacity(sandbox::PROVIDED.len() + self.prelude.len());
        scope.push("rule", self.names[rule as usize].clone());
        if let Some(number) = inputs.number {
            scope.push_dynamic("number", number);
        }
        scope.push_dynamic("cert", inputs.cert.map_or(Dynamic::UNIT, |c| Dynamic::from(c.clone())));
        scope.push_dynamic("today", inputs.today.map_or(Dynamic::UNIT, Dynamic::from_int));
        scope.push("settings", self.settings.clone());
        scope.push_dynamic("expiry", inputs.expiry.map_or(Dynamic::UNIT, Dynamic::from_int));
        for (name, constant, value) in &self.prelude {
            if *constant {
                scope.push_constant_dynamic(name.as_str(), value.clone());
            } else {
                scope.push_dynamic(name.as_str(), value.clone());
            }
        }
        scope
    }

    fn eval(&self, rule: Rule, scope: &mut Scope<'static>) -> Result<Dynamic, RuleError> {
        let base = scope.len();
        // The sandbox makes panics unexpected; if a helper ever did, it
        // fails this rule, not the process.
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.resolved.with(|caches| {
                let mut global = self.engine.new_global_runtime_state();
                // What `eval_ast_with_scope` does for a script without
                // functions or modules, with the caches passed in.
                #[allow(deprecated)]
                self.engine.eval_statements_raw(&mut global, caches, scope, self.body.statements())
            })
        }));
        scope.rewind(base);
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(mut err)) => {
                let at = err.take_position();
                Err(self.error(rule, at.into(), describe(&err)))
            }
            Err(_) => Err(self.error(rule, Location::default(), "the rule stopped unexpectedly")),
        }
    }

    fn run(
        &self,
        rule: Rule,
        number: Dynamic,
        cert: Option<&CertFacts>,
        today: Option<INT>,
        expiry: Option<INT>,
    ) -> Result<Dynamic, RuleError> {
        let mut scope = self.scope(rule, Inputs { number: Some(number), cert, today, expiry });
        self.eval(rule, &mut scope)
    }

    fn wrong(&self, rule: Rule, expected: &str, got: &Dynamic) -> RuleError {
        self.error(
            rule,
            Location::default(),
            format!("must return {expected}, returned {} ({})", got.type_name(), short(got)),
        )
    }

    /// The number in this province's normal form, or `None` when it can't
    /// be one of its certificate numbers.
    pub fn normalize_number(&self, raw: &str) -> Result<Option<String>, RuleError> {
        let raw = raw.chars().take(64).collect::<String>();
        let out = self.run(Rule::Number, ImmutableString::from(raw).into(), None, None, None)?;
        if out.is_unit() {
            return Ok(None);
        }
        match out.into_immutable_string() {
            Ok(s) if !s.is_empty() && s.len() <= 64 => Ok(Some(s.to_string())),
            Ok(s) => Err(self.wrong(Rule::Number, "a number of 1 to 64 bytes or ()", &s.into())),
            Err(t) => {
                Err(self.error(Rule::Number, Location::default(), format!("must return a string or (), returned {t}")))
            }
        }
    }

    /// What the expiry rule returned, as a date.
    fn expiry_value(&self, out: &Dynamic) -> Result<NaiveDate, RuleError> {
        out.as_int()
            .ok()
            .and_then(from_day)
            .ok_or_else(|| self.wrong(Rule::Expiry, "a date (e.g. add_years(cert.issue_date, 3))", out))
    }

    pub fn expiry(&self, cert: &CertFacts) -> Result<NaiveDate, RuleError> {
        let out = self.run(Rule::Expiry, cert.number.clone().into(), Some(cert), None, None)?;
        self.expiry_value(&out)
    }

    fn status_value(&self, out: &Dynamic) -> Result<Status, RuleError> {
        let status = out.read_lock::<ImmutableString>().and_then(|s| s.parse::<Status>().ok());
        status.ok_or_else(|| self.wrong(Rule::Status, "one of valid, expiring, expired, revoked, suspended", out))
    }

    /// The status on `today` of a certificate whose expiry is known (as
    /// stored, from these rules): one evaluation instead of two.
    pub fn status(&self, cert: &CertFacts, expiry: NaiveDate, today: NaiveDate) -> Result<Status, RuleError> {
        let inputs = Inputs {
            number: Some(cert.number.clone().into()),
            cert: Some(cert),
            today: Some(to_day(today)),
            expiry: Some(to_day(expiry)),
        };
        let mut scope = self.scope(Rule::Status, inputs);
        let out = self.eval(Rule::Status, &mut scope)?;
        self.status_value(&out)
    }

    /// [`RuleSet::outcome`], remembered: for lookups, where the same
    /// certificates come back. Errors are not remembered.
    pub fn outcome_cached(&self, cert: &CertFacts, today: NaiveDate) -> Result<Outcome, RuleError> {
        let mut key = OutcomeKey {
            number: None,
            cert_type: cert.cert_type.clone(),
            issue_date: cert.issue_date,
            reviewed_on: cert.reviewed_on,
            revocation: cert.revocation.clone(),
            today: to_day(today),
        };
        let blind = !self.reads_number.load(Ordering::Relaxed);
        if blind && let Some(hit) = self.outcomes.get(&key) {
            return Ok(hit);
        }
        key.number = Some(cert.number.clone());
        if let Some(hit) = self.outcomes.get(&key) {
            return Ok(hit);
        }
        if blind && let Some(outcome) = self.outcome_without_number(cert, today) {
            key.number = None;
            self.outcomes.insert(key, outcome);
            return Ok(outcome);
        }
        let outcome = self.outcome(cert, today)?;
        // Without the number the rules failed, with it they answer: they
        // read it.
        if blind {
            self.reads_number.store(true, Ordering::Relaxed);
        }
        self.outcomes.insert(key, outcome);
        Ok(outcome)
    }

    /// The outcome when the rules reach it without reading the number
    /// (neither `number`, absent, nor `cert.number`): then it is the
    /// outcome for any number with these other facts. `None` when they
    /// read it, or fail.
    fn outcome_without_number(&self, cert: &CertFacts, today: NaiveDate) -> Option<Outcome> {
        let (outcome, read) = facts::noting_number_reads(|| self.outcome_of(cert, today, None));
        outcome.ok().filter(|_| !read)
    }

    /// [`RuleSet::outcome_cached`] for a certificate the caller keeps,
    /// unchanging, in an `Arc` (a cached record): remembered by that value's
    /// identity, so a repeat is one lookup of two integers and the facts
    /// are read only the first time. The memo holds a weak reference: the
    /// value's fields are freed once the caller's cache lets it go, and its
    /// allocation stays until the answer does, so no other value can take
    /// its address while the answer is kept.
    pub fn outcome_kept<T: Send + Sync + 'static>(
        &self,
        kept: &Arc<T>,
        facts: impl FnOnce(&T) -> CertFacts,
        today: NaiveDate,
    ) -> Result<Outcome, RuleError> {
        let key = (Arc::as_ptr(kept).cast::<()>() as usize, to_day(today));
        if let Some(outcome) = self.kept_outcomes.read(&key, |(_, outcome)| *outcome) {
            return Ok(outcome);
        }
        let outcome = self.outcome_cached(&facts(kept), today)?;
        let holder: Weak<dyn Any + Send + Sync> = Arc::downgrade(kept) as _;
        self.kept_outcomes.insert(key, (holder, outcome));
        Ok(outcome)
    }

    /// [`RuleSet::normalize_number`], remembered; `raw` itself when it is
    /// already in the province's form, as most numbers asked for are.
    pub fn normalize_number_cached<'r>(&self, raw: &'r str) -> Result<Option<Cow<'r, str>>, RuleError> {
        let answer = |number: &Option<String>| {
            number.as_deref().map(|n| if n == raw { Cow::Borrowed(raw) } else { Cow::Owned(n.to_owned()) })
        };
        if let Some(hit) = self.numbers.read(raw, answer) {
            return Ok(hit);
        }
        let number = self.normalize_number(raw)?;
        let normal = answer(&number);
        self.numbers.insert(raw.chars().take(64).collect(), number);
        Ok(normal)
    }

    /// Expiry and status on `today`, in one scope.
    pub fn outcome(&self, cert: &CertFacts, today: NaiveDate) -> Result<Outcome, RuleError> {
        self.outcome_of(cert, today, Some(cert.number.clone().into()))
    }

    fn outcome_of(&self, cert: &CertFacts, today: NaiveDate, number: Option<Dynamic>) -> Result<Outcome, RuleError> {
        let inputs = Inputs { number, cert: Some(cert), today: Some(to_day(today)), expiry: None };
        let mut scope = self.scope(Rule::Expiry, inputs);
        let out = self.eval(Rule::Expiry, &mut scope)?;
        let expiry = self.expiry_value(&out)?;
        if let Some(v) = scope.get_mut("expiry") {
            *v = Dynamic::from_int(to_day(expiry));
        }
        if let Some(v) = scope.get_mut("rule") {
            *v = self.names[Rule::Status as usize].clone().into();
        }
        let out = self.eval(Rule::Status, &mut scope)?;
        let status = self.status_value(&out)?;
        Ok(Outcome { expiry, status })
    }

    /// Days before expiry on which the holder is reminded, largest first.
    pub fn reminders(&self, cert: &CertFacts) -> Result<Vec<u32>, RuleError> {
        let expiry = to_day(self.expiry(cert)?);
        let out = self.run(Rule::Reminders, cert.number.clone().into(), Some(cert), None, Some(expiry))?;
        let expected =
            format!("an array of at most {} day counts from 0 to {}", limits::MAX_REMINDERS, limits::MAX_REMINDER_DAYS);
        let Some(days) = out.read_lock::<Array>().map(|a| a.clone()) else {
            return Err(self.wrong(Rule::Reminders, &expected, &out));
        };
        if days.len() > limits::MAX_REMINDERS {
            return Err(self.wrong(Rule::Reminders, &expected, &out));
        }
        let mut result = Vec::with_capacity(days.len());
        for d in &days {
            match d.as_int() {
                Ok(n) if (0..=limits::MAX_REMINDER_DAYS).contains(&n) => result.push(n.unsigned_abs()),
                _ => return Err(self.wrong(Rule::Reminders, &expected, &out)),
            }
        }
        result.sort_unstable_by(|a, b| b.cmp(a));
        result.dedup();
        Ok(result)
    }

    /// Every problem with a whole record: its custom fields against the
    /// definitions, then the script's own checks.
    pub fn validate(
        &self,
        cert: &CertFacts,
        custom: &serde_json::Map<String, serde_json::Value>,
        today: NaiveDate,
    ) -> Result<Vec<Problem>, RuleError> {
        let (typed, mut problems) = fields::check_values(&self.fields, &cert.cert_type, custom);
        let mut record = cert.record.as_deref().cloned().unwrap_or_default();
        record.fields = typed;
        let cert = cert.clone().with_record(record);
        let out = self.run(Rule::Validate, cert.number.clone().into(), Some(&cert), Some(to_day(today)), None)?;
        let expected = "an array of problem(field, code)";
        let Some(list) = out.read_lock::<Array>().map(|a| a.clone()) else {
            return Err(self.wrong(Rule::Validate, expected, &out));
        };
        for item in &list {
            let found = item.read_lock::<Map>().and_then(|m| {
                let text = |k: &str| m.get(k).and_then(|v| v.read_lock::<ImmutableString>().map(|s| s.to_string()));
                Some(Problem::new(text("field")?, text("code")?))
            });
            match found {
                Some(p) => problems.push(p),
                None => return Err(self.wrong(Rule::Validate, expected, item)),
            }
        }
        problems.sort();
        problems.dedup();
        Ok(problems)
    }
}

fn describe(err: &EvalAltResult) -> String {
    match err {
        EvalAltResult::ErrorRuntime(value, _) => short(value),
        other => other.to_string(),
    }
}

fn short(value: &Dynamic) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 { format!("{}…", text.chars().take(80).collect::<String>()) } else { text }
}
