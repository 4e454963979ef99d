//! What is written from the declarations: the commented config file of a first run
//! ([`render_template`], [`render_options`]) and the markdown table of the docs
//! ([`options_markdown`], `<binary> --print-options-md`).

use std::collections::HashMap;
use std::fmt::Write as _;

use super::option::{Kind, Opt};

/// The commented config file written on first run: a header, then every option with its
/// help as a comment, set to the given value (`values["section.name"]`) or its default.
pub fn render_template(binary: &str, options: &[Opt], values: &HashMap<String, String>) -> String {
    format!(
        "# {binary} configuration. Every option is listed; edit the values and run again.\n\
         # Options, types and defaults: `{binary} --print-options-md` or the project docs.\n{}",
        render_options(options, values)
    )
}

/// Every option under its `[section]` header, each with its label, help, type and default
/// as comments, set to the given value or its default.
pub fn render_options(options: &[Opt], values: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut section = "";
    for opt in options {
        if opt.section != section {
            section = opt.section;
            let _ = writeln!(out, "\n[{section}]");
        }
        let _ = writeln!(out, "\n# {}: {}", opt.label, opt.help);
        let req = if opt.required { "required" } else { "optional" };
        let default = opt
            .default
            .map(|d| format!(", default: {d}"))
            .unwrap_or_default();
        let _ = writeln!(out, "# ({req}; {}{default})", opt.kind.describe());
        let key = format!("{}.{}", opt.section, opt.name);
        let value = values
            .get(&key)
            .map(String::as_str)
            .or(opt.default)
            .unwrap_or("");
        let _ = writeln!(out, "{} = {}", opt.name, value);
    }
    out
}

/// The options as a markdown table (section, option, label, type, required, default,
/// description): what `--print-options-md` prints and the docs hold.
pub fn options_markdown(options: &[Opt]) -> String {
    let mut out = String::from(
        "| Section | Option | Guide label | Type | Required | Default | Description |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for o in options {
        let kind = match o.kind {
            Kind::Enum(_)
            | Kind::List {
                choices: Some(_), ..
            }
            | Kind::Int { .. } => {
                format!("{}: {}", o.kind.type_name(), o.kind.describe())
            }
            _ => o.kind.type_name().to_string(),
        };
        let _ = writeln!(
            out,
            "| `[{}]` | `{}` | {} | {} | {} | {} | {} |",
            o.section,
            o.name,
            o.label,
            kind.replace('|', "\\|"),
            if o.required { "yes" } else { "no" },
            o.default.map(|d| format!("`{d}`")).unwrap_or_default(),
            o.help.replace('|', "\\|")
        );
    }
    out
}
