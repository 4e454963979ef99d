//! Attachments (files, §12, samples/threatq-attachments.json): the two-step upload
//! (`/attachments/upload` multipart, then `/attachments` JSON naming the file), the one-step
//! multipart upload, and download. Find by `hash`/`name` and get are the generic list/get.

use serde_json::{json, Map, Value};

use super::objects::{apply_related, check_relations, md5_hex, relation_field, resolve};
use super::render::{render, Opts, With};
use super::reply::{self, bad_request, invalid, json_body, not_found, Reply};
use super::validate::{check_with, flag, opt, req, Ty, F, SOURCE};
use super::State;
use crate::server::{Request, Response};

/// One part of a multipart/form-data body.
#[derive(Debug)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    pub filename: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

/// Parses a multipart/form-data body; 400 when it is not one.
pub fn multipart(req: &Request) -> Result<Vec<Part>, Response> {
    let ct = req.header("content-type").unwrap_or_default();
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(bad_request("multipart/form-data expected."));
    }
    let boundary = ct
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string())
        .ok_or_else(|| bad_request("multipart boundary missing."))?;
    let delim = format!("--{boundary}").into_bytes();
    let body = &req.body;
    let mut positions = Vec::new();
    let mut i = 0;
    while i + delim.len() <= body.len() {
        if body[i..].starts_with(&delim) {
            positions.push(i);
            i += delim.len();
        } else {
            i += 1;
        }
    }
    if positions.len() < 2 {
        return Err(bad_request("malformed multipart body."));
    }
    let mut parts = Vec::new();
    for w in positions.windows(2) {
        let mut seg = &body[w[0] + delim.len()..w[1]];
        seg = seg.strip_prefix(b"\r\n").unwrap_or(seg);
        seg = seg.strip_suffix(b"\r\n").unwrap_or(seg);
        let Some(split) = seg.windows(4).position(|x| x == b"\r\n\r\n") else {
            return Err(bad_request("malformed multipart part."));
        };
        let head = String::from_utf8_lossy(&seg[..split]).to_string();
        let data = seg[split + 4..].to_vec();
        let disp = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
            .ok_or_else(|| bad_request("multipart part without Content-Disposition."))?;
        let param = |key: &str| {
            disp.split(';').find_map(|p| {
                let p = p.trim();
                p.strip_prefix(&format!("{key}="))
                    .map(|v| v.trim_matches('"').to_string())
            })
        };
        let name = param("name").ok_or_else(|| bad_request("multipart part without name."))?;
        parts.push(Part {
            name,
            filename: param("filename"),
            data,
        });
    }
    Ok(parts)
}

const STEP2: &[F] = &[
    req("name", Ty::Str),
    opt("title", Ty::Nullable(&Ty::Str)),
    req("type", Ty::Lookup),
    opt("malware_locked", Ty::Flag),
    opt("description", Ty::Nullable(&Ty::Str)),
    opt("sources", Ty::List(&Ty::Obj(SOURCE))),
    opt("tags", Ty::List(&Ty::Lookup)),
    opt("attributes", Ty::List(&Ty::Obj(super::validate::ATTRIBUTE))),
    opt("published_at", Ty::Nullable(&Ty::Date)),
    opt("tlp_id", Ty::Nullable(&Ty::Int)),
];

const UPLOAD_FIELDS: &[&str] = &[
    "resumableIdentifier",
    "resumableRelativePath",
    "resumableTotalChunks",
    "resumableFilename",
    "resumableChunkNumber",
    "resumableChunkSize",
    "resumableCurrentChunkSize",
    "resumableTotalSize",
    "resumableType",
];

/// `POST /api/attachments/upload` (step 1): keeps the file under `resumableFilename`.
pub fn upload(st: &mut State, req: &Request) -> Reply {
    let parts = multipart(req)?;
    let mut file = None;
    let mut filename = None;
    for p in parts {
        match p.name.as_str() {
            "file" => file = Some(p.data),
            "resumableFilename" => filename = Some(String::from_utf8_lossy(&p.data).to_string()),
            n if UPLOAD_FIELDS.contains(&n) => {}
            n => return Err(invalid(n, &format!("The {n} field is not allowed."))),
        }
    }
    let file = file.ok_or_else(|| invalid("file", "The file field is required."))?;
    let filename = filename.ok_or_else(|| {
        invalid(
            "resumableFilename",
            "The resumableFilename field is required.",
        )
    })?;
    let size = file.len();
    st.store.uploads.insert(filename.clone(), file);
    Ok(reply::data(json!({ "name": filename, "file_size": size })))
}

