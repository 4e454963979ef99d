//! MQTT 3.1.1 packets as pure functions over bytes: what the client sends (CONNECT,
//! SUBSCRIBE, PUBLISH, PUBACK, PINGREQ, DISCONNECT) and what it receives (CONNACK, SUBACK,
//! PUBLISH, PUBACK, PINGRESP). No I/O, no allocation on the receive side: a decoded PUBLISH
//! is ranges into the bytes it came in. Section numbers are those of the OASIS MQTT 3.1.1
//! standard.

use std::fmt;
use std::ops::Range;

/// Packet types (§2.2.1).
pub const CONNECT: u8 = 1;
pub const CONNACK: u8 = 2;
pub const PUBLISH: u8 = 3;
pub const PUBACK: u8 = 4;
pub const SUBSCRIBE: u8 = 8;
pub const SUBACK: u8 = 9;
pub const PINGREQ: u8 = 12;
pub const PINGRESP: u8 = 13;
pub const DISCONNECT: u8 = 14;

/// PINGREQ, a whole packet (§3.12).
pub const PINGREQ_PACKET: [u8; 2] = [PINGREQ << 4, 0];
/// DISCONNECT, a whole packet (§3.14).
pub const DISCONNECT_PACKET: [u8; 2] = [DISCONNECT << 4, 0];

/// Quality of service of a subscription or a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum QoS {
    AtMostOnce = 0,
    AtLeastOnce = 1,
}

/// Bytes that are not MQTT 3.1.1 as this client expects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

fn err<T>(msg: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError(msg.into()))
}

/// Parses a fixed header (§2.2): (first byte, header length, remaining length), or `None`
/// if more bytes are needed.
pub fn parse_header(b: &[u8]) -> Result<Option<(u8, usize, usize)>, CodecError> {
    let Some(&first) = b.first() else {
        return Ok(None);
    };
    let mut value = 0usize;
    for i in 0..4 {
        let Some(&byte) = b.get(1 + i) else {
            return Ok(None);
        };
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((first, 2 + i, value)));
        }
    }
    err("remaining length longer than 4 bytes")
}

/// One complete packet at the front of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPacket {
    /// The packet type (high nibble of the first byte).
    pub kind: u8,
    /// The flags (low nibble).
    pub flags: u8,
    /// Where the variable header and payload are in the buffer.
    pub body: Range<usize>,
}

/// What [`split`] found at the front of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// A whole packet; it ends at `body.end`.
    Packet(RawPacket),
    /// More bytes are needed: at least `total` in all (0 when the header is incomplete).
    Need { total: usize },
}

/// Splits the first packet off `buf`. A packet whose remaining length exceeds `max_packet`
/// is an error (the connection is given up rather than the buffer grown without bound).
pub fn split(buf: &[u8], max_packet: usize) -> Result<Split, CodecError> {
    let Some((first, hlen, rlen)) = parse_header(buf)? else {
        return Ok(Split::Need { total: 0 });
    };
    if rlen > max_packet {
        return err(format!(
            "packet of {rlen} bytes exceeds the limit of {max_packet}"
        ));
    }
    let total = hlen + rlen;
    if buf.len() < total {
        return Ok(Split::Need { total });
    }
    Ok(Split::Packet(RawPacket {
        kind: first >> 4,
        flags: first & 0x0f,
        body: hlen..total,
    }))
}

