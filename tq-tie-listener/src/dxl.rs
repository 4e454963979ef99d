//! The DXL message codec (research/dxl-tie.md §3).
//!
//! A DXL message is not one msgpack object but a run of msgpack values written one after
//! another: `version, type, message_id, source_client_id, source_broker_id, broker_ids[],
//! client_ids[], payload`, the fields of the message type, then one block per version above 0.
//!
//! The decoder is zero-copy: every string and the payload borrow from the input, arrays of
//! strings are validated once and iterated lazily, so decoding allocates nothing. It accepts
//! every msgpack str and bin form, nil for strings, any integer width, and ignores bytes left
//! over after the fields of the declared version (a later version's extra fields). Malformed
//! input is an error value that names the field and byte offset; it never panics.
//!
//! The encoder writes what the Python client writes: positive fixint, fixstr/str16/str32
//! (never str8, never bin), fixarray/array16/array32.

use std::fmt;

/// The highest version whose fields this codec knows. Later versions decode as this one,
/// with their extra trailing fields counted in [`Message::trailing`].
pub const KNOWN_VERSION: u32 = 3;

/// What went wrong while decoding, with the field and the byte offset it happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub field: &'static str,
    pub offset: usize,
    pub kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended inside this field.
    Truncated,
    /// A msgpack marker that cannot encode this field.
    UnexpectedMarker(u8),
    /// A text field that is not UTF-8.
    InvalidUtf8,
    /// An integer field that does not fit.
    IntegerOutOfRange,
    /// A message type outside 0..=3.
    UnknownMessageType(u64),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DXL message field {} at byte {}: ",
            self.field, self.offset
        )?;
        match &self.kind {
            ErrorKind::Truncated => write!(f, "input ends inside the field"),
            ErrorKind::UnexpectedMarker(m) => write!(f, "unexpected msgpack marker 0x{m:02x}"),
            ErrorKind::InvalidUtf8 => write!(f, "text is not valid UTF-8"),
            ErrorKind::IntegerOutOfRange => write!(f, "integer out of range"),
            ErrorKind::UnknownMessageType(t) => {
                write!(f, "unknown message type {t} (expected 0..=3)")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// The DXL message types (field 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Request = 0,
    Response = 1,
    Event = 2,
    ErrorResponse = 3,
}

impl MessageType {
    fn from_u64(v: u64) -> Option<Self> {
        match v {
            0 => Some(Self::Request),
            1 => Some(Self::Response),
            2 => Some(Self::Event),
            3 => Some(Self::ErrorResponse),
            _ => None,
        }
    }
}

/// The fields that depend on the message type (written right after the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    /// `reply_to_topic` is `None` when it was written as msgpack nil.
    Request {
        reply_to_topic: Option<&'a str>,
        service_id: &'a str,
    },
    Response {
        request_message_id: &'a str,
        service_id: &'a str,
    },
    Event,
    ErrorResponse {
        request_message_id: &'a str,
        service_id: &'a str,
        /// The low 32 bits of whatever integer was written (Python writes uint32, the broker int32).
        error_code: u32,
        error_message: &'a str,
    },
}

impl Kind<'_> {
    pub fn message_type(&self) -> MessageType {
        match self {
            Kind::Request { .. } => MessageType::Request,
            Kind::Response { .. } => MessageType::Response,
            Kind::Event => MessageType::Event,
            Kind::ErrorResponse { .. } => MessageType::ErrorResponse,
        }
    }
}

/// An array of strings, validated during decoding and iterated without allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StrArray<'a> {
    len: u32,
    /// The encoded elements (without the array header).
    bytes: &'a [u8],
}

impl<'a> StrArray<'a> {
    pub const EMPTY: StrArray<'static> = StrArray { len: 0, bytes: &[] };

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> StrArrayIter<'a> {
        StrArrayIter {
            left: self.len,
            rd: Reader {
                buf: self.bytes,
                pos: 0,
            },
        }
    }

    /// Reads the array as the flat `[k1, v1, k2, v2, ...]` list of `other_fields` and returns the
    /// value of `key`, if present.
    pub fn field(&self, key: &str) -> Option<&'a str> {
        let mut it = self.iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            if k == key {
                return Some(v);
            }
        }
        None
    }
}

impl fmt::Debug for StrArray<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

