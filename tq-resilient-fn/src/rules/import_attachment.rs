//! ThreatQ: Import Attachment (menu item, attachment): the attachment is downloaded from
//! Resilient, uploaded to ThreatQ as the chosen file type (Attachment Type; Spearphish is
//! the file type "Spearphish Attachment"), related to the incident's event (and, for an
//! attachment on a task, to the task's ThreatQ task), and with Parse Indicators = Yes parsed
//! for indicators with ThreatQ's file parse/import (status: Indicator Status, else
//! `[fn_threatq] status`), which are related to the event too. A file ThreatQ has already
//! (same MD5) is not uploaded again.

use tq_common::threatq::attachments::md5_hex;
use tq_common::threatq::lookups::Lookup;
use tq_common::threatq::{AttachmentUpload, Collection, ObjRef};

use super::{indicator_status, RuleDef};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::event::{self, IncidentView};
use crate::fields::{file_type, ATTACHMENT_TYPE, INDICATOR_STATUS, PARSE_INDICATORS};
use crate::message::ActionData;
use crate::task;

/// The file type used when the menu gives none.
pub const DEFAULT_TYPE: &str = "Generic Text";

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Import Attachment",
    object: "attachment",
    automatic: false,
    on_create_only: false,
    fields: &[ATTACHMENT_TYPE, PARSE_INDICATORS, INDICATOR_STATUS],
    description: "Import an attachment into ThreatQ, optionally parsing it for indicators",
    run,
};

/// The ThreatQ file type an Attachment Type label means: the type of that name (Spearphish:
/// "Spearphish Attachment"), ignoring case; else the one type whose name starts with it
/// ("Intelligence" → "Intelligence Deliverable" where ThreatQ names it so). Another label
/// is an error listing the file types this ThreatQ has.
pub fn resolve_file_type(cx: &Ctx, label: &str) -> Result<String> {
    let all = cx.tq.lookup_all(Lookup::AttachmentType)?;
    let want = file_type(label);
    if let Some(t) = all.iter().find(|t| t.name.eq_ignore_ascii_case(want)) {
        return Ok(t.name.clone());
    }
    let prefix = format!("{} ", want.to_ascii_lowercase());
    let starts: Vec<&str> = all
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| n.to_ascii_lowercase().starts_with(&prefix))
        .collect();
    if let [one] = starts.as_slice() {
        return Ok(one.to_string());
    }
    Err(Error::action(format!(
        "the Attachment Type \"{label}\" is no ThreatQ file type; ThreatQ has: {}",
        all.iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let att = action.attachment.as_ref().ok_or_else(|| {
        Error::action(format!(
            "{} acts on attachments, and this message carries none (is the rule set on \
             another object type?)",
            RULE.name
        ))
    })?;
    let label = action
        .select(ATTACHMENT_TYPE.name)?
        .unwrap_or_else(|| DEFAULT_TYPE.to_string());
    let ftype = resolve_file_type(cx, &label)?;
    let parse = action.yes_no(PARSE_INDICATORS.name)?.unwrap_or(false);
    let status = indicator_status(cx, action)?;
    let inc = action.incident.id;
    let bytes = cx.soar.attachment_contents(inc, att.task_id, att.id)?;
    let md5 = md5_hex(&bytes);
    let existing = if md5.is_empty() {
        Vec::new()
    } else {
        cx.tq.attachments_by_hash(&md5)?
    };
    let (file, uploaded) = match existing.into_iter().min_by_key(|a| a.id) {
        Some(a) => (a, false),
        None => (
            cx.tq.upload_attachment(&AttachmentUpload {
                file_name: att.name.clone(),
                title: None,
                file_type: ftype.clone(),
                malware_locked: ftype == "Malware Sample",
                source: cx.rules.source.clone(),
                bytes,
            })?,
            true,
        ),
    };
    let view = IncidentView::of(action);
    let event_id = event::ensure(cx, view)?;
    cx.tq
        .link(&event::obj(event_id), &Collection::Attachments, &[file.id])?;
    let mut text = format!(
        "Attachment {} {} ThreatQ file {} ({ftype}), related to event {event_id}",
        att.name,
        if uploaded {
            "imported as"
        } else {
            "was in ThreatQ already as"
        },
        file.id
    );
    if let Some(tid) = att.task_id {
        let t = task::resilient_task(cx, action.task.as_ref(), tid)?;
        let task_id = task::ensure(cx, view, &t)?;
        cx.tq
            .link(&ObjRef::task(task_id), &Collection::Attachments, &[file.id])?;
        text.push_str(&format!(" and to task {task_id}"));
    }
    if parse {
        let parsers = cx.tq.parsers()?;
        let parser = if parsers.iter().any(|p| p.eq_ignore_ascii_case(&ftype)) {
            ftype.clone()
        } else {
            DEFAULT_TYPE.to_string()
        };
        let found = cx
            .tq
            .parse_attachment(file.id, &parser, &status, &cx.rules.source)?;
        let ids: Vec<i64> = found.iter().filter_map(|p| p.id).collect();
        cx.tq
            .link(&event::obj(event_id), &Collection::Indicators, &ids)?;
        text.push_str(&format!(
            "; {} indicator(s) parsed ({parser}) with status {status}",
            found.len()
        ));
    }
    Ok(text)
}
