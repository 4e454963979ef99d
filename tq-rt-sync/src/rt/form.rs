//! RT's REST 1.0 text format, byte for byte: the status line, forms of `Field: value` lines
//! (read as RT's own `form_parse` reads them), the safe writer, and the comma lists of
//! multi-value fields (RT's `vsplit`).
//!
//! The writer puts every value on continuation lines, each starting with one space, below a
//! line that holds only `Field:`. RT joins continuation lines to the field above before it
//! looks at their text, so no value can start a field of its own: a value holding
//! `"x\nStatus: deleted"` is the two-line value of its field, never a `Status` change. The
//! same rule keeps a value that holds `}:` from confusing RT's `CF.{Name}` pattern. What RT
//! does not keep (it strips the indentation all value lines share, and leading empty lines)
//! is what [`stored_form`] returns, so a caller can compare values as RT stores them.

use std::fmt;

/// The first line of every REST 1.0 answer: `RT/<version> <code> <text>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    /// RT's version (`5.0.3+dfsg-3~deb12u7` on Debian, `4.4.4` upstream).
    pub version: String,
    /// The status code (RT answers HTTP 200 and puts the real status here).
    pub code: u16,
    /// The status text (`Ok`, `Credentials required`, `Syntax Error`).
    pub text: String,
}

/// One REST 1.0 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status line; `None` for an empty answer (RT's answer to an edit that changed
    /// nothing).
    pub status: Option<StatusLine>,
    /// The text after the status line and the blank line that follows it.
    pub body: String,
}

/// Why an answer is not a REST 1.0 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRest(pub String);

impl fmt::Display for NotRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a Request Tracker REST 1.0 answer (check the RT URL and its web path): {}",
            self.0
        )
    }
}

/// Parses an answer: the status line `RT/<version> <code> <text>`, a blank line, the body.
/// An empty answer is valid (no status). Anything else (an HTML page from a wrong URL, a
/// proxy's error) is [`NotRest`] with the start of the text.
pub fn parse_reply(raw: &str) -> Result<Reply, NotRest> {
    if raw.trim().is_empty() {
        return Ok(Reply {
            status: None,
            body: String::new(),
        });
    }
    let (first, rest) = raw.split_once('\n').unwrap_or((raw, ""));
    let status = parse_status_line(first.trim_end_matches('\r')).ok_or_else(|| {
        let excerpt: String = raw.chars().take(120).collect();
        NotRest(excerpt.split_whitespace().collect::<Vec<_>>().join(" "))
    })?;
    let body = rest.strip_prefix('\n').unwrap_or(rest).to_string();
    Ok(Reply {
        status: Some(status),
        body,
    })
}

fn parse_status_line(line: &str) -> Option<StatusLine> {
    let rest = line.strip_prefix("RT/")?;
    let (version, rest) = rest.split_once(' ')?;
    if version.is_empty() || version.chars().any(char::is_whitespace) {
        return None;
    }
    let (code, text) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(StatusLine {
        version: version.to_string(),
        code: code.parse().ok()?,
        text: text.to_string(),
    })
}

/// One form: the `#` comment lines at its top, its fields in order (a repeated field keeps
/// every value), and, when RT's parser would reject it, the syntax error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// The comment lines at the top, as sent (`# Ticket 1 created.`).
    pub comments: Vec<String>,
    /// `(field, value)` in order; multi-line values joined with `\n`.
    pub fields: Vec<(String, String)>,
    /// A `#` line after the first field (RT's "syntax error" marker) and what follows it.
    pub error: Option<String>,
}

impl Form {
    /// The first value of a field (names compared without regard to case, as RT does).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The comment lines without their `# ` marker, joined with `; ` (for messages).
    pub fn comment_text(&self) -> String {
        comment_text(&self.comments)
    }
}

