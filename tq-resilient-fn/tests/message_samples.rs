//! The message model against the research samples: every action sample and the function
//! sample parse, select ids resolve to labels through the message's type information, and the
//! replies are byte for byte the bodies of samples/resilient-ack-replies.json.

use serde_json::{json, Value};
use tq_resilient_fn::message::{
    ActionData, FailedResult, FunctionData, MessageError, ObjectType, Payload, Reply,
    ResultMetrics, ResultPayload, Results, Text, NO_HANDLER_RESULT,
};
use tq_testkit::resilient::samples;

fn action(kind: &str) -> ActionData {
    let body = samples::action(kind).to_string();
    match Payload::parse(Some("ActionDataDTO"), body.as_bytes()).expect(kind) {
        Payload::Action(a) => *a,
        other => panic!("{kind}: {other:?}"),
    }
}

fn action_from(v: Value) -> ActionData {
    match Payload::parse(Some("ActionDataDTO"), v.to_string().as_bytes()).unwrap() {
        Payload::Action(a) => *a,
        other => panic!("{other:?}"),
    }
}

fn function(v: &Value) -> FunctionData {
    match Payload::parse(Some("FunctionDataDTO"), v.to_string().as_bytes()).unwrap() {
        Payload::Function(f) => *f,
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_action_sample_parses_with_its_object() {
    let a = action("incident");
    assert_eq!(a.action_id, Some(21));
    assert_eq!(a.object_type, ObjectType::Incident);
    assert_eq!(a.incident.id, 2095);
    assert_eq!(a.incident.name, "Phishing from 10.0.0.1");
    assert_eq!(a.incident.discovered_date, Some(1_600_000_000_000));
    assert_eq!(
        a.incident.description,
        Some(Text::Plain("<div>Reported by user</div>".into()))
    );
    assert!(a.incident.description.as_ref().unwrap().is_html());
    assert!(a.has_activity_fields());
    assert_eq!(
        a.user.as_ref().unwrap().email.as_deref(),
        Some("ana@example.com")
    );

    let a = action("artifact");
    assert_eq!(a.object_type, ObjectType::Artifact);
    let art = a.artifact.as_ref().unwrap();
    assert_eq!((art.id, art.value.as_str()), (11, "10.0.0.1"));
    assert!(
        !a.has_activity_fields(),
        "properties {{}}: an automatic rule"
    );

    let a = action("note");
    assert_eq!(a.object_type, ObjectType::Note);
    assert_eq!(a.operation_type.as_deref(), Some("created"));
    let n = a.note.as_ref().unwrap();
    assert_eq!(n.text.content(), "<div>Blocked at the proxy</div>");
    assert_eq!(
        (n.task_id, n.note_type.as_deref()),
        (None, Some("incident"))
    );

    let a = action("task");
    assert_eq!(a.object_type, ObjectType::Task);
    let t = a.task.as_ref().unwrap();
    assert_eq!((t.id, t.name.as_str()), (2251, "Investigate Exposure"));
    assert!(!t.is_closed());
    assert_eq!(
        t.instr_text.as_ref().unwrap().content(),
        "Check the proxy logs"
    );

    let a = action("attachment");
    assert_eq!(a.object_type, ObjectType::Attachment);
    let at = a.attachment.as_ref().unwrap();
    assert_eq!((at.id, at.name.as_str()), (27, "headers.eml"));
    assert_eq!(at.content_type.as_deref(), Some("message/rfc822"));
}

#[test]
fn select_ids_resolve_to_labels_from_the_type_information() {
    let a = action("incident");
    assert_eq!(
        a.select("threatq_sync_type").unwrap().as_deref(),
        Some("Incidents")
    );
    assert_eq!(
        a.date_ms("threatq_created_after").unwrap(),
        Some(1_577_836_800_000)
    );
    assert_eq!(
        a.incident_label("severity_code").unwrap().as_deref(),
        Some("Low")
    );
    assert_eq!(
        a.incident_label("phase_id").unwrap().as_deref(),
        Some("Respond")
    );
    assert_eq!(
        a.incident_label("owner_id").unwrap().as_deref(),
        Some("Ana Analyst (ana@example.com)")
    );
    assert_eq!(a.select("absent").unwrap(), None);
    assert_eq!(
        action("artifact").artifact_type().unwrap().as_deref(),
        Some("IP Address")
    );
}

#[test]
fn an_id_missing_from_the_type_information_is_an_error_naming_field_and_id() {
    let mut v = samples::action("incident");
    v["properties"]["threatq_sync_type"] = json!(999);
    let e = action_from(v).select("threatq_sync_type").unwrap_err();
    assert_eq!(
        e,
        MessageError::UnknownValue {
            type_name: "actioninvocation".into(),
            field: "threatq_sync_type".into(),
            value: "999".into()
        }
    );
    assert!(e.to_string().contains("threatq_sync_type"), "{e}");
    assert!(e.to_string().contains("999"), "{e}");
}

#[test]
fn yes_no_menu_fields_both_answers_and_names_as_sent() {
    let mut v = samples::action("artifact");
    v["properties"] = json!({"threatq_remove_artifact": 401, "threatq_parse_indicators": 402,
                             "threatq_sync_tasks": "No", "threatq_flag": true,
                             "threatq_indicator_status": 7, "threatq_tags": [11, 12]});
    v["type_info"]["actioninvocation"] = json!({"fields": {
        "threatq_remove_artifact": {"values": {"401": {"value": 401, "label": "Yes", "enabled": true}}},
        "threatq_parse_indicators": {"values": {"402": {"value": 402, "label": "No", "enabled": true}}},
        "threatq_indicator_status": {"values": {"7": {"value": 7, "label": "Whitelisted"}}},
        "threatq_tags": {"values": {"11": {"label": "a"}, "12": {"label": "b"}}}
    }});
    let a = action_from(v);
    assert_eq!(a.yes_no("threatq_remove_artifact").unwrap(), Some(true));
    assert_eq!(a.yes_no("threatq_parse_indicators").unwrap(), Some(false));
    assert_eq!(
        a.yes_no("threatq_sync_tasks").unwrap(),
        Some(false),
        "a name as sent"
    );
    assert_eq!(
        a.yes_no("threatq_flag").unwrap(),
        Some(true),
        "a boolean field"
    );
    assert_eq!(a.yes_no("absent").unwrap(), None);
    assert!(
        a.yes_no("threatq_indicator_status").is_err(),
        "Whitelisted is not Yes/No"
    );
    assert_eq!(
        a.select("threatq_indicator_status").unwrap().as_deref(),
        Some("Whitelisted")
    );
    assert_eq!(a.multiselect("threatq_tags").unwrap(), ["a", "b"]);
}

#[test]
fn names_given_instead_of_ids_are_taken_as_labels() {
    // GET /incidents/{id}?handle_format=names returns names (samples/resilient-rest-objects.json).
    let mut v = samples::action("incident");
    v["incident"] =
        samples::rest("GET /rest/orgs/201/incidents/2095?handle_format=names")["response"].clone();
    let a = action_from(v);
    assert_eq!(
        a.incident_label("severity_code").unwrap().as_deref(),
        Some("Low")
    );
    assert_eq!(
        a.incident_label("owner_id").unwrap().as_deref(),
        Some("ana@example.com")
    );
}

#[test]
fn incident_fields_custom_first_and_nulls_are_absent() {
    let mut v = samples::action("incident");
    v["incident"]["properties"] = json!({"threatq_event_id": null, "internal_severity": "High"});
    v["incident"]["confirmed"] = json!(true);
    let a = action_from(v);
    assert_eq!(a.incident.field("internal_severity"), Some(&json!("High")));
    assert_eq!(a.incident.field("confirmed"), Some(&json!(true)));
    assert_eq!(a.incident.field("threatq_event_id"), None);
    assert_eq!(a.incident.field("missing"), None);
}

#[test]
fn the_function_sample_unwraps_inputs_as_resilient_circuits_does() {
    let f = function(&samples::function_message());
    assert_eq!(f.function.name, "threatq_add_indicator");
    assert_eq!(
        f.function.display_name.as_deref(),
        Some("ThreatQ: Add Indicator")
    );
    assert_eq!(
        f.workflow_instance.as_ref().unwrap().workflow_instance_id,
        Some(80)
    );
    assert_eq!(
        f.text("threatq_indicator_value").as_deref(),
        Some("10.0.0.1")
    );
    assert_eq!(
        f.select("threatq_indicator_type").unwrap().as_deref(),
        Some("IP Address")
    );
    assert_eq!(
        f.text("threatq_indicator_description").as_deref(),
        Some("seen in mail headers"),
        "textarea content"
    );
    assert_eq!(f.number("incident_id").unwrap(), Some(2095));
    assert_eq!(f.number("artifact_id").unwrap(), Some(11));
    assert_eq!(f.text("absent"), None);
}

#[test]
fn function_inputs_of_every_shape() {
    let f = function(&json!({
        "function": {"name": "threatq_mark_false_positive"},
        "inputs": {"b1": true, "b2": {"id": 5, "name": "No"}, "b3": "yes",
                   "m": [{"id": 55, "name": "value one"}, {"id": 56, "name": "value two"}],
                   "n": "2095", "bad": {"id": 1}, "neg": -1, "empty": ""},
        "workflow_instance": {"workflow_instance_id": 999}
    }));
    assert_eq!(f.boolean("b1").unwrap(), Some(true));
    assert_eq!(f.boolean("b2").unwrap(), Some(false));
    assert_eq!(f.boolean("b3").unwrap(), Some(true));
    assert_eq!(f.boolean("absent").unwrap(), None);
    assert_eq!(f.multiselect("m").unwrap(), ["value one", "value two"]);
    assert_eq!(f.number("n").unwrap(), Some(2095));
    assert!(f.select("bad").unwrap_err().to_string().contains("bad"));
    assert!(f.number("neg").is_err());
    assert_eq!(f.text("empty"), None);
}

#[test]
fn payload_routing_and_errors() {
    let fbody = samples::function_message().to_string();
    assert!(matches!(
        Payload::parse(None, fbody.as_bytes()).unwrap(),
        Payload::Function(_)
    ));
    let abody = samples::action("note").to_string();
    assert!(matches!(
        Payload::parse(None, abody.as_bytes()).unwrap(),
        Payload::Action(_)
    ));
    assert_eq!(
        Payload::parse(Some("ConnectorSubscriptionUpdateDTO"), b"{}").unwrap_err(),
        MessageError::Unsupported("ConnectorSubscriptionUpdateDTO".into())
    );
    let e = Payload::parse(Some("ActionDataDTO"), b"{not json").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("the ActionDataDTO body is not valid"),
        "{e}"
    );
    let e = Payload::parse(Some("ActionDataDTO"), br#"{"object_type": 4}"#).unwrap_err();
    assert!(
        e.to_string().contains("incident"),
        "missing field named: {e}"
    );
    let e = Payload::parse(
        Some("ActionDataDTO"),
        br#"{"object_type": "four", "incident": {"id": 1}}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
}

/// The text of `key`'s value in resilient-ack-replies.json, dedented: byte for byte what the
/// sample shows.
fn sample_text(key: &str) -> String {
    let text = samples::ACK_REPLIES;
    let start = text
        .find(&format!("\n  \"{key}\": {{"))
        .unwrap_or_else(|| panic!("{key} in the sample"))
        + key.len()
        + 7;
    let end = text[start..].find("\n  }").unwrap() + start + 4;
    text[start..end]
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l
            } else {
                l.strip_prefix("  ").unwrap_or(l)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_bytes(reply: &Reply, key: &str) {
    let ours = String::from_utf8(reply.to_bytes()).unwrap();
    assert_eq!(ours, sample_text(key), "{key}");
    // And the same JSON as the sample, whatever the formatting.
    let back: Value = serde_json::from_slice(&reply.to_bytes()).unwrap();
    assert_eq!(back, samples::ack_reply(key), "{key}");
}

#[test]
fn replies_are_byte_for_byte_the_samples() {
    assert_bytes(
        &Reply::interim("Starting sync of incident 2095"),
        "interim_status",
    );
    assert_bytes(
        &Reply::done("Incident 2095 synced to ThreatQ event 812"),
        "rule_success",
    );
    assert_bytes(&Reply::done(NO_HANDLER_RESULT), "rule_no_handler_result");
    assert_bytes(&Reply::error("ThreatQ returned 401 Unauthorized"), "error");
    assert_bytes(
        &Reply::function_result(Results::Plain(
            json!({"indicator_id": 4711, "status": "Active"}),
        )),
        "function_result_plain",
    );
    assert_bytes(
        &Reply::function_result(Results::V2(Box::new(ResultPayload {
            version: 2.0,
            success: true,
            reason: None,
            content: json!({"indicator_id": 4711, "status": "Active"}),
            raw: None,
            inputs: json!({"threatq_indicator_value": "10.0.0.1"}),
            metrics: ResultMetrics {
                version: "1.0".into(),
                package: "fn-threatq".into(),
                package_version: "1.0.0".into(),
                host: "integration-server".into(),
                execution_time_ms: 812,
                timestamp: "2020-09-13 12:26:40".into(),
            },
        }))),
        "function_result_v2",
    );
    assert_bytes(
        &Reply::function_result(Results::Failed(FailedResult::new("ThreatQ unreachable"))),
        "trap_exception_result",
    );
}
