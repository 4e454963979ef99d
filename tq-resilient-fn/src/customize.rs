//! `tq-resilient-fn customize`: installs what the integration needs into Resilient, as
//! `resilient-circuits customize` installs the fn_threatq package's export: the message
//! destination, the ten rules ([`crate::rules::ALL`]), the four functions
//! ([`crate::functions::ALL`]), their fields ([`crate::fields`]) and the incident field
//! `threatq_event_id`; then it makes the logged-in user (or API key) a member of the
//! destination, without which the service cannot subscribe (research §7).
//!
//! It asks twice, as the original does (the destination, functions and fields; then the
//! rules), unless `-y`. It is idempotent: what exists already (destination by programmatic
//! name, rule and function by name, field by type and name) is left alone and only the rest
//! is imported; run twice, the second run installs nothing.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use serde_json::{json, Map, Value};
use tq_common::dedup::fnv1a64;

use crate::error::{Error, Result};
use crate::fields::{self, FieldDef, FieldType, Input};
use crate::functions::{self, FunctionDef};
use crate::resilient::Resilient;
use crate::rules::{self, RuleDef};

/// A stable UUID (version 4 layout) for one of our definitions: the same on every run.
pub fn uuid_of(kind: &str, name: &str) -> String {
    let a = fnv1a64(format!("tq-resilient-fn/{kind}/{name}").as_bytes());
    let b = fnv1a64(format!("{name}/{kind}/tq-resilient-fn").as_bytes());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// Every field the integration uses: the rules' activity fields, the functions' inputs and
/// the incident field, each once.
pub fn all_fields() -> Vec<FieldDef> {
    let mut out: Vec<FieldDef> = vec![fields::EVENT_ID];
    let from_rules = rules::ALL.iter().flat_map(|r| r.fields.iter());
    let from_functions = functions::ALL.iter().flat_map(|f| f.inputs.iter());
    for f in from_rules.chain(from_functions) {
        if !out.iter().any(|o| o.of == f.of && o.name == f.name) {
            out.push(*f);
        }
    }
    out
}

/// A field as an export holds it.
fn field_json(f: &FieldDef) -> Value {
    let values: Vec<Value> = match f.input {
        Input::Select(labels) => labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                json!({
                    "value": 1_000 + i,
                    "label": l,
                    "enabled": true,
                    "default": false,
                    "hidden": false,
                    "properties": null,
                    "uuid": uuid_of(&format!("value/{}", f.name), l),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let prefix = match f.of {
        FieldType::Function => Value::Null,
        _ => json!("properties"),
    };
    json!({
        "name": f.name,
        "text": f.text,
        "type_id": f.of.type_id(),
        "prefix": prefix,
        "input_type": f.input.input_type(),
        "required": if f.required { json!("always") } else { Value::Null },
        "tooltip": f.tooltip,
        "placeholder": "",
        "values": values,
        "blank_option": !f.required,
        "internal": false,
        "read_only": false,
        "rich_text": false,
        "templates": [],
        "operations": [],
        "operation_perms": {},
        "changeable": true,
        "chosen": false,
        "default_chosen_by_server": false,
        "deprecated": false,
        "hide_notification": false,
        "uuid": uuid_of(f.of.name(), f.name),
        "export_key": format!("{}/{}", f.of.name(), f.name),
    })
}

fn view_item(field_type: &str, uuid: &str) -> Value {
    json!({
        "element": "field_uuid",
        "field_type": field_type,
        "content": uuid,
        "show_if": null,
        "show_link_header": false,
        "step_label": null,
    })
}

/// What the org has: names of destinations, rules, functions, and fields by type (with
/// their uuids, which view items must name).
#[derive(Debug, Default)]
pub struct Installed {
    /// Destinations by programmatic name.
    pub destinations: HashSet<String>,
    /// Rules by name.
    pub rules: HashSet<String>,
    /// Functions by name.
    pub functions: HashSet<String>,
    /// (type, name) → uuid of the fields.
    pub fields: Vec<(FieldType, String, String)>,
}

impl Installed {
    /// Reads it from Resilient.
    pub fn read(soar: &Resilient) -> Result<Installed> {
        let names = |list: Vec<Value>, key: &str| -> HashSet<String> {
            list.iter()
                .filter_map(|v| v.get(key).and_then(Value::as_str).map(str::to_string))
                .collect()
        };
        let mut fields = Vec::new();
        for t in [
            FieldType::Incident,
            FieldType::Activity,
            FieldType::Function,
        ] {
            for f in soar.field_defs(t.name())? {
                if let Some(n) = f.get("name").and_then(Value::as_str) {
                    let uuid = f
                        .get("uuid")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    fields.push((t, n.to_string(), uuid));
                }
            }
        }
        Ok(Installed {
            destinations: names(soar.destinations()?, "programmatic_name"),
            rules: names(soar.rules()?, "name"),
            functions: names(soar.functions()?, "name"),
            fields,
        })
    }

    fn field_uuid(&self, f: &FieldDef) -> Option<&str> {
        self.fields
            .iter()
            .find(|(t, n, _)| *t == f.of && n == f.name)
            .map(|(_, _, u)| u.as_str())
    }
}

/// Which parts to install.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    /// The destination, the functions and the fields.
    pub definitions: bool,
    /// The rules.
    pub rules: bool,
}

/// The export of what `installed` lacks, for `destination`; `None` when nothing is missing.
pub fn missing_export(installed: &Installed, destination: &str, parts: Parts) -> Option<Value> {
    let mut dests = Vec::new();
    let mut fields_out = Vec::new();
    let mut functions_out = Vec::new();
    let mut rules_out = Vec::new();
    let uuid_for = |f: &FieldDef| -> String {
        installed
            .field_uuid(f)
            .map(str::to_string)
            .unwrap_or_else(|| uuid_of(f.of.name(), f.name))
    };
    if parts.definitions {
        if !installed.destinations.contains(destination) {
            dests.push(destination_json(destination));
        }
        for f in all_fields() {
            if installed.field_uuid(&f).is_none() {
                fields_out.push(field_json(&f));
            }
        }
        for f in functions::ALL {
            if !installed.functions.contains(f.name) {
                functions_out.push(function_json(f, destination, &uuid_for));
            }
        }
    }
    if parts.rules {
        for r in rules::ALL {
            if !installed.rules.contains(r.name) {
                rules_out.push(rule_json(r, destination, &uuid_for));
            }
        }
        // A rule's view items name fields: those it lacks go in too (else the import fails).
        for r in rules::ALL
            .iter()
            .filter(|r| !installed.rules.contains(r.name))
        {
            if r.automatic {
                continue;
            }
            for f in r.fields {
                let there = installed.field_uuid(f).is_some()
                    || fields_out
                        .iter()
                        .any(|v| v["name"] == f.name && v["type_id"] == f.of.type_id());
                if !there {
                    fields_out.push(field_json(f));
                }
            }
        }
        if !installed.destinations.contains(destination)
            && dests.is_empty()
            && !rules_out.is_empty()
        {
            dests.push(destination_json(destination));
        }
    }
    if dests.is_empty() && fields_out.is_empty() && functions_out.is_empty() && rules_out.is_empty()
    {
        return None;
    }
    let mut o = Map::new();
    o.insert("export_format_version".into(), json!(2));
    o.insert(
        "export_date".into(),
        json!(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)),
    );
    o.insert("id".into(), json!(1));
    o.insert("message_destinations".into(), Value::Array(dests));
    o.insert("actions".into(), Value::Array(rules_out));
    o.insert("functions".into(), Value::Array(functions_out));
    o.insert("fields".into(), Value::Array(fields_out));
    for k in [
        "workflows",
        "incident_types",
        "phases",
        "automatic_tasks",
        "scripts",
        "types",
        "incident_artifact_types",
        "layouts",
        "notifications",
        "overrides",
        "roles",
        "workspaces",
        "action_order",
        "task_order",
    ] {
        o.insert(k.into(), json!([]));
    }
    Some(Value::Object(o))
}

/// The message destination as an export holds it: a queue expecting acknowledgements; its
/// members are added afterwards ([`Resilient::join_destination`]).
fn destination_json(destination: &str) -> Value {
    json!({
        "name": destination,
        "programmatic_name": destination,
        "destination_type": 0,
        "expect_ack": true,
        "users": [],
        "uuid": uuid_of("destination", destination),
        "export_key": destination,
    })
}

fn function_json(
    f: &FunctionDef,
    destination: &str,
    uuid_for: &dyn Fn(&FieldDef) -> String,
) -> Value {
    json!({
        "name": f.name,
        "display_name": f.display_name,
        "destination_handle": destination,
        "description": { "format": "text", "content": f.description },
        "version": 1,
        "view_items": f.inputs.iter().map(|i| view_item("__function", &uuid_for(i))).collect::<Vec<_>>(),
        "uuid": uuid_of("function", f.name),
        "export_key": f.name,
        "workflows": [],
    })
}

fn rule_json(r: &RuleDef, destination: &str, uuid_for: &dyn Fn(&FieldDef) -> String) -> Value {
    let conditions = if r.automatic && r.on_create_only {
        json!([{ "field_name": null, "method": "object_added", "type": null, "value": null,
                 "evaluation_id": null }])
    } else {
        json!([])
    };
    let view_items: Vec<Value> = if r.automatic {
        Vec::new()
    } else {
        r.fields
            .iter()
            .map(|f| view_item("actioninvocation", &uuid_for(f)))
            .collect()
    };
    json!({
        "name": r.name,
        "type": if r.automatic { 0 } else { 1 },
        "object_type": r.object,
        "message_destinations": [destination],
        "workflows": [],
        "conditions": conditions,
        "automations": [],
        "logic_type": "all",
        "timeout_seconds": 86400,
        "view_items": view_items,
        "uuid": uuid_of("rule", r.name),
        "export_key": r.name,
    })
}

/// Asks `question (y/n)` on `out`, reading `input`; `yes` answers without asking. End of
/// input is "no".
pub fn confirm(
    question: &str,
    yes: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<bool> {
    if yes {
        let _ = writeln!(out, "{question} (y/n) y");
        return Ok(true);
    }
    loop {
        let _ = write!(out, "{question} (y/n) ");
        let _ = out.flush();
        let mut line = String::new();
        let n = input
            .read_line(&mut line)
            .map_err(|e| Error::action(format!("reading the answer: {e}")))?;
        if n == 0 {
            let _ = writeln!(out);
            return Ok(false);
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "n" | "no" => return Ok(false),
            _ => {}
        }
    }
}

fn names_of(export: &Value, key: &str, field: &str) -> Vec<String> {
    export[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v[field].as_str().map(str::to_string))
        .collect()
}

/// The `customize` command: see the module docs; what it does is printed on `out`.
pub fn run(
    soar: &Resilient,
    destination: &str,
    yes: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<()> {
    let org = soar.org();
    let _ = writeln!(
        out,
        "Resilient {} org \"{}\" (id {}): the fn_threatq customizations (message destination \
         {destination}, {} rules, {} functions, {} fields)",
        soar.base_url(),
        org.name,
        org.id,
        rules::ALL.len(),
        functions::ALL.len(),
        all_fields().len()
    );
    let installed = Installed::read(soar)?;
    let defs = confirm(
        &format!("Install the message destination {destination}, the functions and the fields?"),
        yes,
        input,
        out,
    )?;
    let rules_too = confirm("Install the rules?", yes, input, out)?;
    let parts = Parts {
        definitions: defs,
        rules: rules_too,
    };
    match missing_export(&installed, destination, parts) {
        None => {
            let _ = writeln!(
                out,
                "Nothing to install: everything asked for is there already."
            );
        }
        Some(export) => {
            // (what, installed now, how many the asked-for parts hold)
            let summary = [
                (
                    "message destination",
                    names_of(&export, "message_destinations", "programmatic_name"),
                    usize::from(defs),
                ),
                (
                    "function",
                    names_of(&export, "functions", "name"),
                    if defs { functions::ALL.len() } else { 0 },
                ),
                (
                    "field",
                    names_of(&export, "fields", "name"),
                    if defs { all_fields().len() } else { 0 },
                ),
                (
                    "rule",
                    names_of(&export, "actions", "name"),
                    if rules_too { rules::ALL.len() } else { 0 },
                ),
            ];
            let messages = soar.import(&export)?;
            for (what, list, asked) in summary {
                if !list.is_empty() {
                    let _ = writeln!(
                        out,
                        "Installed {} {what}(s): {}",
                        list.len(),
                        list.join(", ")
                    );
                }
                if asked > list.len() {
                    let _ = writeln!(
                        out,
                        "There already: {} {what}(s) of {asked}",
                        asked - list.len()
                    );
                }
            }
            for m in messages {
                let _ = writeln!(out, "Resilient says: {m}");
            }
        }
    }
    if defs || rules_too {
        let who = match soar.principal() {
            crate::resilient::Principal::User { email, .. } => email.clone(),
            crate::resilient::Principal::ApiKey { handle } => format!("API key {handle}"),
        };
        match soar.join_destination(destination) {
            Ok(true) => {
                let _ = writeln!(out, "Added {who} to the members of {destination}.");
            }
            Ok(false) => {
                let _ = writeln!(out, "{who} is a member of {destination} already.");
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        let _ = writeln!(out, "Nothing installed.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_distinct() {
        let a = uuid_of("rule", "ThreatQ: Sync Incident");
        assert_eq!(a, uuid_of("rule", "ThreatQ: Sync Incident"));
        assert_ne!(a, uuid_of("rule", "ThreatQ: Sync Task"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn an_empty_org_gets_everything_and_a_full_one_nothing() {
        let all = Parts {
            definitions: true,
            rules: true,
        };
        let e = missing_export(&Installed::default(), "fn_threatq", all).unwrap();
        assert_eq!(e["actions"].as_array().unwrap().len(), 10);
        assert_eq!(e["functions"].as_array().unwrap().len(), 4);
        assert_eq!(e["fields"].as_array().unwrap().len(), all_fields().len());
        assert_eq!(
            e["message_destinations"][0]["programmatic_name"],
            "fn_threatq"
        );
        let mut full = Installed::default();
        full.destinations.insert("fn_threatq".into());
        full.rules = rules::ALL.iter().map(|r| r.name.to_string()).collect();
        full.functions = functions::ALL.iter().map(|f| f.name.to_string()).collect();
        full.fields = all_fields()
            .iter()
            .map(|f| (f.of, f.name.to_string(), "u".to_string()))
            .collect();
        assert!(missing_export(&full, "fn_threatq", all).is_none());
    }

    #[test]
    fn confirm_reads_y_and_n_and_takes_eof_as_no() {
        let mut out = Vec::new();
        assert!(confirm("q?", false, &mut &b"maybe\ny\n"[..], &mut out).unwrap());
        assert!(!confirm("q?", false, &mut &b"n\n"[..], &mut out).unwrap());
        assert!(!confirm("q?", false, &mut &b""[..], &mut out).unwrap());
        assert!(confirm("q?", true, &mut &b""[..], &mut out).unwrap());
    }
}
