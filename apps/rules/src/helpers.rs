//! The only functions and operators scripts can call. Everything that can
//! make a value larger checks the caps in `limits`; integer arithmetic is
//! checked instead of wrapping or aborting.

use rhai::{Array, Dynamic, Engine, EvalAltResult, INT, ImmutableString, Map};
use safecert_domain::{IdNumber, Uscc};

use crate::{dates, limits};

type Fallible<T> = Result<T, Box<EvalAltResult>>;

fn fail<T>(message: impl Into<String>) -> Fallible<T> {
    Err(message.into().into())
}

fn capped_string(s: String) -> Fallible<ImmutableString> {
    if s.len() > limits::MAX_STRING_BYTES {
        return fail(format!("string too large: over {} bytes", limits::MAX_STRING_BYTES));
    }
    Ok(s.into())
}

/// Elements in a value, counting through nested arrays and maps; stops
/// counting once past the cap.
fn items(value: &Dynamic) -> usize {
    fn walk(value: &Dynamic, budget: &mut usize) {
        if *budget > limits::MAX_ITEMS {
            return;
        }
        if let Some(array) = value.read_lock::<Array>() {
            for v in array.iter() {
                *budget += 1;
                walk(v, budget);
            }
        } else if let Some(map) = value.read_lock::<Map>() {
            for v in map.values() {
                *budget += 1;
                walk(v, budget);
            }
        } else if let Some(s) = value.read_lock::<ImmutableString>() {
            *budget += s.len() / 64;
        }
    }
    let mut budget = 0;
    walk(value, &mut budget);
    budget
}

fn capped<T: Into<Dynamic> + Clone>(value: T) -> Fallible<T> {
    if items(&value.clone().into()) > limits::MAX_ITEMS {
        return fail(format!("array or map too large: over {} elements", limits::MAX_ITEMS));
    }
    Ok(value)
}

fn date_or_fail(day: Option<INT>, what: &str) -> Fallible<INT> {
    day.map_or_else(|| fail(format!("{what}: not a valid date")), Ok)
}

fn scalar_eq(a: &Dynamic, b: &Dynamic) -> bool {
    if let (Ok(x), Ok(y)) = (a.as_int(), b.as_int()) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (a.as_char(), b.as_char()) {
        return x == y;
    }
    match (a.read_lock::<ImmutableString>(), b.read_lock::<ImmutableString>()) {
        (Some(x), Some(y)) => *x == *y,
        _ => a.is_unit() && b.is_unit(),
    }
}

fn register_arithmetic(engine: &mut Engine) {
    fn checked(op: &str, v: Option<INT>) -> Fallible<INT> {
        v.map_or_else(|| fail(format!("arithmetic overflow or division by zero in `{op}`")), Ok)
    }
    engine.register_fn("+", |a: INT, b: INT| checked("+", a.checked_add(b)));
    engine.register_fn("-", |a: INT, b: INT| checked("-", a.checked_sub(b)));
    engine.register_fn("*", |a: INT, b: INT| checked("*", a.checked_mul(b)));
    engine.register_fn("/", |a: INT, b: INT| checked("/", a.checked_div(b)));
    engine.register_fn("%", |a: INT, b: INT| checked("%", a.checked_rem(b)));
    engine.register_fn("-", |a: INT| checked("-", a.checked_neg()));
    engine.register_fn("!", |a: bool| !a);
    for op in ["+=", "-=", "*=", "/=", "%="] {
        let base = &op[..1];
        let f: fn(INT, INT) -> Option<INT> = match base {
            "+" => INT::checked_add,
            "-" => INT::checked_sub,
            "*" => INT::checked_mul,
            "/" => INT::checked_div,
            _ => INT::checked_rem,
        };
        engine.register_fn(op, move |a: &mut INT, b: INT| {
            *a = checked(op, f(*a, b))?;
            Ok::<(), Box<EvalAltResult>>(())
        });
    }
}

