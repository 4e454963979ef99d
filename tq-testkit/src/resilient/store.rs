//! What the fake keeps: the org, its objects (incidents, artifacts, notes, tasks,
//! attachments and their contents) and its customizations (rules, functions, message
//! destinations, field definitions, artifact types, imports), as the JSON the API answers.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

/// The org the fake serves.
#[derive(Debug, Clone)]
pub struct OrgRec {
    /// The numeric id (`/rest/orgs/{id}`).
    pub id: u64,
    /// The name (what app.config `org` names).
    pub name: String,
    /// The uuid (also accepted by `org`).
    pub uuid: String,
    /// The cloud account (also accepted by `org`).
    pub cloud_account: Option<String>,
}

impl OrgRec {
    /// The `orgs[]` entry of a session.
    pub fn session_entry(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "uuid": self.uuid,
            "cloud_account": self.cloud_account,
            "enabled": true,
            "attachments_enabled": true,
            "tasks_private": false,
            "has_saml": false,
            "require_saml": false,
            "supports_ldap": false,
            "incident_deletion_allowed": true,
            "session_timeout": 1200,
            "perms": null,
            "effective_permissions": [],
            "role_handles": []
        })
    }
}

/// An artifact type (system or custom).
#[derive(Debug, Clone)]
pub struct ArtifactType {
    /// Its id (what artifacts carry in `type`).
    pub id: u64,
    /// Its name (`IP Address`).
    pub name: String,
    /// Its programmatic name (`net.ip`).
    pub programmatic_name: String,
    /// Whether it is a system type.
    pub system: bool,
}

/// The system artifact types of research §5.3 (ids as one server had them; clients must look
/// them up).
pub const SYSTEM_ARTIFACT_TYPES: &[(u64, &str, &str)] = &[
    (1, "IP Address", "net.ip"),
    (2, "DNS Name", "net.name"),
    (3, "URL", "net.uri"),
    (4, "RFC 822 Email Message File", "email"),
    (5, "Email Subject", "email.header.subject"),
    (6, "Email Body", "email.body"),
    (7, "Email Attachment", "email.attachment"),
    (8, "Email Attachment Name", "email.attachment.name"),
    (9, "Email Sender", "email.header.sender_address"),
    (12, "Malware Sample", "malware.sample"),
    (13, "Malware MD5 Hash", "hash.md5"),
    (14, "Malware SHA-1 Hash", "hash.sha1"),
    (15, "Log File", "file.log"),
    (16, "Other File", "file"),
    (19, "Email Sender Name", "email.header.sender_name"),
    (20, "Email Recipient", "email.header.to"),
    (22, "Malware Sample Fuzzy Hash", "hash.fuzzy"),
    (23, "User Account", "user.account"),
    (24, "Registry Key", "system.registry"),
    (25, "System Name", "system.name"),
    (26, "Process Name", "process.name"),
    (27, "Port", "net.port"),
    (28, "Service", "system.service"),
    (29, "String", "string"),
    (30, "Mutex", "system.mutex"),
    (31, "File Name", "file.name"),
    (32, "Password", "password"),
    (34, "HTTP Request Header", "net.http.request.header"),
    (35, "HTTP Response Header", "net.http.response.header"),
    (36, "X509 Certificate File", "x509"),
    (37, "File Path", "file.path"),
    (38, "Malware SHA-256 Hash", "hash.sha256"),
    (39, "MAC Address", "net.mac"),
    (40, "URL Referer", "net.uri.referer"),
    (41, "User Agent", "http.useragent"),
    (42, "URI Path", "net.uri.path"),
    (43, "Threat CVE ID", "threat.cve"),
    (44, "Network CIDR Range", "net.cidr"),
    (45, "Malware Family/Variant", "malware.family"),
];