fn store_file(st: &mut State, req: &Request, body: &Value, content: Vec<u8>) -> Reply {
    let with = With::parse(req.query_param("with").unwrap_or(""))?;
    check_relations(st, body, "")?;
    let type_id = resolve(
        &st.store.lookups.attachment_types,
        body.get("type"),
        None,
        "type",
    )?
    .ok_or_else(|| invalid("type", "The type field is required."))?;
    let now = st.clock.stamp();
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut f = Map::new();
    f.insert("name".into(), json!(name));
    f.insert(
        "title".into(),
        body.get("title")
            .cloned()
            .filter(|t| !t.is_null())
            .unwrap_or(json!(name)),
    );
    f.insert("type_id".into(), json!(type_id));
    f.insert("file_size".into(), json!(content.len()));
    let hash = openssl::hash::hash(openssl::hash::MessageDigest::md5(), &content)
        .map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .unwrap_or_else(|_| md5_hex(""));
    f.insert("hash".into(), json!(hash));
    f.insert(
        "description".into(),
        body.get("description").cloned().unwrap_or(Value::Null),
    );
    f.insert("content_type_id".into(), json!(1));
    f.insert(
        "malware_locked".into(),
        json!(u8::from(body.get("malware_locked").is_some_and(flag))),
    );
    f.insert(
        "published_at".into(),
        body.get("published_at").cloned().unwrap_or(json!(now)),
    );
    let id = st.store.insert("attachments", f, &now);
    if let Some(o) = st.store.get_mut("attachments", id) {
        o.content = Some(content);
    }
    apply_related(st, "attachments", id, body, true, &now);
    let o = st.store.get("attachments", id).ok_or_else(not_found)?;
    Ok(reply::created(render(&st.store, o, &with, Opts::default())))
}

/// `POST /api/attachments`: JSON (step 2, naming an uploaded file) or multipart (one step).
pub fn create(st: &mut State, req: &Request) -> Reply {
    let is_multipart = req
        .content_type()
        .is_some_and(|c| c == "multipart/form-data");
    if !is_multipart {
        let body = json_body(req)?;
        check_with(&body, &Ty::Obj(STEP2), "", &relation_field)?;
        let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
        let content = st.store.uploads.remove(name).ok_or_else(|| {
            invalid(
                "name",
                &format!("No uploaded file named {name}: POST /api/attachments/upload first."),
            )
        })?;
        return store_file(st, req, &body, content);
    }
    let mut body = Map::new();
    let mut content = None;
    for p in multipart(req)? {
        let text = String::from_utf8_lossy(&p.data).to_string();
        match p.name.as_str() {
            "file" => {
                if !body.contains_key("name") {
                    if let Some(f) = &p.filename {
                        body.insert("name".into(), json!(f));
                    }
                }
                content = Some(p.data);
            }
            "name" | "title" | "type" | "description" => {
                body.insert(p.name.clone(), json!(text));
            }
            "malware_locked" => {
                body.insert(p.name.clone(), json!(text));
            }
            n => return Err(invalid(n, &format!("The {n} field is not allowed."))),
        }
    }
    let content = content.ok_or_else(|| invalid("file", "The file field is required."))?;
    let body = Value::Object(body);
    check_with(&body, &Ty::Obj(STEP2), "", &|_| None)?;
    store_file(st, req, &body, content)
}

/// `GET /api/attachments/{id}/download` → the bytes with `Content-Disposition`.
pub fn download(st: &State, id: u64) -> Reply {
    let o = st.store.get("attachments", id).ok_or_else(not_found)?;
    let name = o.str_field("name").unwrap_or("file").replace('"', "");
    let data = o.content.clone().unwrap_or_default();
    Ok(
        Response::bytes(200, "application/octet-stream", data).with_header(
            "Content-Disposition",
            &format!("attachment; filename=\"{name}\""),
        ),
    )
}
