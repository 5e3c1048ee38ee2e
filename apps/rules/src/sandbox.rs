//! The restricted engine and the checks a script passes before it may run.
//!
//! The engine starts from `Engine::new_raw()` (no packages: no files,
//! network, environment or process) and gets only the helpers in
//! `helpers`. Loops are a syntax error and scripts cannot define functions,
//! so every script ends. What the run-time caps cannot see is rejected
//! here, before compiling or right after: oversized scripts, deep nesting,
//! interpolated strings, and ways of copying a value into itself.

use rhai::{AST, ASTNode, Engine, Expr, Position, Scope, Stmt};

use crate::limits;

/// Where in a script a problem is, 1-based; 0 when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl From<Position> for Location {
    fn from(pos: Position) -> Self {
        Self { line: pos.line().unwrap_or(0), column: pos.position().unwrap_or(0) }
    }
}

/// Why a script was turned away before running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub at: Location,
    pub message: String,
}

fn reject(at: Location, message: impl Into<String>) -> Rejection {
    Rejection { at, message: message.into() }
}

/// The variables the service provides; scripts may read but not change
/// them, nor declare their own under these names.
pub const PROVIDED: [&str; 6] = ["rule", "number", "cert", "today", "settings", "expiry"];

/// Symbols scripts may not use at all.
const DISABLED: [&str; 12] =
    ["eval", "print", "debug", "**", "**=", "<<", ">>", "<<=", ">>=", "import", "export", "type_of"];

pub fn engine() -> Engine {
    let mut engine = Engine::new_raw();
    engine.set_allow_looping(false);
    engine.set_fast_operators(false);
    engine.set_allow_shadowing(false);
    engine.set_strict_variables(true);
    for symbol in DISABLED {
        engine.disable_symbol(symbol);
    }
    crate::helpers::register(&mut engine);
    crate::facts::register(&mut engine);
    crate::settings::register(&mut engine);
    engine
}

/// The scope a script compiles against: every provided name, so a
/// misspelt variable is a compile error rather than a run-time one.
pub fn compile_scope() -> Scope<'static> {
    let mut scope = Scope::new();
    for name in PROVIDED {
        scope.push_constant(name, ());
    }
    scope
}

/// Checks on the text, before the parser sees it (the parser itself has no
/// depth limit in this engine).
pub fn check_source(source: &str) -> Result<(), Rejection> {
    if source.len() > limits::MAX_SCRIPT_BYTES {
        return Err(reject(
            Location::default(),
            format!("script is {} bytes; the limit is {}", source.len(), limits::MAX_SCRIPT_BYTES),
        ));
    }
    let (mut line, mut column) = (1, 0);
    let mut depth = 0usize;
    let mut chars = source.chars().peekable();
    let mut in_string: Option<char> = None;
    while let Some(c) = chars.next() {
        column += 1;
        let here = Location { line, column };
        if c == '\n' {
            line += 1;
            column = 0;
        }
        if c == '`' {
            return Err(reject(here, "back-ticks (interpolated strings) are not allowed; join strings with +"));
        }
        if let Some(quote) = in_string {
            if c == '\\' {
                chars.next();
                column += 1;
            } else if c == quote || c == '\n' {
                in_string = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => in_string = Some(c),
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        column = 0;
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                return Err(reject(here, "block comments /* */ are not allowed; use // comments"));
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > limits::MAX_NESTING {
                    return Err(reject(here, format!("brackets nested deeper than {}", limits::MAX_NESTING)));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn expr_position(expr: &Expr) -> Location {
    expr.start_position().into()
}

/// Is this variable read placed, as it is, into a new array or map (which
/// would let a script double a value with every statement)? Calling a
/// helper on it in between is fine: helpers return bounded values.
fn copied_into_collection(path: &[ASTNode]) -> bool {
    for node in path.iter().rev().skip(1) {
        match node {
            ASTNode::Expr(Expr::Array(..) | Expr::Map(..)) => return true,
            ASTNode::Expr(Expr::FnCall(..) | Expr::MethodCall(..)) => return false,
            ASTNode::Expr(Expr::Dot(x, ..)) if matches!(x.rhs, Expr::MethodCall(..)) => return false,
            ASTNode::Stmt(_) => return false,
            _ => {}
        }
    }
    false
}

/// Checks on the syntax tree.
pub fn check_ast(ast: &AST) -> Result<(), Rejection> {
    let mut found: Option<Rejection> = None;
    ast.walk(&mut |path: &[ASTNode]| {
        if path.len() > limits::MAX_NESTING * 2 {
            let at = path.last().map(|n| n.position().into()).unwrap_or_default();
            found = Some(reject(at, "expression nested too deeply; split it with `let`"));
            return false;
        }
        match path.last() {
            Some(ASTNode::Expr(e @ Expr::InterpolatedString(..))) => {
                found = Some(reject(expr_position(e), "interpolated strings are not allowed"));
                false
            }
            Some(ASTNode::Expr(e @ Expr::Variable(x, ..)))
                if !PROVIDED.contains(&x.1.as_str()) && copied_into_collection(path) =>
            {
                found = Some(reject(
                    expr_position(e),
                    "a variable cannot be put into an array or map literal; build arrays with push",
                ));
                false
            }
            Some(ASTNode::Expr(e @ Expr::Index(..))) if copied_into_collection(path) => {
                found = Some(reject(
                    expr_position(e),
                    "a variable cannot be put into an array or map literal; build arrays with push",
                ));
                false
            }
            Some(ASTNode::Stmt(s @ Stmt::Var(x, ..))) if PROVIDED.contains(&x.0.name.as_str()) => {
                found = Some(reject(s.position().into(), format!("`{}` is provided by the service; pick another name", x.0.name)));
                false
            }
            Some(ASTNode::Stmt(s @ Stmt::Assignment(x)))
                if matches!(&x.1.lhs, Expr::Variable(v, ..) if PROVIDED.contains(&v.1.as_str())) =>
            {
                found = Some(reject(s.position().into(), "the provided variables (cert, today, ...) cannot be changed"));
                false
            }
            Some(ASTNode::Stmt(s @ Stmt::Assignment(x))) if !matches!(x.1.lhs, Expr::Variable(..)) => {
                found = Some(reject(s.position().into(), "only whole variables can be assigned, not properties or elements"));
                false
            }
            _ => true,
        }
    });
    found.map_or(Ok(()), Err)
}