/// Appends the variable-length encoding of `n` (§2.2.3; n < 268,435,456).
pub fn encode_remaining_length(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            break;
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

/// CONNECT (§3.1): protocol level 4 (3.1.1), clean session, no will, no user name or
/// password.
pub fn encode_connect(client_id: &str, keep_alive_secs: u16) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 + client_id.len());
    put_str(&mut body, b"MQTT");
    body.push(4);
    body.push(0x02);
    body.extend_from_slice(&keep_alive_secs.to_be_bytes());
    put_str(&mut body, client_id.as_bytes());
    let mut out = vec![CONNECT << 4];
    encode_remaining_length(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

/// SUBSCRIBE (§3.8) of `topics` with packet id `pid`.
pub fn encode_subscribe(pid: u16, topics: &[(&str, QoS)]) -> Vec<u8> {
    let mut body = pid.to_be_bytes().to_vec();
    for (t, q) in topics {
        put_str(&mut body, t.as_bytes());
        body.push(*q as u8);
    }
    let mut out = vec![(SUBSCRIBE << 4) | 0x02];
    encode_remaining_length(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

/// Appends a PUBLISH (§3.3; retain 0, dup 0); `pid` is used only for QoS 1.
pub fn encode_publish(out: &mut Vec<u8>, topic: &str, payload: &[u8], qos: QoS, pid: u16) {
    out.push((PUBLISH << 4) | ((qos as u8) << 1));
    let id_len = if qos == QoS::AtMostOnce { 0 } else { 2 };
    encode_remaining_length(out, 2 + topic.len() + id_len + payload.len());
    put_str(out, topic.as_bytes());
    if qos != QoS::AtMostOnce {
        out.extend_from_slice(&pid.to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// PUBACK (§3.4) of packet id `pid`.
pub fn encode_puback(pid: u16) -> [u8; 4] {
    let [hi, lo] = pid.to_be_bytes();
    [PUBACK << 4, 2, hi, lo]
}

/// A received PUBLISH (§3.3), as ranges into the packet body it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// The topic (checked to be UTF-8).
    pub topic: Range<usize>,
    /// The application message.
    pub payload: Range<usize>,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    /// The packet id (QoS 1 only): acknowledge it with [`encode_puback`].
    pub packet_id: Option<u16>,
}

/// Decodes a PUBLISH body with the fixed header's `flags`. QoS 2 is refused (this client
/// never subscribes so).
pub fn decode_publish(flags: u8, body: &[u8]) -> Result<Publish, CodecError> {
    let qos = match (flags >> 1) & 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        2 => return err("PUBLISH with QoS 2 (not subscribed so)"),
        _ => return err("PUBLISH with QoS 3 (malformed)"),
    };
    if body.len() < 2 {
        return err("PUBLISH shorter than its topic length");
    }
    let tlen = usize::from(u16::from_be_bytes([body[0], body[1]]));
    let mut at = 2 + tlen;
    if body.len() < at {
        return err("PUBLISH topic runs past the packet");
    }
    if std::str::from_utf8(&body[2..at]).is_err() {
        return err("PUBLISH topic is not UTF-8");
    }
    let topic = 2..at;
    let packet_id = if qos == QoS::AtLeastOnce {
        if body.len() < at + 2 {
            return err("PUBLISH QoS 1 without packet id");
        }
        let pid = u16::from_be_bytes([body[at], body[at + 1]]);
        at += 2;
        Some(pid)
    } else {
        None
    };
    Ok(Publish {
        topic,
        payload: at..body.len(),
        qos,
        retain: flags & 1 != 0,
        dup: flags & 8 != 0,
        packet_id,
    })
}

/// Decodes a CONNACK body (§3.2): the return code (0 = accepted).
pub fn decode_connack(body: &[u8]) -> Result<u8, CodecError> {
    match body {
        [_, code] => Ok(*code),
        _ => err(format!("CONNACK of {} bytes, not 2", body.len())),
    }
}

/// The reason of a CONNACK return code (§3.2.2.3).
pub fn connack_reason(code: u8) -> &'static str {
    match code {
        0 => "accepted",
        1 => "unacceptable protocol version",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "unknown",
    }
}

/// Decodes a SUBACK body (§3.9): (packet id, one return code per topic; 0x80 = refused).
pub fn decode_suback(body: &[u8]) -> Result<(u16, &[u8]), CodecError> {
    if body.len() < 3 {
        return err(format!(
            "SUBACK of {} bytes, shorter than a packet id and a return code",
            body.len()
        ));
    }
    Ok((u16::from_be_bytes([body[0], body[1]]), &body[2..]))
}

/// Decodes a PUBACK body (§3.4): the packet id.
pub fn decode_puback(body: &[u8]) -> Result<u16, CodecError> {
    match body {
        [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
        _ => err(format!("PUBACK of {} bytes, not 2", body.len())),
    }
}

/// Decodes a PINGRESP body (§3.13): empty.
pub fn decode_pingresp(body: &[u8]) -> Result<(), CodecError> {
    if body.is_empty() {
        Ok(())
    } else {
        err(format!("PINGRESP of {} bytes, not 0", body.len()))
    }
}

/// A packet a client receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound<'a> {
    ConnAck { code: u8 },
    SubAck { packet_id: u16, codes: &'a [u8] },
    Publish(Publish),
    PubAck { packet_id: u16 },
    PingResp,
}

/// Decodes a packet a client receives, from its type, flags and body; any other packet type
/// is an error (a server must not send it to a client).
pub fn decode_inbound(kind: u8, flags: u8, body: &[u8]) -> Result<Inbound<'_>, CodecError> {
    Ok(match kind {
        CONNACK => Inbound::ConnAck {
            code: decode_connack(body)?,
        },
        SUBACK => {
            let (packet_id, codes) = decode_suback(body)?;
            Inbound::SubAck { packet_id, codes }
        }
        PUBLISH => Inbound::Publish(decode_publish(flags, body)?),
        PUBACK => Inbound::PubAck {
            packet_id: decode_puback(body)?,
        },
        PINGRESP => {
            decode_pingresp(body)?;
            Inbound::PingResp
        }
        _ => return err(format!("unexpected packet type {kind}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_length_vectors() {
        // §2.2.3 table boundaries.
        for (n, bytes) in [
            (0usize, vec![0x00]),
            (127, vec![0x7f]),
            (128, vec![0x80, 0x01]),
            (16_383, vec![0xff, 0x7f]),
            (16_384, vec![0x80, 0x80, 0x01]),
            (2_097_151, vec![0xff, 0xff, 0x7f]),
            (2_097_152, vec![0x80, 0x80, 0x80, 0x01]),
            (268_435_455, vec![0xff, 0xff, 0xff, 0x7f]),
        ] {
            let mut out = vec![0x30];
            encode_remaining_length(&mut out, n);
            assert_eq!(&out[1..], &bytes[..], "{n}");
            assert_eq!(parse_header(&out), Ok(Some((0x30, 1 + bytes.len(), n))));
            assert_eq!(parse_header(&out[..out.len() - 1]), Ok(None));
        }
        assert!(parse_header(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]).is_err());
        assert_eq!(parse_header(&[]), Ok(None));
    }

    #[test]
    fn outbound_bytes() {
        assert_eq!(
            encode_connect("{a}", 1800),
            [0x10, 15, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0x07, 0x08, 0, 3, b'{', b'a', b'}']
        );
        assert_eq!(
            encode_subscribe(7, &[("/a", QoS::AtMostOnce), ("/b", QoS::AtLeastOnce)]),
            [0x82, 12, 0, 7, 0, 2, b'/', b'a', 0, 0, 2, b'/', b'b', 1]
        );
        let mut p = Vec::new();
        encode_publish(&mut p, "/t", b"xy", QoS::AtMostOnce, 0);
        assert_eq!(p, [0x30, 6, 0, 2, b'/', b't', b'x', b'y']);
        p.clear();
        encode_publish(&mut p, "/t", b"xy", QoS::AtLeastOnce, 0x0102);
        assert_eq!(p, [0x32, 8, 0, 2, b'/', b't', 1, 2, b'x', b'y']);
        assert_eq!(encode_puback(0x0a0b), [0x40, 2, 0x0a, 0x0b]);
        assert_eq!(PINGREQ_PACKET, [0xc0, 0]);
        assert_eq!(DISCONNECT_PACKET, [0xe0, 0]);
    }

    /// Splits and decodes one whole inbound packet written out by hand.
    fn inbound(bytes: &[u8]) -> Result<Inbound<'_>, CodecError> {
        match split(bytes, 1 << 20)? {
            Split::Packet(p) => {
                assert_eq!(p.body.end, bytes.len(), "one packet");
                decode_inbound(p.kind, p.flags, &bytes[p.body])
            }
            Split::Need { total } => panic!("incomplete, needs {total}"),
        }
    }

    #[test]
    fn inbound_vectors() {
        // CONNACK accepted; refused "not authorized"; session-present flag ignored.
        assert_eq!(inbound(&[0x20, 2, 0, 0]), Ok(Inbound::ConnAck { code: 0 }));
        assert_eq!(inbound(&[0x20, 2, 1, 5]), Ok(Inbound::ConnAck { code: 5 }));
        assert_eq!(connack_reason(5), "not authorized");
        assert!(inbound(&[0x20, 3, 0, 0, 0]).is_err());
        // SUBACK for packet 7: QoS 0 granted, then refused.
        assert_eq!(
            inbound(&[0x90, 4, 0, 7, 0x00, 0x80]),
            Ok(Inbound::SubAck {
                packet_id: 7,
                codes: &[0x00, 0x80]
            })
        );
        assert!(inbound(&[0x90, 2, 0, 7]).is_err(), "no return code");
        // PUBACK, PINGRESP.
        assert_eq!(
            inbound(&[0x40, 2, 0x12, 0x34]),
            Ok(Inbound::PubAck { packet_id: 0x1234 })
        );
        assert_eq!(inbound(&[0xd0, 0]), Ok(Inbound::PingResp));
        assert!(inbound(&[0xd0, 1, 0]).is_err());
        // PUBLISH QoS 0, retained: topic "/t", payload "xy".
        let b = [0x31, 6, 0, 2, b'/', b't', b'x', b'y'];
        let Ok(Inbound::Publish(p)) = inbound(&b) else {
            panic!("publish")
        };
        assert_eq!(
            (p.qos, p.retain, p.dup, p.packet_id),
            (QoS::AtMostOnce, true, false, None)
        );
        assert_eq!(
            (&b[2..][p.topic], &b[2..][p.payload]),
            (&b"/t"[..], &b"xy"[..])
        );
        // PUBLISH QoS 1, dup, packet id 0x0102, empty payload.
        let b = [0x3a, 6, 0, 2, b'/', b'q', 1, 2];
        let Ok(Inbound::Publish(p)) = inbound(&b) else {
            panic!("publish")
        };
        assert_eq!(
            (p.qos, p.dup, p.packet_id),
            (QoS::AtLeastOnce, true, Some(0x0102))
        );
        assert!(p.payload.is_empty());
        // Malformed PUBLISH: QoS 2, topic past the end, no packet id, topic not UTF-8.
        assert!(inbound(&[0x34, 5, 0, 1, b'a', 0, 1]).is_err());
        assert!(inbound(&[0x30, 3, 0, 9, b'a']).is_err());
        assert!(inbound(&[0x32, 3, 0, 1, b'a']).is_err());
        assert!(inbound(&[0x30, 3, 0, 1, 0xff]).is_err());
        // A server never sends CONNECT or SUBSCRIBE.
        assert!(inbound(&[0x10, 0]).is_err());
        assert!(inbound(&[0x82, 0]).is_err());
    }

    #[test]
    fn split_waits_for_whole_packets_and_enforces_the_limit() {
        let mut two = vec![0x30, 3, 0, 1, b'a', 0xd0, 0];
        assert_eq!(split(&two[..1], 100), Ok(Split::Need { total: 0 }));
        assert_eq!(split(&two[..3], 100), Ok(Split::Need { total: 5 }));
        let Ok(Split::Packet(p)) = split(&two, 100) else {
            panic!("packet")
        };
        assert_eq!((p.kind, p.flags, p.body.clone()), (PUBLISH, 0, 2..5));
        two.drain(..p.body.end);
        assert_eq!(
            split(&two, 100),
            Ok(Split::Packet(RawPacket {
                kind: PINGRESP,
                flags: 0,
                body: 2..2
            }))
        );
        let mut big = vec![0x30];
        encode_remaining_length(&mut big, 101);
        assert!(split(&big, 100)
            .unwrap_err()
            .0
            .contains("exceeds the limit of 100"));
    }
}