pub struct StrArrayIter<'a> {
    left: u32,
    rd: Reader<'a>,
}

impl<'a> Iterator for StrArrayIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The elements were validated when the array was decoded, so this cannot fail; an
        // error ends the iteration rather than panicking all the same.
        match self.rd.text("array element") {
            Ok(s) => Some(s),
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

/// A decoded DXL message; every field borrows from the input bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub version: u32,
    pub kind: Kind<'a>,
    pub message_id: &'a str,
    pub source_client_id: &'a str,
    pub source_broker_id: &'a str,
    pub broker_ids: StrArray<'a>,
    pub client_ids: StrArray<'a>,
    pub payload: &'a [u8],
    /// v1+: flat key/value list (`dxl.certs`, ...); empty before v1.
    pub other_fields: StrArray<'a>,
    /// v2+; empty before v2.
    pub source_tenant_guid: &'a str,
    pub destination_tenant_guids: StrArray<'a>,
    /// v3+; empty before v3.
    pub source_client_instance_id: &'a str,
    /// Bytes after the last field this codec knows for the declared version (a later
    /// version's extra fields). They are ignored, as the Python client does.
    pub trailing: usize,
}

/// Decodes one DXL message (the whole MQTT PUBLISH payload).
pub fn decode(input: &[u8]) -> Result<Message<'_>, DecodeError> {
    let mut rd = Reader { buf: input, pos: 0 };
    let version_raw = rd.uint("version")?;
    let version = u32::try_from(version_raw).map_err(|_| DecodeError {
        field: "version",
        offset: 0,
        kind: ErrorKind::IntegerOutOfRange,
    })?;
    let type_at = rd.pos;
    let type_raw = rd.uint("message_type")?;
    let message_type = MessageType::from_u64(type_raw).ok_or(DecodeError {
        field: "message_type",
        offset: type_at,
        kind: ErrorKind::UnknownMessageType(type_raw),
    })?;
    let message_id = rd.text("message_id")?;
    let source_client_id = rd.text("source_client_id")?;
    let source_broker_id = rd.text("source_broker_id")?;
    let broker_ids = rd.str_array("broker_ids")?;
    let client_ids = rd.str_array("client_ids")?;
    let payload = rd.raw("payload")?.unwrap_or(&[]);
    let kind = match message_type {
        MessageType::Request => Kind::Request {
            reply_to_topic: rd.opt_text("reply_to_topic")?,
            service_id: rd.text("service_id")?,
        },
        MessageType::Response => Kind::Response {
            request_message_id: rd.text("request_message_id")?,
            service_id: rd.text("service_id")?,
        },
        MessageType::Event => Kind::Event,
        MessageType::ErrorResponse => Kind::ErrorResponse {
            request_message_id: rd.text("request_message_id")?,
            service_id: rd.text("service_id")?,
            error_code: rd.int_low32("error_code")?,
            error_message: rd.text("error_message")?,
        },
    };
    let mut msg = Message {
        version,
        kind,
        message_id,
        source_client_id,
        source_broker_id,
        broker_ids,
        client_ids,
        payload,
        other_fields: StrArray::EMPTY,
        source_tenant_guid: "",
        destination_tenant_guids: StrArray::EMPTY,
        source_client_instance_id: "",
        trailing: 0,
    };
    if version >= 1 {
        msg.other_fields = rd.str_array("other_fields")?;
    }
    if version >= 2 {
        msg.source_tenant_guid = rd.text("source_tenant_guid")?;
        msg.destination_tenant_guids = rd.str_array("destination_tenant_guids")?;
    }
    if version >= 3 {
        msg.source_client_instance_id = rd.text("source_client_instance_id")?;
    }
    msg.trailing = input.len() - rd.pos;
    Ok(msg)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, field: &'static str, offset: usize, kind: ErrorKind) -> DecodeError {
        DecodeError {
            field,
            offset,
            kind,
        }
    }

    fn take(
        &mut self,
        field: &'static str,
        start: usize,
        n: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.err(field, start, ErrorKind::Truncated))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err(field, self.pos, ErrorKind::Truncated))?;
        self.pos += 1;
        Ok(b)
    }

    fn be(&mut self, field: &'static str, start: usize, n: usize) -> Result<u64, DecodeError> {
        let bytes = self.take(field, start, n)?;
        Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// Any msgpack integer, as i128 so that every width fits.
    fn int(&mut self, field: &'static str) -> Result<i128, DecodeError> {
        let start = self.pos;
        let m = self.byte(field)?;
        Ok(match m {
            0x00..=0x7f => i128::from(m),
            0xe0..=0xff => i128::from(m as i8),
            0xcc => i128::from(self.be(field, start, 1)?),
            0xcd => i128::from(self.be(field, start, 2)?),
            0xce => i128::from(self.be(field, start, 4)?),
            0xcf => i128::from(self.be(field, start, 8)?),
            0xd0 => i128::from(self.be(field, start, 1)? as u8 as i8),
            0xd1 => i128::from(self.be(field, start, 2)? as u16 as i16),
            0xd2 => i128::from(self.be(field, start, 4)? as u32 as i32),
            0xd3 => i128::from(self.be(field, start, 8)? as i64),
            _ => return Err(self.err(field, start, ErrorKind::UnexpectedMarker(m))),
        })
    }

    fn uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let start = self.pos;
        let v = self.int(field)?;
        u64::try_from(v).map_err(|_| self.err(field, start, ErrorKind::IntegerOutOfRange))
    }

    fn int_low32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        // Python writes uint32 (ce 80 00 00 01), the broker int32 (d2 80 00 00 01): both mean
        // the same 32 bits.
        Ok((self.int(field)? & 0xffff_ffff) as u32)
    }

    /// A str-family or bin-family value; `None` for nil.
    fn raw(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, DecodeError> {
        let start = self.pos;
        let m = self.byte(field)?;
        let n = match m {
            0xa0..=0xbf => u64::from(m & 0x1f),
            0xd9 | 0xc4 => self.be(field, start, 1)?,
            0xda | 0xc5 => self.be(field, start, 2)?,
            0xdb | 0xc6 => self.be(field, start, 4)?,
            0xc0 => return Ok(None),
            _ => return Err(self.err(field, start, ErrorKind::UnexpectedMarker(m))),
        };
        let n = usize::try_from(n).map_err(|_| self.err(field, start, ErrorKind::Truncated))?;
        self.take(field, start, n).map(Some)
    }

    fn opt_text(&mut self, field: &'static str) -> Result<Option<&'a str>, DecodeError> {
        let start = self.pos;
        match self.raw(field)? {
            None => Ok(None),
            Some(b) => std::str::from_utf8(b)
                .map(Some)
                .map_err(|_| self.err(field, start, ErrorKind::InvalidUtf8)),
        }
    }

    /// A text field; nil reads as "".
    fn text(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        Ok(self.opt_text(field)?.unwrap_or(""))
    }

    fn str_array(&mut self, field: &'static str) -> Result<StrArray<'a>, DecodeError> {
        let start = self.pos;
        let m = self.byte(field)?;
        let len = match m {
            0x90..=0x9f => u64::from(m & 0x0f),
            0xdc => self.be(field, start, 2)?,
            0xdd => self.be(field, start, 4)?,
            _ => return Err(self.err(field, start, ErrorKind::UnexpectedMarker(m))),
        };
        let body = self.pos;
        for _ in 0..len {
            self.text(field)?;
        }
        Ok(StrArray {
            // Each element takes at least one byte, so a length beyond u32 has failed above.
            len: len as u32,
            bytes: &self.buf[body..self.pos],
        })
    }
}

/// A message to encode, as the Python dxlclient would write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing<'a> {
    pub version: u32,
    pub kind: Kind<'a>,
    pub message_id: &'a str,
    pub source_client_id: &'a str,
    pub source_broker_id: &'a str,
    pub broker_ids: &'a [&'a str],
    pub client_ids: &'a [&'a str],
    pub payload: &'a [u8],
    pub other_fields: &'a [(&'a str, &'a str)],
    pub source_tenant_guid: &'a str,
    pub destination_tenant_guids: &'a [&'a str],
    pub source_client_instance_id: &'a str,
}