/// Comment lines without their `#` marker, joined with `; `.
pub fn comment_text(comments: &[String]) -> String {
    comments
        .iter()
        .flat_map(|c| c.lines())
        .map(|l| l.trim_start_matches('#').trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Which field names a parser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// RT's own rule when it reads what we send (`RT::Interface::REST::field_spec`):
    /// `[a-z][a-z0-9_-]*`, `CF.{name}` or `CF-name`; other lines are ignored.
    Rt,
    /// What RT writes: any text up to the first `:` (a transaction id in a history, a queue
    /// field "Name (Description)"), or `CF.{...}` up to its `}:`.
    Any,
}

/// Perl's `\s` on a character string (Unicode White_Space), which is what RT matches.
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// `Field:` or `Field: value` (whitespace after the colon, or nothing); the field and the
/// value of the first line.
fn field_line(line: &str, keys: Keys) -> Option<(&str, &str)> {
    let key_end = match keys {
        Keys::Rt => rt_key_end(line)?,
        Keys::Any => any_key_end(line)?,
    };
    let (key, rest) = (&line[..key_end], &line[key_end + 1..]);
    if rest.is_empty() {
        return Some((key, ""));
    }
    if !rest.starts_with(is_space) {
        return None;
    }
    Some((key, rest.trim_start_matches(is_space)))
}

/// RT's `field_spec`; returns where the `:` after the field is. Perl tries the alternatives
/// in order: a plain name, then `CF.{...}`, then `CF-...` (each name, like Perl's greedy
/// `[^,]+`, running to the last `:` that whitespace or the end follows, with no comma).
fn rt_key_end(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    if bytes.first()?.is_ascii_alphabetic() {
        let end = bytes
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
            .unwrap_or(bytes.len());
        if bytes.get(end) == Some(&b':') && colon_ends_key(line, end) {
            return Some(end);
        }
    }
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("cf.{") {
        let mut best = None;
        for (i, c) in line.char_indices().skip(4) {
            if c == ',' {
                break;
            }
            if c == '}' && i > 4 && line[i + 1..].starts_with(':') && colon_ends_key(line, i + 1) {
                best = Some(i + 1);
            }
        }
        if best.is_some() {
            return best;
        }
    }
    for prefix in ["customfield-", "customf-", "cfield-", "cf-"] {
        if !lower.starts_with(prefix) {
            continue;
        }
        let mut best = None;
        for (i, c) in line.char_indices().skip(prefix.len()) {
            if c == ',' {
                break;
            }
            if c == ':' && i > prefix.len() && colon_ends_key(line, i) {
                best = Some(i);
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// After the `:` at `colon`: the end of the line or whitespace (Perl: `:(?:\s+(.*))?$`).
fn colon_ends_key(line: &str, colon: usize) -> bool {
    let after = &line[colon + 1..];
    after.is_empty() || after.starts_with(is_space)
}

fn any_key_end(line: &str) -> Option<usize> {
    if line.is_empty() || line.starts_with(is_space) || line.starts_with('#') {
        return None;
    }
    if line.len() > 4 && line[..4].eq_ignore_ascii_case("cf.{") {
        if let Some(i) = line.find("}:") {
            return Some(i + 1);
        }
    }
    let i = line.find(':')?;
    (i > 0).then_some(i)
}

/// Parses forms as RT's `form_parse` does: forms are separated by `--` lines; comment lines
/// may open a form; a field's value continues on the following lines that are empty or start
/// with whitespace; the indentation all continuation lines share is removed, as are trailing
/// empty lines and leading empty lines; a line that is neither a field nor a comment is
/// ignored; a comment after the first field is a syntax error that swallows the rest of the
/// form.
pub fn parse_forms(text: &str, keys: Keys) -> Vec<Form> {
    // Perl's split /\n/ drops trailing empty fields.
    let mut lines: Vec<&str> = text.split('\n').collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    let mut forms = Vec::new();
    let mut form = Form::default();
    let mut state = 0i8;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.is_empty() {
            continue;
        }
        if line == "--" {
            if form.error.is_some() || !form.comments.is_empty() || !form.fields.is_empty() {
                forms.push(std::mem::take(&mut form));
            }
            state = 0;
            continue;
        }
        if state == -1 {
            if let Some(e) = form.error.as_mut() {
                e.push_str(line);
                e.push('\n');
            }
            continue;
        }
        if state == 0 && line.starts_with('#') {
            state = 1;
            form.comments.push(line.to_string());
            while i < lines.len() && lines[i].starts_with('#') {
                form.comments.push(lines[i].to_string());
                i += 1;
            }
            continue;
        }
        if let Some((key, first)) = field_line(line, keys) {
            let mut v: Vec<String> = vec![first.to_string()];
            while i < lines.len() && (lines[i].is_empty() || lines[i].starts_with(is_space)) {
                v.push(lines[i].to_string());
                i += 1;
            }
            while v.last().is_some_and(String::is_empty) {
                v.pop();
            }
            // The shortest leading whitespace of the continuation lines (Perl: the first of
            // the shortest), removed where a line starts with it.
            let mut ws: Option<String> = None;
            for l in v.iter().skip(1) {
                let lead: String = l.chars().take_while(|c| is_space(*c)).collect();
                if lead.is_empty() {
                    continue;
                }
                if ws
                    .as_ref()
                    .is_none_or(|w| lead.chars().count() < w.chars().count())
                {
                    ws = Some(lead);
                }
            }
            if let Some(ws) = ws {
                for l in v.iter_mut() {
                    if let Some(rest) = l.strip_prefix(ws.as_str()) {
                        *l = rest.to_string();
                    }
                }
            }
            while v.first().is_some_and(String::is_empty) {
                v.remove(0);
            }
            form.fields.push((key.to_string(), v.join("\n")));
            state = 1;
            continue;
        }
        if line.starts_with('#') {
            state = -1;
            form.error = Some(format!("{line}\n"));
        }
    }
    if form.error.is_some() || !form.comments.is_empty() || !form.fields.is_empty() {
        forms.push(form);
    }
    forms
}

/// A field name that cannot be written (RT would not read it back as that field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField(pub String);

impl fmt::Display for BadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "field name {:?} cannot be sent to Request Tracker (a custom field name must not be empty or hold a comma, a brace or a line break)",
            self.0
        )
    }
}

/// Checks a field name we send: a plain name (`Status`, `id`) or `CF.{Name}`.
pub fn check_field(name: &str) -> Result<(), BadField> {
    let ok = if let Some(inner) = name.strip_prefix("CF.{").and_then(|r| r.strip_suffix('}')) {
        !inner.is_empty()
            && !inner.starts_with(is_space)
            && !inner.contains([',', '{', '}', '\n', '\r'])
    } else {
        let b = name.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphabetic()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
    };
    if ok {
        Ok(())
    } else {
        Err(BadField(name.to_string()))
    }
}

/// Writes one form. Every value goes on continuation lines (one space, then the line; an
/// empty line becomes a single space) below a line that holds only `Field:`, so that no value
/// can end its field or start another; see the module doc.
pub fn compose_form<K: AsRef<str>, V: AsRef<str>>(fields: &[(K, V)]) -> Result<String, BadField> {
    let mut out = String::new();
    for (k, v) in fields {
        let (k, v) = (k.as_ref(), v.as_ref());
        check_field(k)?;
        out.push_str(k);
        out.push_str(":\n");
        if v.is_empty() {
            continue;
        }
        for line in v.split('\n') {
            out.push(' ');
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The value RT keeps of `value` sent with [`compose_form`]: the indentation all its lines
/// share and its leading empty lines are gone.
pub fn stored_form(value: &str) -> String {
    let text = compose_form(&[("x", value)]).unwrap_or_default();
    parse_forms(&text, Keys::Rt)
        .into_iter()
        .next()
        .and_then(|f| f.fields.into_iter().next())
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The values of a multi-value field as RT reads them (`vsplit` with stripping): one value
/// per line and per comma; `'...'` and `"..."` quote a value (a backslash escapes the quote
/// and itself); `q{...}` too; whitespace around a value is dropped.
pub fn split_values(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in s.split('\n') {
        let mut rest = line;
        while rest.chars().any(|c| !is_space(c)) {
            let (value, after) = split_one(rest);
            out.push(value);
            rest = after;
        }
    }
    out
}

/// After a value: optional whitespace then the end of the line or a comma; returns what
/// follows the comma (or "" at the end).
fn after_value(s: &str) -> Option<&str> {
    let t = s.trim_start_matches(is_space);
    if t.is_empty() {
        Some("")
    } else {
        t.strip_prefix(',')
    }
}

/// A quoted string at the start of `s` (opening quote `q`): its raw content and the rest
/// after the closing quote.
fn quoted(s: &str, q: char) -> Option<(&str, &str)> {
    let body = s.strip_prefix(q)?;
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next()?;
        } else if c == q {
            return Some((&body[..i], &body[i + 1..]));
        }
    }
    None
}

fn unescape(s: &str, q: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| *n == '\\' || *n == q) {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn split_one(line: &str) -> (String, &str) {
    let s = line.trim_start_matches(is_space);
    for q in ['"', '\''] {
        if let Some((content, after)) = quoted(s, q) {
            if let Some(next) = after_value(after) {
                return (unescape(content, q), next);
            }
        }
    }
    if let Some(body) = s.strip_prefix("q{") {
        // The shortest content up to a '}' that the end or a comma follows.
        for (i, c) in body.char_indices() {
            if c == '}' {
                if let Some(next) = after_value(&body[i + 1..]) {
                    let content = &body[..i];
                    // Perl: `$5 || $6`, so an empty or "0" content reads as "".
                    let v = if content.is_empty() || content == "0" {
                        String::new()
                    } else {
                        content.to_string()
                    };
                    return (v, next);
                }
            }
        }
    }
    // Anything else: up to the first comma (or the end), trailing whitespace dropped.
    match s.find(',') {
        Some(i) => (s[..i].trim_end_matches(is_space).to_string(), &s[i + 1..]),
        None => (s.trim_end_matches(is_space).to_string(), ""),
    }
}

/// Writes the values of a multi-value field so that RT reads back exactly these values: one
/// per line, each in single quotes. A line break inside a value separates values, as in RT's
/// own editor; empty values are left out (RT ignores them).
pub fn join_values<S: AsRef<str>>(values: &[S]) -> String {
    let mut lines = Vec::new();
    for v in values {
        for part in v.as_ref().split('\n') {
            if part.is_empty() {
                continue;
            }
            lines.push(format!(
                "'{}'",
                part.replace('\\', "\\\\").replace('\'', "\\'")
            ));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_of_debian_and_upstream_rt() {
        let r = parse_reply("RT/5.0.3+dfsg-3~deb12u7 200 Ok\n\n# Ticket 1 created.\n\n").unwrap();
        let s = r.status.unwrap();
        assert_eq!(
            (s.version.as_str(), s.code, s.text.as_str()),
            ("5.0.3+dfsg-3~deb12u7", 200, "Ok")
        );
        assert_eq!(r.body, "# Ticket 1 created.\n\n");
        let r = parse_reply(
            "RT/4.4.4 401 Credentials required\n\nYour username or password is incorrect\n",
        )
        .unwrap();
        assert_eq!(r.status.unwrap().text, "Credentials required");
        assert_eq!(r.body, "Your username or password is incorrect\n");
        let r = parse_reply("RT/5.0.3 409 Syntax Error\r\n\r\n# x\r\n").unwrap();
        assert_eq!(r.status.unwrap().code, 409);
    }

    #[test]
    fn empty_answer_is_valid_and_html_is_not() {
        assert_eq!(
            parse_reply("").unwrap(),
            Reply {
                status: None,
                body: String::new()
            }
        );
        let e = parse_reply("<!DOCTYPE html>\n<html><title>404 Not Found</title>").unwrap_err();
        assert!(e.to_string().contains("<!DOCTYPE html>"), "{e}");
        assert!(parse_reply("RT/ 200 Ok\n").is_err());
        assert!(parse_reply("RT/5.0 20 Ok\n").is_err());
    }

    /// A ticket as RT 5.0.3 shows it (bytes captured from the rig), with a multi-line value.
    const SHOW: &str = "id: ticket/1\nQueue: Incidents\nOwner: Nobody\nSubject: Test 1\nStatus: new\nRequestors:\nCF.{ThreatQ Link}: \nCF.{IP}: 1.1.1.1,'a,b',it's\nCF.{External Ticket Number}: \n\nCF.{Description}: line one\n    Status: deleted\n    \n     indented\n\nCF.{Resolution}: \n";

    #[test]
    fn show_form_with_multiline_value() {
        let forms = parse_forms(SHOW, Keys::Any);
        assert_eq!(forms.len(), 1);
        let f = &forms[0];
        assert_eq!(f.get("id"), Some("ticket/1"));
        assert_eq!(f.get("requestors"), Some(""));
        assert_eq!(f.get("CF.{ThreatQ Link}"), Some(""));
        assert_eq!(f.get("CF.{External Ticket Number}"), Some(""));
        assert_eq!(
            f.get("CF.{Description}"),
            Some("line one\nStatus: deleted\n\n indented")
        );
        assert_eq!(f.get("Status"), Some("new"));
        assert_eq!(f.get("CF.{Resolution}"), Some(""));
        assert_eq!(
            split_values(f.get("CF.{IP}").unwrap()),
            ["1.1.1.1", "a,b", "it's"]
        );
    }

    #[test]
    fn forms_comments_separators_and_errors() {
        let t = "# 2/2 (id/33/total)\n\nid: 33\nType: Create\nContent: a\n         --\n         b\n\n--\n\n# 2/2 (id/34/total)\n\nid: 34\nType: Comment\n";
        let forms = parse_forms(t, Keys::Any);
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].comments, ["# 2/2 (id/33/total)"]);
        assert_eq!(forms[0].get("content"), Some("a\n--\nb"));
        assert_eq!(forms[1].get("Type"), Some("Comment"));
        let e = parse_forms("id: 1\n# oops\nStatus: open\n", Keys::Rt);
        assert_eq!(e[0].fields, [("id".to_string(), "1".to_string())]);
        assert_eq!(e[0].error.as_deref(), Some("# oops\nStatus: open\n"));
        // RT ignores a line that is neither a field nor a comment.
        let f = parse_forms("Foo Bar: x\nStatus: open\n", Keys::Rt);
        assert_eq!(f[0].fields, [("Status".to_string(), "open".to_string())]);
    }

    #[test]
    fn rt_keys_follow_field_spec() {
        let k = |l: &str| field_line(l, Keys::Rt).map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(k("Status: open"), Some(("Status".into(), "open".into())));
        assert_eq!(k("Status:"), Some(("Status".into(), "".into())));
        assert_eq!(k("Status:open"), None);
        assert_eq!(k("1abc: x"), None);
        assert_eq!(
            k("CF.{IP}: 1.2.3.4"),
            Some(("CF.{IP}".into(), "1.2.3.4".into()))
        );
        assert_eq!(
            k("CF-Threat TTP: x"),
            Some(("CF-Threat TTP".into(), "x".into()))
        );
        // Perl's greedy [^,]+: a value holding "}: " moves the field name (why we never put
        // a value on the field's own line).
        assert_eq!(
            k("CF.{Description}: a}: b"),
            Some(("CF.{Description}: a}".into(), "b".into()))
        );
        assert_eq!(k("CF.{a,b}: x"), None);
        // Perl tries a plain name first: "CF-a" here, not "CF-a: b".
        assert_eq!(k("CF-a: b: c"), Some(("CF-a".into(), "b: c".into())));
        assert_eq!(k("cf.{x}:"), Some(("cf.{x}".into(), "".into())));
    }

    #[test]
    fn composed_values_never_start_a_field() {
        let nasty = [
            "x\nStatus: deleted",
            "x\n--\nStatus: deleted",
            "x\n# comment\nStatus: deleted",
            "\nStatus: deleted",
            "a}: b\nQueue: General",
            "x\r\nStatus: deleted\r\n",
            "x\n\n\nStatus: deleted\n",
            "CF.{IP}: 6.6.6.6",
            "  lead\n\tStatus: resolved",
        ];
        for v in nasty {
            let c = compose_form(&[("CF.{Description}", v), ("Subject", "s")]).unwrap();
            let forms = parse_forms(&c, Keys::Rt);
            assert_eq!(forms.len(), 1, "{v:?} -> {c:?}");
            let keys: Vec<&str> = forms[0].fields.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["CF.{Description}", "Subject"], "{v:?} -> {c:?}");
            assert!(forms[0].error.is_none());
            assert_eq!(forms[0].get("Subject"), Some("s"));
        }
    }

    #[test]
    fn composed_values_come_back_as_stored_form() {
        let c = compose_form(&[
            ("Text", "hello\nStatus: resolved\n\n  indented"),
            ("id", "5"),
        ])
        .unwrap();
        assert_eq!(
            c,
            "Text:\n hello\n Status: resolved\n \n   indented\nid:\n 5\n"
        );
        let f = &parse_forms(&c, Keys::Rt)[0];
        assert_eq!(f.get("Text"), Some("hello\nStatus: resolved\n\n  indented"));
        assert_eq!(f.get("id"), Some("5"));
        assert_eq!(stored_form("  a\n  b"), "a\nb");
        assert_eq!(stored_form("\n\nx\n"), "x\n");
        assert_eq!(stored_form("plain"), "plain");
        assert_eq!(compose_form(&[("Status", "")]).unwrap(), "Status:\n");
    }

    #[test]
    fn field_names_are_checked() {
        assert!(check_field("CF.{Threat TTP}").is_ok());
        assert!(check_field("Status").is_ok());
        for bad in [
            "CF.{a,b}",
            "CF.{}",
            "CF.{a\nb}",
            "Sta tus",
            "",
            "1x",
            "Status:",
        ] {
            assert!(check_field(bad).is_err(), "{bad:?}");
        }
        assert!(compose_form(&[("CF.{a,b}", "x")]).is_err());
    }

    #[test]
    fn values_split_as_rt_vsplit_does() {
        assert_eq!(split_values("a, b ,c"), ["a", "b", "c"]);
        assert_eq!(split_values("'a,b',\"c, d\""), ["a,b", "c, d"]);
        assert_eq!(
            split_values(r"'it\'s','back\\slash'"),
            ["it's", r"back\slash"]
        );
        assert_eq!(split_values(r#""say \"hi\"""#), [r#"say "hi""#]);
        assert_eq!(split_values("q{x, y}, z"), ["x, y", "z"]);
        assert_eq!(split_values("one\ntwo, three"), ["one", "two", "three"]);
        assert_eq!(split_values(",a,,b,"), ["", "a", "", "b"]);
        assert_eq!(split_values("'a'b, c"), ["'a'b", "c"]);
        assert_eq!(split_values("  "), Vec::<String>::new());
        assert_eq!(split_values(r"'a\nb'"), [r"a\nb"]);
    }

    #[test]
    fn joined_values_split_back_exactly() {
        let vals = [
            "1.2.3.4",
            "a,b",
            "it's",
            r"back\slash",
            " spaced ",
            "q{x}",
            "\"dq\"",
        ];
        let j = join_values(&vals);
        assert_eq!(split_values(&j), vals);
        assert_eq!(join_values(&["a\nb", ""]), "'a'\n'b'");
        assert_eq!(join_values::<&str>(&[]), "");
        // And through a form, as RT reads it.
        let c = compose_form(&[("CF.{IP}", j.as_str())]).unwrap();
        let f = &parse_forms(&c, Keys::Rt)[0];
        assert_eq!(split_values(f.get("CF.{IP}").unwrap()), vals);
    }
}
