//! The Resilient fields this integration installs (`customize`) and reads: the menu items'
//! activity fields (type `actioninvocation`), the functions' inputs (`__function`) and the
//! incident field `threatq_event_id`. Names are the decided ones (the guide's
//! labels, API names prefixed `threatq_`); select values arrive as ids and are resolved to
//! these labels from the message's type information.

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Text,
    /// A whole number.
    Number,
    /// A checkbox.
    Boolean,
    /// One of these labels.
    Select(&'static [&'static str]),
    /// A date (epoch milliseconds).
    DatePicker,
}

impl Input {
    /// SOAR's `input_type`.
    pub fn input_type(self) -> &'static str {
        match self {
            Input::Text => "text",
            Input::Number => "number",
            Input::Boolean => "boolean",
            Input::Select(_) => "select",
            Input::DatePicker => "datepicker",
        }
    }
}

/// Which kind of object a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// An incident field (`type_id` 0).
    Incident,
    /// A menu item's activity field (`actioninvocation`, 6).
    Activity,
    /// A function input (`__function`, 11).
    Function,
}

impl FieldType {
    /// The type's name in paths (`/types/<name>/fields`).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Incident => "incident",
            FieldType::Activity => "actioninvocation",
            FieldType::Function => "__function",
        }
    }

    /// SOAR's `type_id`.
    pub fn type_id(self) -> u64 {
        match self {
            FieldType::Incident => 0,
            FieldType::Activity => 6,
            FieldType::Function => 11,
        }
    }
}

/// One field definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// The kind of object it belongs to.
    pub of: FieldType,
    /// The API (programmatic) name.
    pub name: &'static str,
    /// The label shown.
    pub text: &'static str,
    /// The tooltip (the guide's description).
    pub tooltip: &'static str,
    /// How it is entered.
    pub input: Input,
    /// Whether it must be filled in.
    pub required: bool,
}

const fn activity(
    name: &'static str,
    text: &'static str,
    tooltip: &'static str,
    input: Input,
) -> FieldDef {
    FieldDef {
        of: FieldType::Activity,
        name,
        text,
        tooltip,
        input,
        required: false,
    }
}

const fn input(
    name: &'static str,
    text: &'static str,
    tooltip: &'static str,
    input: Input,
    required: bool,
) -> FieldDef {
    FieldDef {
        of: FieldType::Function,
        name,
        text,
        tooltip,
        input,
        required,
    }
}

const YES_NO: Input = Input::Select(&["Yes", "No"]);

/// The indicator statuses the menus offer (ThreatQ's defaults).
pub const STATUSES: &[&str] = &["Active", "Review", "Indirect", "Whitelisted", "Expired"];

/// The confidence levels (the attribute "Confidence").
pub const CONFIDENCES: &[&str] = &["Low", "Medium", "High"];

/// The ThreatQ file types Import Attachment offers; Spearphish means the file type
/// "Spearphish Attachment" ([`file_type`]).
pub const ATTACHMENT_TYPES: &[&str] = &[
    "Malware Sample",
    "Spearphish",
    "PDF",
    "Intelligence",
    "Malware Analysis Report",
    "Generic Text",
];

/// The ThreatQ task statuses.
pub const TASK_STATUSES: &[&str] = &["To Do", "In Progress", "Review", "Done"];

/// The ThreatQ file type of an Attachment Type label.
pub fn file_type(label: &str) -> &str {
    if label.eq_ignore_ascii_case("Spearphish") {
        "Spearphish Attachment"
    } else {
        label
    }
}

