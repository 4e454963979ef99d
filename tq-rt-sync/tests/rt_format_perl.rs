//! The REST 1.0 text format against RT's own Perl: `RT::Interface::REST::form_parse` and
//! `vsplit` of the installed request-tracker5 read what `tq_rt_sync::rt::form` writes, and
//! read arbitrary text the way `parse_forms` and `split_values` model them. Thousands of
//! generated values made of the characters that matter (line breaks, `:`, braces, quotes,
//! commas, `#`, `--`, Unicode spaces) are checked in one Perl run.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use tq_rt_sync::rt::form::{
    compose_form, join_values, parse_forms, split_values, stored_form, Keys,
};
use tq_testkit::rigs::rt::{installed, RT_LIB};

/// A deterministic generator (xorshift64*), so a failure can be replayed.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn text(&mut self, pieces: &[&str], max: u64) -> String {
        let n = self.next() % (max + 1);
        (0..n).map(|_| self.pick(pieces)).collect()
    }
}

const PIECES: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\n",
    "\n",
    "\r",
    ":",
    ": ",
    "}",
    "{",
    "CF.{",
    "}: ",
    ",",
    "'",
    "\"",
    "\\",
    "#",
    "--",
    "q{",
    "Status",
    "Status: deleted",
    "id",
    "a",
    "b",
    "0",
    "x y",
    "\u{a0}",
    "\u{2028}",
    "\u{85}",
    "é",
    "-",
    "Text:",
];

/// Runs RT's Perl on `jobs` (`{"form": text}` or `{"vsplit": text}`), one result each.
fn perl(jobs: &[Value]) -> Vec<Value> {
    assert!(
        installed(),
        "request-tracker5 is not installed: run scripts/rigs/install (from the repository root)"
    );
    let script = r#"
        use strict; use warnings; no warnings 'uninitialized';
        use RT::Interface::REST; use JSON;
        my $json = JSON->new->canonical;
        my $jobs = $json->decode(do { local $/; my $t = <STDIN>; utf8::decode($t); $t });
        my @out = map {
            exists $_->{form} ? form_parse($_->{form}) : vsplit($_->{vsplit}, 1)
        } @$jobs;
        my $o = $json->encode(\@out); utf8::encode($o); print $o;
    "#;
    let mut child = Command::new("perl")
        .arg(format!("-I{RT_LIB}"))
        .arg("-e")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run perl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(jobs).expect("json").as_bytes())
        .expect("write jobs");
    let out = child.wait_with_output().expect("perl output");
    assert!(
        out.status.success(),
        "perl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("perl JSON")
}

/// Perl's forms as (comment, [(field, value)], error); None when a field repeats (Perl then
/// turns the value into a list, which this model does not cover).
#[allow(clippy::type_complexity)]
fn perl_forms(v: &Value) -> Option<Vec<(String, Vec<(String, String)>, String)>> {
    let mut out = Vec::new();
    for f in v.as_array()? {
        let c = f[0].as_str().unwrap_or("").to_string();
        let mut fields = Vec::new();
        for k in f[1].as_array()? {
            let k = k.as_str()?;
            fields.push((k.to_string(), f[2][k].as_str()?.to_string()));
        }
        out.push((c, fields, f[3].as_str().unwrap_or("").to_string()));
    }
    Some(out)
}

#[test]
fn rt_reads_every_composed_value_as_the_value_of_its_own_field() {
    let mut g = Gen(0x5eed_1234_abcd_0001);
    let mut values: Vec<String> = [
        "x\nStatus: deleted",
        "\nStatus: deleted",
        "x\n--\nStatus: deleted\n--\n",
        "a}: b\nQueue: General",
        "x\r\nStatus: deleted\r\n",
        "# comment\nStatus: resolved",
        "  lead\n\tStatus: resolved",
        "\u{a0}Status: deleted\n\u{2028}Status: deleted",
        "",
        "plain",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.extend((0..1500).map(|_| g.text(PIECES, 14)));
    let contents: Vec<String> = values
        .iter()
        .map(|v| compose_form(&[("CF.{Description}", v.as_str()), ("Status", "open")]).unwrap())
        .collect();
    let jobs: Vec<Value> = contents.iter().map(|c| json!({ "form": c })).collect();
    let results = perl(&jobs);
    for ((v, c), r) in values.iter().zip(&contents).zip(&results) {
        let forms = perl_forms(r).unwrap_or_else(|| panic!("{v:?}: repeated field in {c:?}"));
        assert_eq!(forms.len(), 1, "{v:?} -> {c:?} -> {r}");
        let (_, fields, err) = &forms[0];
        assert_eq!(err, "", "{v:?} -> syntax error {r}");
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["CF.{Description}", "Status"], "{v:?} -> {c:?}");
        assert_eq!(fields[1].1, "open", "{v:?}");
        assert_eq!(
            fields[0].1,
            stored_form(v),
            "{v:?}: RT keeps another value than stored_form says"
        );
    }
}

