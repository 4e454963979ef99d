//! Strict body validation: every body a route accepts is described by a schema of fields
//! with types; an unknown field or a wrong type answers 422 (form 1) naming the field with
//! a Laravel-style path (`sources.0.name`).

use serde_json::Value;

use super::clock;
use super::reply::invalid;
use crate::server::Response;

/// The type of a body field.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// A JSON string.
    Str,
    /// A JSON integer.
    Int,
    /// A JSON number.
    Num,
    /// A string or a number (attribute values).
    Scalar,
    /// A flag: `true`/`false`, `0`/`1`, `"Y"`/`"N"`, `"0"`/`"1"`.
    Flag,
    /// A timestamp string `YYYY-MM-DD HH:MM:SS`.
    Date,
    /// A lookup by name: `"Active"`, `{"name": "Active"}` or `{"id": 1}`.
    Lookup,
    /// A list of relation references `[{"id": n}]`.
    IdList,
    /// A TLP: an integer id, a name string, or `{"name": "AMBER"}`.
    Tlp,
    /// `null` or the inner type.
    Nullable(&'static Ty),
    /// A list whose items have the inner type.
    List(&'static Ty),
    /// An object with these fields (unknown fields rejected).
    Obj(&'static [F]),
    /// Anything (opaque payloads).
    Any,
}

/// One field of an object schema.
#[derive(Clone, Copy, Debug)]
pub struct F {
    /// The field name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Whether it must be present.
    pub required: bool,
}

/// An optional field.
pub const fn opt(name: &'static str, ty: Ty) -> F {
    F {
        name,
        ty,
        required: false,
    }
}

/// A required field.
pub const fn req(name: &'static str, ty: Ty) -> F {
    F {
        name,
        ty,
        required: true,
    }
}

/// A source reference as written in bodies (§8).
pub const SOURCE: &[F] = &[
    req("name", Ty::Str),
    opt("tlp_id", Ty::Nullable(&Ty::Int)),
    opt("tlp", Ty::Nullable(&Ty::Tlp)),
    opt("published_at", Ty::Nullable(&Ty::Date)),
];

/// An attribute as written in bodies (§7).
pub const ATTRIBUTE: &[F] = &[
    req("name", Ty::Str),
    req("value", Ty::Scalar),
    opt("sources", Ty::List(&Ty::Obj(SOURCE))),
    opt("published_at", Ty::Nullable(&Ty::Date)),
    opt("tlp_id", Ty::Nullable(&Ty::Int)),
];

/// Where a value sits in a body. Built on the stack as the check descends and rendered
/// (`sources.0.name`) only when an error names it, so a valid body costs no allocation.
#[derive(Clone, Copy)]
enum Path<'a> {
    /// The given prefix (empty for the body itself).
    Root(&'a str),
    /// A field of an object: `parent.key`.
    Key(&'a Path<'a>, &'a str),
    /// An item of a list: `parent.i`.
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root(s) => s.to_string(),
            Path::Key(p, k) => join(&p.render(), k),
            Path::Index(p, i) => join(&p.render(), &i.to_string()),
        }
    }
}

/// Checks `v` against `ty`; `path` names it in the error.
pub fn check(v: &Value, ty: &Ty, path: &str) -> Result<(), Response> {
    check_at(v, ty, &Path::Root(path), &|_| None)
}

/// Like [`check`], but the top-level object also accepts the extra fields `extra` knows
/// (relation lists named after collections, for instance).
pub fn check_with(
    v: &Value,
    ty: &Ty,
    path: &str,
    extra: &dyn Fn(&str) -> Option<Ty>,
) -> Result<(), Response> {
    check_at(v, ty, &Path::Root(path), extra)
}

fn check_at(
    v: &Value,
    ty: &Ty,
    path: &Path<'_>,
    extra: &dyn Fn(&str) -> Option<Ty>,
) -> Result<(), Response> {
    let bad = |what: &str| {
        let path = path.render();
        let label = if path.is_empty() { "body" } else { &path };
        Err(invalid(
            label,
            &format!("The {label} field must be {what}."),
        ))
    };
    match ty {
        Ty::Any => Ok(()),
        Ty::Str => match v {
            Value::String(_) => Ok(()),
            _ => bad("a string"),
        },
        Ty::Int => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
            _ => bad("an integer"),
        },
        Ty::Num => match v {
            Value::Number(_) => Ok(()),
            _ => bad("a number"),
        },
        Ty::Scalar => match v {
            Value::String(_) | Value::Number(_) => Ok(()),
            _ => bad("a string or a number"),
        },
        Ty::Flag => match v {
            Value::Bool(_) => Ok(()),
            Value::Number(n) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => Ok(()),
            Value::String(s) if matches!(s.as_str(), "Y" | "N" | "0" | "1") => Ok(()),
            _ => bad("true, false, 0, 1, \"Y\" or \"N\""),
        },
        Ty::Date => match v {
            Value::String(s) if clock::parse(s).is_some() => Ok(()),
            _ => bad("a date of the form YYYY-MM-DD HH:MM:SS"),
        },
        Ty::Lookup => match v {
            Value::String(_) => Ok(()),
            Value::Object(m) if m.len() == 1 && m.get("name").is_some_and(Value::is_string) => {
                Ok(())
            }
            Value::Object(m) if m.len() == 1 && m.get("id").is_some_and(Value::is_u64) => Ok(()),
            _ => bad("a name, {\"name\": ...} or {\"id\": ...}"),
        },
        Ty::Tlp => match v {
            Value::String(_) => Ok(()),
            Value::Number(n) if n.is_u64() => Ok(()),
            Value::Object(m) if m.len() == 1 && m.get("name").is_some_and(Value::is_string) => {
                Ok(())
            }
            _ => bad("a TLP id, name or {\"name\": ...}"),
        },
        Ty::IdList => match v {
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    match it {
                        Value::Object(m)
                            if m.len() == 1 && m.get("id").is_some_and(Value::is_u64) => {}
                        _ => {
                            let p = format!("{}.{i}", path.render());
                            return Err(invalid(
                                &p,
                                &format!("The {p} field must be {{\"id\": n}}."),
                            ));
                        }
                    }
                }
                Ok(())
            }
            _ => bad("a list of {\"id\": n}"),
        },
        Ty::Nullable(inner) => match v {
            Value::Null => Ok(()),
            _ => check_at(v, inner, path, extra),
        },
        Ty::List(inner) => match v {
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    check_at(it, inner, &Path::Index(path, i), &|_| None)?;
                }
                Ok(())
            }
            _ => bad("a list"),
        },
        Ty::Obj(fields) => check_obj(v, fields, path, extra, true),
    }
}