impl<'a> Outgoing<'a> {
    /// An event as the Python client sends it (version 2, empty source ids).
    pub fn event(message_id: &'a str, payload: &'a [u8]) -> Self {
        Outgoing {
            version: 2,
            kind: Kind::Event,
            message_id,
            source_client_id: "",
            source_broker_id: "",
            broker_ids: &[],
            client_ids: &[],
            payload,
            other_fields: &[],
            source_tenant_guid: "",
            destination_tenant_guids: &[],
            source_client_instance_id: "",
        }
    }

    /// Appends the encoded message to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        write_uint(out, u64::from(self.version));
        write_uint(out, self.kind.message_type() as u64);
        write_raw(out, self.message_id.as_bytes());
        write_raw(out, self.source_client_id.as_bytes());
        write_raw(out, self.source_broker_id.as_bytes());
        write_str_array(out, self.broker_ids.iter().copied());
        write_str_array(out, self.client_ids.iter().copied());
        write_raw(out, self.payload);
        match self.kind {
            Kind::Request {
                reply_to_topic,
                service_id,
            } => {
                match reply_to_topic {
                    Some(t) => write_raw(out, t.as_bytes()),
                    None => out.push(0xc0),
                }
                write_raw(out, service_id.as_bytes());
            }
            Kind::Response {
                request_message_id,
                service_id,
            } => {
                write_raw(out, request_message_id.as_bytes());
                write_raw(out, service_id.as_bytes());
            }
            Kind::Event => {}
            Kind::ErrorResponse {
                request_message_id,
                service_id,
                error_code,
                error_message,
            } => {
                write_raw(out, request_message_id.as_bytes());
                write_raw(out, service_id.as_bytes());
                write_uint(out, u64::from(error_code));
                write_raw(out, error_message.as_bytes());
            }
        }
        if self.version >= 1 {
            write_str_array(out, self.other_fields.iter().flat_map(|&(k, v)| [k, v]));
        }
        if self.version >= 2 {
            write_raw(out, self.source_tenant_guid.as_bytes());
            write_str_array(out, self.destination_tenant_guids.iter().copied());
        }
        if self.version >= 3 {
            write_raw(out, self.source_client_instance_id.as_bytes());
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.payload.len());
        self.encode_into(&mut out);
        out
    }
}

