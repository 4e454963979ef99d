//! Large list bodies (bulk consume) on two cores.
//!
//! A consume body of 1,500 indicators is close to a megabyte of JSON; building its
//! `serde_json::Value` tree and checking it is most of the time a consume takes. Such a body
//! is split at the top-level comma nearest its middle, and the two halves are parsed,
//! checked and resolved at the same time. The answer is always the one the serial path
//! gives: when either half does not parse, the caller goes the serial way (so a malformed
//! body gets the very same message, with line and column); otherwise errors are reported
//! in body order (every item is checked before any is resolved, as in the serial path).

use serde_json::Value;

use crate::server::Response;

/// Bodies below this size are handled on one thread (a thread costs more than it saves).
pub const MIN_SPLIT_BYTES: usize = 128 * 1024;

/// A JSON array split in two: `[a,b,c,d]` → `[a,b]` and `[c,d]`.
pub struct Split {
    /// The first half, a JSON array.
    pub left: Vec<u8>,
    /// The second half, a JSON array.
    pub right: Vec<u8>,
    /// The number of items in `left` (the index of `right`'s first item in the body).
    pub left_items: usize,
}

/// Splits a JSON array into two arrays at the first top-level comma past the middle.
/// `None` when `body` is smaller than [`MIN_SPLIT_BYTES`] or is not an array of at least
/// two items. The halves are only sound when the body is valid JSON: callers parse both and
/// fall back to the whole body when one fails or its length is not `left_items`.
pub fn split_array(body: &[u8]) -> Option<Split> {
    if body.len() < MIN_SPLIT_BYTES {
        return None;
    }
    let start = body.iter().position(|b| !is_ws(*b))?;
    if body[start] != b'[' {
        return None;
    }
    let mid = body.len() / 2;
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    let mut commas = 0usize;
    let mut comma = None;
    for (i, &c) in body.iter().enumerate().skip(start) {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => {
                if i >= mid {
                    comma = Some(i);
                    break;
                }
                commas += 1;
            }
            _ => {}
        }
    }
    let comma = comma?;
    let mut left = Vec::with_capacity(comma + 1);
    left.extend_from_slice(&body[..comma]);
    left.push(b']');
    let mut right = Vec::with_capacity(body.len() - comma);
    right.push(b'[');
    right.extend_from_slice(&body[comma + 1..]);
    Some(Split {
        left,
        right,
        left_items: commas + 1,
    })
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// What one half came to.
enum Half<T> {
    /// It does not parse as a JSON array (or not with the expected length).
    Unparsed,
    /// An item failed the body checks (the half's first failure).
    Invalid(Response),
    /// Every item passed the checks; resolving them gave this.
    Checked(Result<Vec<T>, Response>),
}

/// Checks (`check(item, index)`) and resolves (`resolve(item, index)`) the items of a
/// large list body, both halves at once; `index` is an item's index in the whole body.
/// Each item is checked and resolved as soon as it is parsed, while it is in the cache;
/// `resolve` may take what it keeps out of the item, and what is left of the items is
/// returned (for the caller to drop when it suits). `None` when the body is not split or
/// a half does not parse: the caller then takes the serial path (which gives the parse
/// error). Otherwise the first error in body order, every check before any resolution, as
/// the serial path reports it.
#[allow(clippy::type_complexity)]
pub fn in_halves<T, C, R>(
    body: &[u8],
    check: C,
    resolve: R,
) -> Option<Result<(Vec<T>, Vec<Value>), Response>>
where
    T: Send,
    C: Fn(&Value, usize) -> Result<(), Response> + Sync,
    R: Fn(&mut Value, usize) -> Result<T, Response> + Sync,
{
    let split = split_array(body)?;
    let work = |bytes: &[u8], offset: usize, len: Option<usize>| -> (Half<T>, Vec<Value>) {
        let mut out = Vec::new();
        let mut rest = Vec::new();
        let mut invalid = None;
        let mut unresolved = None;
        let each = |mut item: Value| {
            let index = offset + rest.len();
            if invalid.is_none() {
                if let Err(e) = check(&item, index) {
                    invalid = Some(e);
                } else if unresolved.is_none() {
                    // A later item may still fail its checks, which would be the answer:
                    // keep checking, stop resolving.
                    match resolve(&mut item, index) {
                        Ok(t) => out.push(t),
                        Err(e) => unresolved = Some(e),
                    }
                }
            }
            rest.push(item);
        };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed =
            serde::Deserializer::deserialize_seq(&mut de, EachItem(each)).and_then(|()| de.end());
        // An empty half would hide a trailing comma (`[a,]`) the whole body has.
        let whole = !rest.is_empty() && len.is_none_or(|n| n == rest.len());
        let half = match (parsed, invalid, unresolved) {
            (Err(_), _, _) => Half::Unparsed,
            _ if !whole => Half::Unparsed,
            (Ok(()), Some(e), _) => Half::Invalid(e),
            (Ok(()), None, Some(e)) => Half::Checked(Err(e)),
            (Ok(()), None, None) => Half::Checked(Ok(out)),
        };
        (half, rest)
    };
    let (l, r) = std::thread::scope(|s| {
        let right = || work(&split.right, split.left_items, None);
        let spawned = std::thread::Builder::new()
            .name("tq-fake-bulk".into())
            .spawn_scoped(s, right);
        let l = work(&split.left, 0, Some(split.left_items));
        let r = match spawned {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => right(),
        };
        (l, r)
    });
    let ((l, mut rest), (r, rest_r)) = (l, r);
    rest.extend(rest_r);
    match (l, r) {
        (Half::Unparsed, _) | (_, Half::Unparsed) => None,
        (Half::Invalid(e), _) | (_, Half::Invalid(e)) => Some(Err(e)),
        (Half::Checked(Err(e)), _) | (_, Half::Checked(Err(e))) => Some(Err(e)),
        (Half::Checked(Ok(mut a)), Half::Checked(Ok(b))) => {
            a.extend(b);
            Some(Ok((a, rest)))
        }
    }
}

