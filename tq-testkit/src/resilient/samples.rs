//! The research samples (`research/samples/resilient-*.json`, copied to
//! `tq-testkit/data/resilient/`): the fake answers from them and tests build messages from
//! them, so there is one copy in the repository.

use serde_json::Value;

/// `resilient-action-incident.json`: a manual rule on an incident with activity fields.
pub const ACTION_INCIDENT: &str =
    include_str!("../../data/resilient/resilient-action-incident.json");
/// `resilient-action-artifact.json`: a rule on an artifact (`object_type` 4).
pub const ACTION_ARTIFACT: &str =
    include_str!("../../data/resilient/resilient-action-artifact.json");
/// `resilient-action-note.json`: an automatic rule on a new note (`object_type` 2).
pub const ACTION_NOTE: &str = include_str!("../../data/resilient/resilient-action-note.json");
/// `resilient-action-task.json`: a rule on a task (`object_type` 1).
pub const ACTION_TASK: &str = include_str!("../../data/resilient/resilient-action-task.json");
/// `resilient-action-attachment.json`: a rule on an attachment (`object_type` 5).
pub const ACTION_ATTACHMENT: &str =
    include_str!("../../data/resilient/resilient-action-attachment.json");
/// `resilient-function-message.json`: a FunctionDataDTO.
pub const FUNCTION_MESSAGE: &str =
    include_str!("../../data/resilient/resilient-function-message.json");
/// `resilient-ack-replies.json`: the reply bodies (interim, success, error, results).
pub const ACK_REPLIES: &str = include_str!("../../data/resilient/resilient-ack-replies.json");
/// `resilient-stomp-frames.json`: the headers of every frame (values unescaped).
pub const STOMP_FRAMES: &str = include_str!("../../data/resilient/resilient-stomp-frames.json");
/// `resilient-rest-session.json`: session, org, const, 401.
pub const REST_SESSION: &str = include_str!("../../data/resilient/resilient-rest-session.json");
/// `resilient-rest-objects.json`: the object endpoints' requests and responses.
pub const REST_OBJECTS: &str = include_str!("../../data/resilient/resilient-rest-objects.json");
/// `resilient-export-snippet.json`: a customize export (destination, rules, function, fields).
pub const EXPORT_SNIPPET: &str = include_str!("../../data/resilient/resilient-export-snippet.json");

fn parse(name: &str, text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("sample {name} is not JSON: {e}"))
}

/// The rule sample for `kind` (`incident`, `artifact`, `note`, `task`, `attachment`);
/// panics on another kind.
pub fn action(kind: &str) -> Value {
    let text = match kind {
        "incident" => ACTION_INCIDENT,
        "artifact" => ACTION_ARTIFACT,
        "note" => ACTION_NOTE,
        "task" => ACTION_TASK,
        "attachment" => ACTION_ATTACHMENT,
        other => panic!("no action sample {other:?} (incident, artifact, note, task, attachment)"),
    };
    parse(kind, text)
}

/// The function sample.
pub fn function_message() -> Value {
    parse("function-message", FUNCTION_MESSAGE)
}

/// One reply of `resilient-ack-replies.json` by key (`interim_status`, `rule_success`,
/// `rule_no_handler_result`, `error`, `function_result_plain`, `function_result_v2`,
/// `trap_exception_result`); panics on another key.
pub fn ack_reply(key: &str) -> Value {
    let all = parse("ack-replies", ACK_REPLIES);
    all.get(key)
        .cloned()
        .unwrap_or_else(|| panic!("no reply {key:?} in resilient-ack-replies.json"))
}

/// One entry of `resilient-rest-objects.json` or `resilient-rest-session.json` by its key
/// (`"GET /rest/orgs/201/actions"`, ...); panics when absent.
pub fn rest(key: &str) -> Value {
    for (name, text) in [
        ("rest-objects", REST_OBJECTS),
        ("rest-session", REST_SESSION),
    ] {
        if let Some(v) = parse(name, text).get(key) {
            return v.clone();
        }
    }
    panic!("no REST sample {key:?}")
}

/// The export snippet.
pub fn export_snippet() -> Value {
    parse("export-snippet", EXPORT_SNIPPET)
}
