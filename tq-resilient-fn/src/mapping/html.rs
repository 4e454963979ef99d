//! Rich text → plain text (ThreatQ comments and descriptions carry no markup; the guide's
//! Sync Comment: "the comment will not maintain the formatting"): tags removed, the content
//! of `script` and `style` dropped, entities decoded, block elements (`p`, `div`, `br`,
//! `li`, headings, table rows ...) become line breaks, whitespace collapsed within a line,
//! lines trimmed, empty lines dropped, the whole trimmed.
//!
//! `<b>x</b> &amp; <script>` becomes `x &`.

/// Elements that end a line.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Elements whose content is not text.
const DROPPED: &[&str] = &["script", "style", "head", "title", "template", "noscript"];

/// Plain text of `html`; see the module docs.
pub fn to_text(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        raw.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        // A '<' that starts no tag ("a < b") is text.
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !starts_tag {
            raw.push('<');
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = match comment.find("-->") {
                Some(end) => &comment[end + 3..],
                None => "",
            };
            continue;
        }
        let Some(gt) = after.find('>') else {
            // An unclosed tag runs to the end: nothing after it is text.
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name = tag_name(tag);
        if DROPPED.contains(&name.as_str()) && !tag.starts_with('/') && !tag.ends_with('/') {
            // Skip to the matching end tag (or to the end: an unclosed script hides the rest).
            let close = format!("</{name}");
            rest = match find_ignore_case(rest, &close) {
                Some(i) => match rest[i..].find('>') {
                    Some(g) => &rest[i + g + 1..],
                    None => "",
                },
                None => "",
            };
            continue;
        }
        if BLOCK.contains(&name.as_str()) {
            raw.push('\n');
        }
    }
    raw.push_str(rest);
    let decoded = decode_entities(&raw);
    let lines: Vec<String> = decoded
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

/// The lower-case element name of a tag's inside (`/p`, `br/`, `a href=".."`).
fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Named entities besides the five of XML (the ones rich-text editors write).
const NAMED: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", " "),
    ("ndash", "\u{2013}"),
    ("mdash", "\u{2014}"),
    ("hellip", "\u{2026}"),
    ("lsquo", "\u{2018}"),
    ("rsquo", "\u{2019}"),
    ("ldquo", "\u{201c}"),
    ("rdquo", "\u{201d}"),
    ("bull", "\u{2022}"),
    ("middot", "\u{b7}"),
    ("copy", "\u{a9}"),
    ("reg", "\u{ae}"),
    ("trade", "\u{2122}"),
    ("euro", "\u{20ac}"),
    ("pound", "\u{a3}"),
    ("yen", "\u{a5}"),
    ("cent", "\u{a2}"),
    ("sect", "\u{a7}"),
    ("deg", "\u{b0}"),
    ("times", "\u{d7}"),
    ("divide", "\u{f7}"),
    ("laquo", "\u{ab}"),
    ("raquo", "\u{bb}"),
    ("shy", ""),
    ("zwj", ""),
    ("zwnj", ""),
];

/// Decodes `&name;`, `&#NNN;` and `&#xHH;`; anything else is kept as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let ent = &after[..e];
            let c = if let Some(num) = ent.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse::<u32>().ok(),
                }?;
                char::from_u32(n).map(String::from)
            } else {
                NAMED
                    .iter()
                    .find(|(k, _)| *k == ent)
                    .map(|(_, v)| v.to_string())
            }?;
            Some((c, e))
        });
        match decoded {
            Some((text, e)) => {
                out.push_str(&text);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example() {
        assert_eq!(to_text("<b>x</b> &amp; <script>"), "x &");
        assert_eq!(
            to_text("<b>x</b> &amp; <script>alert(1)</script>y"),
            "x & y"
        );
    }

    #[test]
    fn blocks_become_lines_and_whitespace_collapses() {
        assert_eq!(
            to_text("<div>Blocked at the <i>proxy</i></div><p>Next   step:<br/>call&nbsp;IT</p>"),
            "Blocked at the proxy\nNext step:\ncall IT"
        );
        assert_eq!(to_text("<ul><li>one</li><li>two</li></ul>"), "one\ntwo");
        assert_eq!(to_text("  plain   text \n\n here "), "plain text\nhere");
        assert_eq!(to_text("<DIV>Upper</DIV><STYLE>p{}</STYLE>x"), "Upper\nx");
    }

    #[test]
    fn entities_and_stray_characters() {
        assert_eq!(
            to_text("a &lt;b&gt; &#38; &#x26; &quot;q&quot;"),
            "a <b> & & \"q\""
        );
        assert_eq!(to_text("1 < 2 && 3 > 2"), "1 < 2 && 3 > 2");
        assert_eq!(to_text("AT&T &unknown; &"), "AT&T &unknown; &");
        assert_eq!(to_text("<!-- hidden -->shown"), "shown");
        assert_eq!(to_text("caf&eacute;"), "caf&eacute;");
        assert_eq!(to_text(""), "");
    }
}
