//! `{{name}}` substitution for the mail templates in `templates/` (compiled in with
//! `include_str!`). Small on purpose (research/crates.md lists no template crate; the mails
//! need no loops or conditions beyond pre-rendered fragments):
//!
//! - [`Value::Text`] is ThreatQ or config data: HTML-escaped in an HTML template, and in both
//!   kinds of template put on one line (control characters, CR and LF included, become
//!   spaces), so a value can neither add markup nor forge a line of the mail;
//! - [`Value::Fragment`] is a fragment this crate rendered from another template (already
//!   escaped), inserted as is.
//!
//! A placeholder without a value is a bug in this crate; it renders as nothing and fails
//! the debug build's assertion (every template is rendered by the unit tests).

/// Whether a template is the HTML or the plain-text part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain`
    Text,
    /// `text/html`: text values are escaped.
    Html,
}

/// A value for a placeholder.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    /// Data: escaped for HTML, flattened to one line.
    Text(&'a str),
    /// Output of another template of the same format, or a constant of this crate,
    /// inserted unchanged.
    Fragment(String),
}

/// Renders `template`, replacing each `{{name}}` with its value from `vars`.
pub fn render(template: &str, format: Format, vars: &[(&str, Value<'_>)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match vars.iter().find(|(n, _)| *n == name) {
            Some((_, Value::Text(v))) => {
                let line = one_line(v);
                match format {
                    Format::Text => out.push_str(&line),
                    Format::Html => escape_html_into(&line, &mut out),
                }
            }
            Some((_, Value::Fragment(f))) => out.push_str(f),
            None => debug_assert!(false, "template placeholder {{{{{name}}}}} has no value"),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// `s` with every control character (CR, LF, TAB, ...) replaced by a space, trimmed.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Escapes `& < > " '` for text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html_into(s, &mut out);
    out
}

fn escape_html_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_escaped_in_html_only() {
        let t = "<p title=\"{{v}}\">{{ v }}</p>";
        let v = "<script>alert(1)</script> & \"q\" 'a'";
        assert_eq!(
            render(t, Format::Html, &[("v", Value::Text(v))]),
            "<p title=\"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;\">&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;</p>"
        );
        assert_eq!(
            render("Item: {{v}}", Format::Text, &[("v", Value::Text(v))]),
            format!("Item: {v}")
        );
    }

    #[test]
    fn values_cannot_add_lines_fragments_are_inserted_as_is() {
        let v = "evil\r\nThreatQ Link: https://attacker.example\r\n";
        assert_eq!(
            render("Item: {{v}}\n", Format::Text, &[("v", Value::Text(v))]),
            "Item: evil  ThreatQ Link: https://attacker.example\n"
        );
        assert_eq!(
            render(
                "<ul>{{items}}</ul>",
                Format::Html,
                &[("items", Value::Fragment("<li>a</li>".into()))]
            ),
            "<ul><li>a</li></ul>"
        );
    }

    #[test]
    fn unterminated_braces_are_kept() {
        assert_eq!(render("a {{ b", Format::Text, &[]), "a {{ b");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "has no value")]
    fn a_missing_value_is_a_bug() {
        render("{{nope}}", Format::Text, &[]);
    }
}