fn write_uint(out: &mut Vec<u8>, v: u64) {
    // What msgpack-python 0.6 writes for a non-negative int.
    if v <= 0x7f {
        out.push(v as u8);
    } else if v <= 0xff {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// fixstr / str16 / str32, never str8 or bin (research §3.2 "Encoder rule").
fn write_raw(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n <= 31 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

fn write_str_array<'s>(out: &mut Vec<u8>, items: impl Iterator<Item = &'s str> + Clone) {
    let n = items.clone().count();
    if n <= 15 {
        out.push(0x90 | n as u8);
    } else if n <= 0xffff {
        out.push(0xdc);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    for s in items {
        write_raw(out, s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| {
                u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex digit")
            })
            .collect()
    }

    const ID1: &str = "{11111111-2222-4333-8444-555555555555}";
    const ID6: &str = "{66666666-7777-4888-9999-000000000000}";
    const ID6B: &str = "{66666666-7777-4888-9999-000000000001}";
    const BROKER: &str = "{3f1c7d0e-1111-4a2b-9c3d-000000000001}";
    const CLIENT_SHA1: &str = "c9e31ed84cd86685c8df4c67ded992337ca33bd1";

    // Reference encodings made by the real dxlclient 5.7.0.1 `_to_bytes()` (research §3.5).
    const REQUEST: &str = "0200da00267b31313131313131312d323232322d343333332d383434342d3535353535353535353535357da0a09090ae7b22686173686573223a205b5d7dda00352f6d63616665652f636c69656e742f7b61616161616161612d626262622d346363632d386464642d6565656565656565656565657da090a090";
    const REQUEST_NIL_REPLY: &str = "0200da00267b31313131313131312d323232322d343333332d383434342d3535353535353535353535357da0a09090a0c0a090a090";
    const RESPONSE: &str = "0201da00267b36363636363636362d373737372d343838382d393939392d3030303030303030303030307da0a091da00267b33663163376430652d313131312d346132622d396333642d3030303030303030303030317d91da002863396533316564383463643836363835633864663463363764656439393233333763613333626431a27b7dda00267b31313131313131312d323232322d343333332d383434342d3535353535353535353535357da090a090";
    const ERROR_RESPONSE: &str = "0203da00267b36363636363636362d373737372d343838382d393939392d3030303030303030303030317da0a091da00267b33663163376430652d313131312d346132622d396333642d3030303030303030303030317d91da002863396533316564383463643836363835633864663463363764656439393233333763613333626431a0da00267b31313131313131312d323232322d343333332d383434342d3535353535353535353535357da0ce80000001da0024756e61626c6520746f206c6f63617465207365727669636520666f72207265717565737490a090";
    const EVENT_OTHER_FIELDS: &str = "0202da00267b31313131313131312d323232322d343333332d383434342d3535353535353535353535357da0a09090a2686992a16ba176a090";

    #[test]
    fn request_matches_python_bytes_both_ways() {
        let bytes = unhex(REQUEST);
        let m = decode(&bytes).expect("decodes");
        assert_eq!(m.version, 2);
        assert_eq!(m.message_id, ID1);
        assert_eq!(m.payload, br#"{"hashes": []}"#);
        assert_eq!(
            m.kind,
            Kind::Request {
                reply_to_topic: Some("/mcafee/client/{aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee}"),
                service_id: ""
            }
        );
        assert_eq!(m.trailing, 0);
        let out = Outgoing {
            kind: m.kind,
            ..Outgoing::event(ID1, br#"{"hashes": []}"#)
        };
        assert_eq!(out.encode(), bytes);
    }

    #[test]
    fn request_with_nil_reply_to() {
        let bytes = unhex(REQUEST_NIL_REPLY);
        let m = decode(&bytes).expect("decodes");
        assert_eq!(
            m.kind,
            Kind::Request {
                reply_to_topic: None,
                service_id: ""
            }
        );
        let out = Outgoing {
            kind: m.kind,
            ..Outgoing::event(ID1, b"")
        };
        assert_eq!(out.encode(), bytes);
    }

    #[test]
    fn response_with_routing_ids() {
        let bytes = unhex(RESPONSE);
        let m = decode(&bytes).expect("decodes");
        assert_eq!(m.kind.message_type(), MessageType::Response);
        assert_eq!(m.broker_ids.iter().collect::<Vec<_>>(), vec![BROKER]);
        assert_eq!(m.client_ids.iter().collect::<Vec<_>>(), vec![CLIENT_SHA1]);
        assert_eq!(m.payload, b"{}");
        let out = Outgoing {
            kind: Kind::Response {
                request_message_id: ID1,
                service_id: "",
            },
            broker_ids: &[BROKER],
            client_ids: &[CLIENT_SHA1],
            ..Outgoing::event(ID6, b"{}")
        };
        assert_eq!(out.encode(), bytes);
    }

    #[test]
    fn error_response_code_from_uint32_and_int32() {
        let bytes = unhex(ERROR_RESPONSE);
        let m = decode(&bytes).expect("decodes");
        let expected = Kind::ErrorResponse {
            request_message_id: ID1,
            service_id: "",
            error_code: 0x8000_0001,
            error_message: "unable to locate service for request",
        };
        assert_eq!(m.kind, expected);
        let out = Outgoing {
            kind: expected,
            broker_ids: &[BROKER],
            client_ids: &[CLIENT_SHA1],
            ..Outgoing::event(ID6B, b"")
        };
        assert_eq!(out.encode(), bytes);
        // The broker writes the same code as int32 (d2 80 00 00 01).
        let hex = ERROR_RESPONSE.replace("ce80000001", "d280000001");
        let broker_form = unhex(&hex);
        assert_eq!(decode(&broker_form).expect("decodes").kind, expected);
    }

    #[test]
    fn event_other_fields() {
        let bytes = unhex(EVENT_OTHER_FIELDS);
        let m = decode(&bytes).expect("decodes");
        assert_eq!(m.kind, Kind::Event);
        assert_eq!(m.payload, b"hi");
        assert_eq!(m.other_fields.field("k"), Some("v"));
        assert_eq!(m.other_fields.field("missing"), None);
        let out = Outgoing {
            other_fields: &[("k", "v")],
            ..Outgoing::event(ID1, b"hi")
        };
        assert_eq!(out.encode(), bytes);
    }

    #[test]
    fn versions_0_to_3_round_trip_and_4_leaves_trailing() {
        for version in 0..=3u32 {
            let out = Outgoing {
                version,
                other_fields: &[("dxl.certs", "a;b")],
                source_tenant_guid: "{t}",
                destination_tenant_guids: &["{d1}", "{d2}"],
                source_client_instance_id: "sha1:uuid",
                ..Outgoing::event(ID1, b"{}")
            };
            let bytes = out.encode();
            let m = decode(&bytes).expect("decodes");
            assert_eq!(m.version, version);
            assert_eq!(m.trailing, 0, "v{version}");
            assert_eq!(m.other_fields.field("dxl.certs").is_some(), version >= 1);
            assert_eq!(
                m.destination_tenant_guids.len(),
                if version >= 2 { 2 } else { 0 }
            );
            assert_eq!(m.source_client_instance_id.is_empty(), version < 3);
        }
        // A later version with one extra field after v3's: decoded as v3, the rest ignored.
        let mut bytes = Outgoing {
            version: 4,
            ..Outgoing::event(ID1, b"{}")
        }
        .encode();
        bytes.extend_from_slice(&[0xa3, b'n', b'e', b'w']);
        let m = decode(&bytes).expect("decodes");
        assert_eq!((m.version, m.trailing, m.payload), (4, 4, &b"{}"[..]));
    }

    #[test]
    fn accepts_str8_bin_and_nil_forms() {
        // str8 message id, bin16 payload, nil source ids.
        let mut b = vec![0x02, 0x02, 0xd9, 3];
        b.extend_from_slice(b"abc");
        b.extend_from_slice(&[0xc0, 0xc0, 0x90, 0x90, 0xc5, 0x00, 0x02]);
        b.extend_from_slice(b"{}");
        b.extend_from_slice(&[0x90, 0xc4, 0x00, 0xdc, 0x00, 0x01, 0xc6, 0, 0, 0, 1, b'x']);
        let m = decode(&b).expect("decodes");
        assert_eq!(m.message_id, "abc");
        assert_eq!(m.source_client_id, "");
        assert_eq!(m.payload, b"{}");
        assert_eq!(m.destination_tenant_guids.iter().collect::<Vec<_>>(), ["x"]);
        // uint8 and int64 encodings of version and type.
        let mut c = vec![0xcc, 0x01, 0xd3, 0, 0, 0, 0, 0, 0, 0, 2];
        c.extend_from_slice(&[0xa0, 0xa0, 0xa0, 0x90, 0x90, 0xa0, 0x90]);
        let m = decode(&c).expect("decodes");
        assert_eq!((m.version, m.kind), (1, Kind::Event));
    }

    #[test]
    fn errors_name_field_and_offset() {
        let e = decode(&[]).expect_err("empty");
        assert_eq!(
            (e.field, e.offset, &e.kind),
            ("version", 0, &ErrorKind::Truncated)
        );
        let e = decode(&[0x02, 0x09]).expect_err("type 9");
        assert_eq!(e.kind, ErrorKind::UnknownMessageType(9));
        assert_eq!(
            e.to_string(),
            "DXL message field message_type at byte 1: unknown message type 9 (expected 0..=3)"
        );
        let e = decode(&[0x02, 0x02, 0x93]).expect_err("array for a string");
        assert_eq!(
            (e.field, e.offset, &e.kind),
            ("message_id", 2, &ErrorKind::UnexpectedMarker(0x93))
        );
        let e = decode(&[0x02, 0x02, 0xa2, 0xff, 0xfe]).expect_err("bad utf8");
        assert_eq!((e.field, e.kind), ("message_id", ErrorKind::InvalidUtf8));
        let e = decode(&[0x02, 0x02, 0xdb, 0xff, 0xff, 0xff, 0xff, b'x']).expect_err("huge length");
        assert_eq!((e.field, e.kind), ("message_id", ErrorKind::Truncated));
        let e = decode(&[0xff, 0x02]).expect_err("negative version");
        assert_eq!((e.field, e.kind), ("version", ErrorKind::IntegerOutOfRange));
        let e = decode(&[0x02, 0x02, 0xa0, 0xa0, 0xa0, 0xdd, 0xff, 0xff, 0xff, 0xff])
            .expect_err("array longer than input");
        assert_eq!((e.field, e.kind), ("broker_ids", ErrorKind::Truncated));
    }
}