/// Every object of the org.
#[derive(Debug, Default)]
pub struct Store {
    next_id: u64,
    /// Incidents (FullIncidentDataDTO) by id.
    pub incidents: BTreeMap<u64, Value>,
    /// Artifacts (IncidentArtifactDTO, `inc_id` set) by id.
    pub artifacts: BTreeMap<u64, Value>,
    /// Notes (CommentDTO, `inc_id` and `task_id` set) by id.
    pub comments: BTreeMap<u64, Value>,
    /// Tasks (TaskDTO) by id.
    pub tasks: BTreeMap<u64, Value>,
    /// Attachments (AttachmentDTO) by id.
    pub attachments: BTreeMap<u64, Value>,
    /// Attachment contents by attachment id.
    pub contents: HashMap<u64, Vec<u8>>,
    /// Artifact types.
    pub artifact_types: Vec<ArtifactType>,
    /// Field definitions (FieldDefDTO) by type name (`incident`, `actioninvocation`,
    /// `__function`, ...).
    pub fields: BTreeMap<String, Vec<Value>>,
    /// Rules (actions) by id.
    pub actions: BTreeMap<u64, Value>,
    /// Functions by id.
    pub functions: BTreeMap<u64, Value>,
    /// Message destinations by id.
    pub destinations: BTreeMap<u64, Value>,
    /// Imports (customize) by id.
    pub imports: BTreeMap<u64, Value>,
    /// Imports applied (`ACCEPTED`).
    pub imports_applied: usize,
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// An empty store whose new ids start above `base`, with the system artifact types and
    /// the standard incident fields.
    pub fn new(base: u64) -> Store {
        let mut s = Store {
            next_id: base,
            ..Store::default()
        };
        s.artifact_types = SYSTEM_ARTIFACT_TYPES
            .iter()
            .map(|(id, name, p)| ArtifactType {
                id: *id,
                name: name.to_string(),
                programmatic_name: p.to_string(),
                system: true,
            })
            .collect();
        s.fields
            .insert("incident".into(), standard_incident_fields());
        s.fields.insert("actioninvocation".into(), Vec::new());
        s.fields.insert("__function".into(), Vec::new());
        s
    }

    /// A fresh id (unique across every kind of object).
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Makes sure ids handed out later are above `id` (after seeding a fixed id).
    pub fn reserve(&mut self, id: u64) {
        self.next_id = self.next_id.max(id);
    }

    /// An artifact type by id, by name (case-sensitive), or by `{"id"}` / `{"name"}`.
    pub fn artifact_type(&self, v: &Value) -> Option<&ArtifactType> {
        match v {
            Value::Number(n) => {
                let id = n.as_u64()?;
                self.artifact_types.iter().find(|t| t.id == id)
            }
            Value::String(s) => self.artifact_types.iter().find(|t| t.name == *s),
            Value::Object(o) => o
                .get("id")
                .filter(|v| !v.is_null())
                .or_else(|| o.get("name"))
                .and_then(|v| self.artifact_type(v)),
            _ => None,
        }
    }

    /// Whether `name` is a custom incident field (`prefix: properties`).
    pub fn is_custom_incident_field(&self, name: &str) -> bool {
        self.fields.get("incident").is_some_and(|f| {
            f.iter()
                .any(|d| d["name"] == name && d["prefix"] == "properties")
        })
    }

    /// `FullOrgDTO.incident_artifact_types`.
    pub fn artifact_types_map(&self) -> Map<String, Value> {
        self.artifact_types
            .iter()
            .map(|t| {
                (
                    t.id.to_string(),
                    json!({
                        "id": t.id,
                        "name": t.name,
                        "programmatic_name": t.programmatic_name,
                        "system": t.system,
                        "enabled": true,
                        "file": false,
                        "multi_aware": true
                    }),
                )
            })
            .collect()
    }

    /// A message destination by programmatic name.
    pub fn destination_by_name(&self, programmatic_name: &str) -> Option<(u64, &Value)> {
        self.destinations
            .iter()
            .find(|(_, d)| d["programmatic_name"] == programmatic_name)
            .map(|(id, d)| (*id, d))
    }
}

/// The built-in incident fields the rules read (FieldDefDTO), with the sample's custom
/// field `threatq_event_id`.
fn standard_incident_fields() -> Vec<Value> {
    let select = |id: u64, name: &str, text: &str, values: Vec<Value>| {
        json!({
            "id": id, "name": name, "text": text, "prefix": null, "type_id": 0,
            "input_type": "select", "values": values, "internal": false, "read_only": false,
            "uuid": format!("91f2b232-0000-4000-8000-{id:012}"),
            "export_key": format!("incident/{name}")
        })
    };
    let value = |v: u64, label: &str| {
        json!({"value": v, "label": label, "enabled": true, "default": v == 50,
               "hidden": false, "properties": null, "uuid": null})
    };
    vec![
        json!({
            "id": 301, "name": "threatq_event_id", "text": "ThreatQ Event ID",
            "prefix": "properties", "type_id": 0, "input_type": "number", "required": null,
            "internal": false, "read_only": false, "rich_text": false, "blank_option": false,
            "chosen": false, "tooltip": "", "placeholder": "", "values": [],
            "uuid": "2b1f0c2e-0000-4000-8000-000000000301",
            "export_key": "incident/threatq_event_id"
        }),
        select(
            41,
            "severity_code",
            "Severity",
            super::inferred::SEVERITIES
                .iter()
                .map(|(v, l)| value(*v, l))
                .collect(),
        ),
        select(
            42,
            "phase_id",
            "Phase",
            super::inferred::PHASES
                .iter()
                .map(|(v, l)| value(*v, l))
                .collect(),
        ),
    ]
}