/// Deserializes a JSON array item by item, handing each to a closure (no list is built).
struct EachItem<F>(F);

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for EachItem<F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.0)(item);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A list body above the split size whose strings hold every character the splitter
    /// must not take for structure: commas, brackets, braces, escaped quotes, backslashes.
    fn tricky(n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| {
                json!({
                    "value": format!("v{i},]}}[{{\\\"x\\\\"),
                    "nested": [{"a": [i, "],"]}],
                    "pad": "p".repeat(200),
                })
            })
            .collect()
    }

    fn err(msg: &str) -> Response {
        crate::server::Response::json(422, &json!({ "message": msg }))
    }

    fn message(r: &Response) -> String {
        String::from_utf8_lossy(&r.body).into_owned()
    }

    #[test]
    fn small_bodies_and_non_lists_are_not_split() {
        assert!(split_array(b"[1,2,3]").is_none());
        let big = serde_json::to_vec(&json!({ "a": "x".repeat(MIN_SPLIT_BYTES) })).unwrap();
        assert!(split_array(&big).is_none());
        let one = serde_json::to_vec(&json!(["x".repeat(MIN_SPLIT_BYTES)])).unwrap();
        assert!(
            split_array(&one).is_none(),
            "one item has no comma to split at"
        );
    }

    #[test]
    fn halves_hold_the_items_of_the_whole_in_order() {
        let items = tricky(1_000);
        let body = serde_json::to_vec_pretty(&items).unwrap();
        assert!(body.len() > MIN_SPLIT_BYTES);
        let s = split_array(&body).expect("split");
        let left: Vec<Value> = serde_json::from_slice(&s.left).unwrap();
        let right: Vec<Value> = serde_json::from_slice(&s.right).unwrap();
        assert_eq!(left.len(), s.left_items);
        assert!(!left.is_empty() && !right.is_empty());
        let joined: Vec<Value> = left.into_iter().chain(right).collect();
        assert_eq!(joined, items);
    }

    #[test]
    fn in_halves_resolves_every_item_with_its_body_index() {
        let items = tricky(1_000);
        let body = serde_json::to_vec(&items).unwrap();
        let done = in_halves(
            &body,
            |_, _| Ok(()),
            |item, i| Ok((i, item["value"].clone())),
        )
        .expect("split")
        .unwrap_or_else(|e| panic!("{}", message(&e)));
        let (resolved, rest) = done;
        assert_eq!(rest.len(), items.len());
        for (n, (i, v)) in resolved.iter().enumerate() {
            assert_eq!(*i, n);
            assert_eq!(*v, items[n]["value"]);
        }
    }

    #[test]
    fn errors_come_in_the_serial_order() {
        let items = tricky(1_000);
        let body = serde_json::to_vec(&items).unwrap();
        // A check failure late in the body beats a resolve failure early in it (the serial
        // path checks every item before it resolves any), and the first check failure wins.
        let check = |_: &Value, i: usize| match i {
            900 => Err(err("check 900")),
            950 => Err(err("check 950")),
            _ => Ok(()),
        };
        let resolve = |_: &mut Value, i: usize| if i == 3 { Err(err("resolve 3")) } else { Ok(i) };
        let e = in_halves(&body, check, resolve)
            .expect("split")
            .unwrap_err();
        assert!(message(&e).contains("check 900"), "{}", message(&e));
        let resolve_only = in_halves(&body, |_, _| Ok(()), resolve).expect("split");
        let e = resolve_only.unwrap_err();
        assert!(message(&e).contains("resolve 3"), "{}", message(&e));
    }

    #[test]
    fn a_body_that_does_not_parse_is_left_to_the_serial_path() {
        let mut body = serde_json::to_vec(&tricky(1_000)).unwrap();
        body.truncate(body.len() - 1);
        body.extend_from_slice(b",]");
        assert!(
            in_halves(&body, |_, _| Ok(()), |_, i| Ok(i)).is_none(),
            "trailing comma"
        );
        let mut cut = serde_json::to_vec(&tricky(1_000)).unwrap();
        cut.truncate(cut.len() / 3);
        assert!(
            in_halves(&cut, |_, _| Ok(()), |_, i| Ok(i)).is_none(),
            "truncated"
        );
    }
}