#[test]
fn parse_forms_reads_any_text_as_rt_form_parse_does() {
    let mut g = Gen(0x5eed_0000_0000_0002);
    let lines = [
        "Status: open",
        "Subject:",
        "id: 5",
        "Text: a",
        " continued",
        "  more",
        "",
        "\t tab",
        "--",
        "# note",
        "#x",
        "CF.{IP}: 1.2.3.4",
        "CF.{A}: b}: c",
        "CF-Threat TTP: t",
        "Not a field",
        "bad:value",
        "1x: y",
        "CF.{a,b}: z",
        " ",
        "\u{a0}nbsp",
        "X: \u{a0}y",
    ];
    let texts: Vec<String> = (0..1500)
        .map(|_| {
            let n = g.next() % 9;
            (0..n).map(|_| format!("{}\n", g.pick(&lines))).collect()
        })
        .collect();
    let jobs: Vec<Value> = texts.iter().map(|t| json!({ "form": t })).collect();
    let results = perl(&jobs);
    let mut compared = 0;
    for (t, r) in texts.iter().zip(&results) {
        let Some(expected) = perl_forms(r) else {
            continue;
        };
        let ours = parse_forms(t, Keys::Rt);
        assert_eq!(ours.len(), expected.len(), "{t:?}: {r}");
        for (o, (c, fields, err)) in ours.iter().zip(&expected) {
            let our_c = if o.comments.is_empty() {
                String::new()
            } else {
                format!("{}\n", o.comments.join("\n"))
            };
            assert_eq!(&our_c, c, "{t:?}: comments");
            assert_eq!(&o.fields, fields, "{t:?}: fields");
            // Perl's error text starts with the form so far; both flag the same forms.
            assert_eq!(o.error.is_some(), !err.is_empty(), "{t:?}: error {r}");
            if let Some(e) = &o.error {
                assert!(
                    err.ends_with(&e.replacen('#', ">> #", 1)) || err.ends_with(e.as_str()),
                    "{t:?}: {e:?} vs {err:?}"
                );
            }
        }
        compared += 1;
    }
    assert!(compared > 1000, "only {compared} texts compared");
}

/// A Perl list of strings; `undef` (what `vsplit` makes of `q{}`) reads as "".
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|s| s.as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn split_values_and_join_values_match_rt_vsplit() {
    let mut g = Gen(0x5eed_0000_0000_0003);
    let pieces = [
        "a", "b c", " ", ",", "'", "\"", "\\", "\\'", "\\\"", "\\\\", "q{", "}", "\n", "0", "x,y",
        "\t", "é",
    ];
    let mut texts: Vec<String> = [
        r"'it\'s'",
        r#""say \"hi\"""#,
        r"'a\\', b",
        "q{x, y}, z",
        "q{0}",
        "q{}",
        "'a'b, c",
        r"'unterminated\'",
        ",a,,b,",
        "  ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    texts.extend((0..2000).map(|_| g.text(&pieces, 10)));
    let lists: Vec<Vec<String>> = (0..500)
        .map(|_| {
            let n = g.next() % 5;
            (0..n).map(|_| g.text(&pieces, 6)).collect()
        })
        .collect();
    let mut jobs: Vec<Value> = texts.iter().map(|t| json!({ "vsplit": t })).collect();
    jobs.extend(lists.iter().map(|l| json!({ "vsplit": join_values(l) })));
    let results = perl(&jobs);
    for (t, r) in texts.iter().zip(&results) {
        assert_eq!(split_values(t), strings(r), "{t:?}");
    }
    for (l, r) in lists.iter().zip(&results[texts.len()..]) {
        let expected = strings(r);
        let want: Vec<String> = l
            .iter()
            .flat_map(|v| v.split('\n'))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect();
        let joined = join_values(l);
        assert_eq!(expected, want, "RT reads {l:?} written as {joined:?}");
        assert_eq!(split_values(&joined), want, "{joined:?}");
    }
}