/// Sync Incident: import the incident's artifacts as indicators.
pub const IMPORT_ARTIFACTS: FieldDef = activity(
    "threatq_import_artifacts",
    "Import Artifacts into ThreatQ",
    "Yes: the incident's artifacts become indicators related to its ThreatQ event",
    YES_NO,
);
/// Sync Incident: import the event's indicators as artifacts.
pub const IMPORT_INDICATORS: FieldDef = activity(
    "threatq_import_indicators",
    "Import Indicators from ThreatQ",
    "Yes: the indicators related to the incident's ThreatQ event become artifacts",
    YES_NO,
);
/// Sync Indicator, Import Attachment: the indicator status.
pub const INDICATOR_STATUS: FieldDef = activity(
    "threatq_indicator_status",
    "Indicator Status",
    "The status for the indicator in ThreatQ",
    Input::Select(STATUSES),
);
/// Sync Indicator: the confidence.
pub const INDICATOR_CONFIDENCE: FieldDef = activity(
    "threatq_indicator_confidence",
    "Indicator Confidence",
    "A confidence level for the artifact. This will get set as an attribute within ThreatQ",
    Input::Select(CONFIDENCES),
);
/// Mark as False Positive: remove the artifact afterwards.
pub const REMOVE_ARTIFACT: FieldDef = activity(
    "threatq_remove_artifact",
    "Remove Artifact After Marking",
    "Setting this to 'Yes' will remove the artifact from the Artifact list in Resilient after marking",
    YES_NO,
);
/// Import Attachment: the file type.
pub const ATTACHMENT_TYPE: FieldDef = activity(
    "threatq_attachment_type",
    "Attachment Type",
    "The type of attachment that the attachment will be imported as into ThreatQ",
    Input::Select(ATTACHMENT_TYPES),
);
/// Import Attachment: parse it for indicators.
pub const PARSE_INDICATORS: FieldDef = activity(
    "threatq_parse_indicators",
    "Parse Indicators",
    "Whether or not you want to parse indicators out of the attachment",
    YES_NO,
);
/// Set Task Status: the status.
pub const TASK_STATUS: FieldDef = activity(
    "threatq_task_status",
    "Task Status",
    "The status for the task within ThreatQ",
    Input::Select(TASK_STATUSES),
);
/// Historical Sync: since when.
pub const CREATED_AFTER: FieldDef = FieldDef {
    required: true,
    ..activity(
        "threatq_created_after",
        "Created After Date",
        "The date to go back to sync incidents from",
        Input::DatePicker,
    )
};
/// Historical Sync: with the tasks.
pub const SYNC_TASKS: FieldDef = activity(
    "threatq_sync_tasks",
    "Historically Sync Tasks",
    "Enabling this option will sync related tasks to a historical incident",
    YES_NO,
);

/// Function input: the indicator value.
pub const IN_INDICATOR_VALUE: FieldDef = input(
    "threatq_indicator_value",
    "threatq_indicator_value",
    "The value for the indicator (artifact.value)",
    Input::Text,
    true,
);
/// Function input: the indicator type (parsed from the value when empty).
pub const IN_INDICATOR_TYPE: FieldDef = input(
    "threatq_indicator_type",
    "threatq_indicator_type",
    "The indicator type as shown in ThreatQ; if none provided, it is parsed from the value",
    Input::Text,
    false,
);
/// Function input: the indicator status.
pub const IN_INDICATOR_STATUS: FieldDef = input(
    "threatq_indicator_status",
    "threatq_indicator_status",
    "The status of the indicator in ThreatQ",
    Input::Select(STATUSES),
    false,
);
/// Function input: the confidence.
pub const IN_INDICATOR_CONFIDENCE: FieldDef = input(
    "threatq_indicator_confidence",
    "threatq_indicator_confidence",
    "The confidence of the indicator in ThreatQ (added as an attribute)",
    Input::Select(CONFIDENCES),
    false,
);
/// Function input: the incident id.
pub const IN_INCIDENT_ID: FieldDef = input(
    "threatq_incident_id",
    "threatq_incident_id",
    "The ID for the incident the artifact belongs to (incident.id)",
    Input::Number,
    true,
);
/// Function input: the artifact id.
pub const IN_ARTIFACT_ID: FieldDef = input(
    "threatq_artifact_id",
    "threatq_artifact_id",
    "The ID for the artifact (artifact.id)",
    Input::Number,
    true,
);
/// Function input: remove the artifact after marking.
pub const IN_REMOVE_ARTIFACT: FieldDef = input(
    "threatq_remove_artifact_after_marking",
    "threatq_remove_artifact_after_marking",
    "Enabling this will remove the artifact from the Resilient Incident after marking it as a false positive (default: False)",
    Input::Boolean,
    false,
);

/// The incident field holding the ThreatQ event id.
pub const EVENT_ID: FieldDef = FieldDef {
    of: FieldType::Incident,
    name: crate::event::EVENT_ID_FIELD,
    text: "ThreatQ Event ID",
    tooltip: "The ThreatQ event of this incident (set by ThreatQ: Sync Incident)",
    input: Input::Number,
    required: false,
};