fn register_strings(engine: &mut Engine) {
    engine.register_fn("+", |a: ImmutableString, b: ImmutableString| capped_string(format!("{a}{b}")));
    engine.register_fn("+", |a: ImmutableString, b: char| capped_string(format!("{a}{b}")));
    engine.register_fn("+", |a: char, b: ImmutableString| capped_string(format!("{a}{b}")));
    engine.register_fn("+", |a: ImmutableString, _: ()| a);
    engine.register_fn("+", |_: (), b: ImmutableString| b);
    engine.register_fn("+=", |a: &mut ImmutableString, b: ImmutableString| {
        *a = capped_string(format!("{a}{b}"))?;
        Ok::<(), Box<EvalAltResult>>(())
    });
    engine.register_fn("+=", |a: &mut ImmutableString, b: char| {
        *a = capped_string(format!("{a}{b}"))?;
        Ok::<(), Box<EvalAltResult>>(())
    });
    engine.register_fn("len", |s: &mut ImmutableString| INT::try_from(s.chars().count()).unwrap_or(INT::MAX));
    engine.register_fn("is_empty", |s: &mut ImmutableString| s.is_empty());
    engine.register_fn("to_upper", |s: &mut ImmutableString| capped_string(s.to_uppercase()));
    engine.register_fn("to_lower", |s: &mut ImmutableString| capped_string(s.to_lowercase()));
    engine.register_fn("trim", |s: &mut ImmutableString| ImmutableString::from(s.trim()));
    engine.register_fn("starts_with", |s: &mut ImmutableString, p: ImmutableString| s.starts_with(p.as_str()));
    engine.register_fn("ends_with", |s: &mut ImmutableString, p: ImmutableString| s.ends_with(p.as_str()));
    engine.register_fn("contains", |s: &mut ImmutableString, p: ImmutableString| s.contains(p.as_str()));
    engine.register_fn("contains", |s: &mut ImmutableString, c: char| s.contains(c));
    engine.register_fn("replace", |s: &mut ImmutableString, from: ImmutableString, to: ImmutableString| {
        if from.is_empty() {
            return Ok(s.clone());
        }
        let hits = s.matches(from.as_str()).count();
        if s.len() + hits.saturating_mul(to.len()) > limits::MAX_STRING_BYTES + hits.saturating_mul(from.len()) {
            return fail(format!("string too large: over {} bytes", limits::MAX_STRING_BYTES));
        }
        capped_string(s.replace(from.as_str(), to.as_str()))
    });
    engine.register_fn("remove_spaces", |s: &mut ImmutableString| {
        ImmutableString::from(s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
    });
    // Characters, not bytes: `sub_string("粤A123", 0, 1)` is "粤".
    engine.register_fn("sub_string", |s: &mut ImmutableString, start: INT, len: INT| {
        let start = usize::try_from(start).unwrap_or(0);
        let len = usize::try_from(len).unwrap_or(0);
        ImmutableString::from(s.chars().skip(start).take(len).collect::<String>())
    });
    engine.register_fn("sub_string", |s: &mut ImmutableString, start: INT| {
        let start = usize::try_from(start).unwrap_or(0);
        ImmutableString::from(s.chars().skip(start).collect::<String>())
    });
    engine.register_fn("is_digits", |s: &mut ImmutableString| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    engine.register_fn("is_alphanumeric", |s: &mut ImmutableString| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    engine.register_fn("is_id_number", |s: &mut ImmutableString| IdNumber::parse(s).is_ok());
    engine.register_fn("is_uscc", |s: &mut ImmutableString| Uscc::parse(s).is_ok());
    engine.register_fn("to_int", |s: &mut ImmutableString| s.parse::<INT>().map_or(Dynamic::UNIT, Dynamic::from_int));
    engine.register_fn("to_string", |n: INT| ImmutableString::from(n.to_string()));
}

fn register_collections(engine: &mut Engine) {
    engine.register_fn("len", |a: &mut Array| INT::try_from(a.len()).unwrap_or(INT::MAX));
    engine.register_fn("len", |m: &mut Map| INT::try_from(m.len()).unwrap_or(INT::MAX));
    engine.register_fn("is_empty", |a: &mut Array| a.is_empty());
    engine.register_fn("is_empty", |m: &mut Map| m.is_empty());
    // `x in array` and `"key" in map`.
    engine.register_fn("contains", |a: &mut Array, item: Dynamic| a.iter().any(|v| scalar_eq(v, &item)));
    engine.register_fn("contains", |m: &mut Map, key: ImmutableString| m.contains_key(key.as_str()));
    engine.register_fn("push", |a: &mut Array, item: Dynamic| {
        a.push(item);
        if items(&Dynamic::from_array(a.clone())) > limits::MAX_ITEMS {
            a.pop();
            return fail(format!("array too large: over {} elements", limits::MAX_ITEMS));
        }
        Ok::<(), Box<EvalAltResult>>(())
    });
    engine.register_fn("+", |a: Array, b: Array| capped(a.into_iter().chain(b).collect::<Array>()));
    engine.register_fn("+=", |a: &mut Array, b: Array| {
        let joined: Array = a.iter().cloned().chain(b).collect();
        *a = capped(joined)?;
        Ok::<(), Box<EvalAltResult>>(())
    });
    engine.register_fn("+=", |a: &mut Array, item: Dynamic| {
        let mut joined = a.clone();
        joined.push(item);
        *a = capped(joined)?;
        Ok::<(), Box<EvalAltResult>>(())
    });
    engine.register_fn("+", |a: Map, b: Map| capped(a.into_iter().chain(b).collect::<Map>()));
    engine.register_fn("+=", |a: &mut Map, b: Map| {
        let joined: Map = a.clone().into_iter().chain(b).collect();
        *a = capped(joined)?;
        Ok::<(), Box<EvalAltResult>>(())
    });
}

fn register_sums(engine: &mut Engine) {
    // `sum_of(cert.training, "hours")`: adds up one number across maps.
    engine.register_fn("sum_of", |list: &mut Array, key: ImmutableString| {
        let mut total: INT = 0;
        for item in list.iter() {
            if let Some(n) = item.read_lock::<Map>().and_then(|m| m.get(key.as_str()).and_then(|v| v.as_int().ok())) {
                total = total.checked_add(n).map_or_else(|| fail("sum_of: total too large"), Ok)?;
            }
        }
        Ok::<INT, Box<EvalAltResult>>(total)
    });
}

fn register_dates(engine: &mut Engine) {
    engine.register_fn("date", |y: INT, m: INT, d: INT| {
        date_or_fail(dates::ymd(y, m, d), &format!("date({y}, {m}, {d})"))
    });
    engine.register_fn("add_years", |day: INT, n: INT| date_or_fail(dates::add_years(day, n), "add_years"));
    engine.register_fn("add_months", |day: INT, n: INT| date_or_fail(dates::add_months(day, n), "add_months"));
    engine.register_fn("add_days", |day: INT, n: INT| {
        date_or_fail(day.checked_add(n).and_then(|d| dates::from_day(d).map(|_| d)), "add_days")
    });
    engine.register_fn("year", |day: INT| date_or_fail(dates::year(day), "year"));
    engine.register_fn("month", |day: INT| date_or_fail(dates::month(day), "month"));
    engine.register_fn("day", |day: INT| date_or_fail(dates::day_of_month(day), "day"));
    engine.register_fn("days_between", |from: INT, to: INT| {
        to.checked_sub(from).map_or_else(|| fail("days_between: dates too far apart"), Ok)
    });
    engine.register_fn("date_text", |day: INT| {
        dates::from_day(day)
            .map_or_else(|| fail("date_text: not a valid date"), |d| Ok(ImmutableString::from(d.to_string())))
    });
    engine.register_fn("min", |a: INT, b: INT| a.min(b));
    engine.register_fn("max", |a: INT, b: INT| a.max(b));
}

fn register_problems(engine: &mut Engine) {
    engine.register_fn("problem", |field: ImmutableString, code: ImmutableString| {
        let mut m = Map::new();
        m.insert("field".into(), field.into());
        m.insert("code".into(), code.into());
        m
    });
}

pub(crate) fn register(engine: &mut Engine) {
    register_arithmetic(engine);
    register_strings(engine);
    register_collections(engine);
    register_dates(engine);
    register_problems(engine);
    register_sums(engine);
}