/// Checks an update body: like [`Ty::Obj`] but no field is required.
pub fn check_update(
    v: &Value,
    fields: &[F],
    extra: &dyn Fn(&str) -> Option<Ty>,
) -> Result<(), Response> {
    check_obj(v, fields, &Path::Root(""), extra, false)
}

fn check_obj(
    v: &Value,
    fields: &[F],
    path: &Path<'_>,
    extra: &dyn Fn(&str) -> Option<Ty>,
    enforce_required: bool,
) -> Result<(), Response> {
    let Value::Object(m) = v else {
        let path = path.render();
        let label = if path.is_empty() { "body" } else { &path };
        return Err(invalid(
            label,
            &format!("The {label} field must be an object."),
        ));
    };
    for (k, val) in m {
        let p = Path::Key(path, k);
        match fields.iter().find(|f| f.name == k) {
            Some(f) => check_at(val, &f.ty, &p, &|_| None)?,
            None => match extra(k) {
                Some(t) => check_at(val, &t, &p, &|_| None)?,
                None => {
                    let p = p.render();
                    return Err(invalid(&p, &format!("The {p} field is not allowed.")));
                }
            },
        }
    }
    for f in fields.iter().filter(|f| f.required && enforce_required) {
        if m.get(f.name).is_none_or(Value::is_null) {
            let p = Path::Key(path, f.name).render();
            return Err(invalid(&p, &format!("The {p} field is required.")));
        }
    }
    Ok(())
}

/// `a.b`, or `b` when `a` is empty.
pub fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// A body that may be one object or a list of them, validated item by item; returns the
/// items (moved out of the body, not copied) and whether it was a list.
pub fn one_or_many(
    body: Value,
    fields: &'static [F],
    extra: &dyn Fn(&str) -> Option<Ty>,
) -> Result<(Vec<Value>, bool), Response> {
    match body {
        Value::Array(items) => {
            for (i, it) in items.iter().enumerate() {
                check_item(it, fields, extra, i)?;
            }
            Ok((items, true))
        }
        Value::Object(_) => {
            check_with(&body, &Ty::Obj(fields), "", extra)?;
            Ok((vec![body], false))
        }
        _ => Err(invalid(
            "body",
            "The body must be an object or a list of objects.",
        )),
    }
}

/// Checks item `index` of a list body (errors name `<index>.<field>`).
pub fn check_item(
    item: &Value,
    fields: &'static [F],
    extra: &dyn Fn(&str) -> Option<Ty>,
    index: usize,
) -> Result<(), Response> {
    check_at(
        item,
        &Ty::Obj(fields),
        &Path::Index(&Path::Root(""), index),
        extra,
    )
}

/// A flag's truth (see [`Ty::Flag`]).
pub fn flag(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_u64() == Some(1),
        Value::String(s) => s == "Y" || s == "1",
        _ => false,
    }
}

/// A scalar as a string (numbers printed as JSON prints them).
pub fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: &[F] = &[
        req("value", Ty::Str),
        opt("sources", Ty::List(&Ty::Obj(SOURCE))),
    ];

    fn err_field(r: Result<(), Response>) -> String {
        let resp = r.unwrap_err();
        assert_eq!(resp.status, 422);
        let v: Value = serde_json::from_slice(&resp.body).unwrap();
        v["data"]["errors"]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone()
    }

    #[test]
    fn names_the_bad_field() {
        let t = Ty::Obj(T);
        assert!(check(&json!({"value": "x"}), &t, "").is_ok());
        assert_eq!(err_field(check(&json!({"value": 1}), &t, "")), "value");
        assert_eq!(err_field(check(&json!({"valeu": "x"}), &t, "")), "valeu");
        assert_eq!(err_field(check(&json!({}), &t, "")), "value");
        assert_eq!(
            err_field(check(
                &json!({"value": "x", "sources": [{"name": 3}]}),
                &t,
                ""
            )),
            "sources.0.name"
        );
        assert_eq!(
            err_field(check(
                &json!({"value": "x", "sources": [{"name": "a", "color": 1}]}),
                &t,
                ""
            )),
            "sources.0.color"
        );
    }
}
