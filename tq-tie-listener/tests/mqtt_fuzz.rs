//! Random-bytes fuzz of the MQTT codec: no input makes the splitter or the inbound decoders
//! panic or hand out ranges outside the packet, every PUBLISH the encoder writes decodes to
//! what was encoded, and a stream of packets cut into random pieces splits into the same
//! packets. A seeded generator keeps failures reproducible; the seed is in the messages.

use tq_testkit::fuzz::FuzzRng;
use tq_tie_listener::mqtt::codec::{self, Inbound, QoS, Split};

/// The bytes a mutation puts in: smallest, largest and the sign-bit edges.
const EDGES: [u8; 4] = [0x00, 0x7f, 0x80, 0xff];

/// A valid inbound packet of a random kind with random content.
fn valid_packet(rng: &mut FuzzRng) -> Vec<u8> {
    match rng.below(5) {
        0 => vec![0x20, 2, rng.below(2) as u8, rng.below(6) as u8],
        1 => {
            let n = 1 + rng.below(4);
            let mut p = vec![0x90, (2 + n) as u8, rng.byte(), rng.byte()];
            p.extend((0..n).map(|_| rng.pick(&[0, 1, 2, 0x80])));
            p
        }
        2 => vec![0x40, 2, rng.byte(), rng.byte()],
        3 => vec![0xd0, 0],
        _ => {
            let topic: String = (0..rng.below(60))
                .map(|_| char::from(b'a' + rng.below(26) as u8))
                .collect();
            let n = rng.below(300);
            let payload = rng.bytes(n);
            let qos = if rng.below(2) == 0 {
                QoS::AtMostOnce
            } else {
                QoS::AtLeastOnce
            };
            let mut p = Vec::new();
            codec::encode_publish(&mut p, &topic, &payload, qos, rng.next_u64() as u16);
            if rng.below(4) == 0 {
                p[0] |= 0x09; // dup and retain
            }
            p
        }
    }
}

/// Splits and decodes; checks the ranges of a PUBLISH. Returns whether it decoded.
fn check(b: &[u8]) -> bool {
    let Ok(Split::Packet(p)) = codec::split(b, 1 << 20) else {
        return false;
    };
    assert!(p.body.start <= p.body.end && p.body.end <= b.len());
    let body = &b[p.body.clone()];
    match codec::decode_inbound(p.kind, p.flags, body) {
        Ok(Inbound::Publish(m)) => {
            assert!(m.topic.end <= m.payload.start && m.payload.end == body.len());
            assert!(std::str::from_utf8(&body[m.topic]).is_ok());
            true
        }
        Ok(_) => true,
        Err(_) => false,
    }
}

/// A plausible first byte (a packet type a server sends), a short length and random bytes.
fn server_packet_head(rng: &mut FuzzRng) -> Vec<u8> {
    let mut b = vec![rng.pick(&[0x20, 0x30, 0x32, 0x3b, 0x40, 0x90, 0xd0])];
    let n = rng.below(40);
    b.push(n as u8);
    b.extend(rng.bytes(n));
    b
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = FuzzRng::with_seed(0x6d71_7474_0001);
    let seed = rng.seed();
    let mut ok = 0usize;
    for b in rng.half_random(200_000, 64, &[], server_packet_head) {
        if check(&b) {
            ok += 1;
        }
    }
    assert!(ok > 5_000, "seed {seed:#x}: only {ok} inputs decoded");
}

#[test]
fn mutated_packets_never_panic() {
    let seed = 0x6d71_7474_0002;
    let mut rng = FuzzRng::with_seed(seed);
    let (mut decoded, mut refused) = (0usize, 0usize);
    for _ in 0..100_000 {
        let b = valid_packet(&mut rng);
        assert!(
            check(&b),
            "seed {seed:#x}: a valid packet was refused: {b:02x?}"
        );
        let b = rng.mutate(&b, &EDGES);
        if check(&b) {
            decoded += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        decoded > 10_000 && refused > 10_000,
        "seed {seed:#x}: {decoded} decoded, {refused} refused"
    );
}

#[test]
fn publish_round_trips() {
    let seed = 0x6d71_7474_0003;
    let mut rng = FuzzRng::with_seed(seed);
    for _ in 0..3_000 {
        let topic: String = (0..rng.below(200))
            .map(|_| char::from_u32(0x20 + rng.below(0x2000) as u32).unwrap_or('x'))
            .collect();
        // Mostly short, sometimes past the one- and two-byte remaining lengths.
        let n = rng.below(70_000).min(rng.below(70_000));
        let payload = rng.bytes(n);
        let (qos, pid) = if rng.below(2) == 0 {
            (QoS::AtMostOnce, 0)
        } else {
            (QoS::AtLeastOnce, rng.next_u64() as u16)
        };
        let mut b = Vec::new();
        codec::encode_publish(&mut b, &topic, &payload, qos, pid);
        let Ok(Split::Packet(p)) = codec::split(&b, 1 << 20) else {
            panic!("seed {seed:#x}: not one packet")
        };
        assert_eq!(p.body.end, b.len());
        let body = &b[p.body];
        let m = codec::decode_publish(p.flags, body).expect("decodes");
        assert_eq!(&body[m.topic], topic.as_bytes(), "seed {seed:#x}");
        assert_eq!(&body[m.payload], &payload[..], "seed {seed:#x}");
        assert_eq!(m.qos, qos);
        assert_eq!(m.packet_id, (qos == QoS::AtLeastOnce).then_some(pid));
    }
}

#[test]
fn a_stream_cut_anywhere_splits_into_the_same_packets() {
    let seed = 0x6d71_7474_0004;
    let mut rng = FuzzRng::with_seed(seed);
    for _ in 0..300 {
        let packets: Vec<Vec<u8>> = (0..1 + rng.below(40))
            .map(|_| valid_packet(&mut rng))
            .collect();
        let stream: Vec<u8> = packets.concat();
        // Feed the stream in random pieces, as reads deliver it.
        let mut buf: Vec<u8> = Vec::new();
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let n = 1 + rng.below(50);
            let end = (at + n).min(stream.len());
            buf.extend_from_slice(&stream[at..end]);
            at = end;
            loop {
                match codec::split(&buf, 1 << 20).expect("valid stream") {
                    Split::Packet(p) => {
                        got.push(buf[..p.body.end].to_vec());
                        buf.drain(..p.body.end);
                    }
                    Split::Need { total } => {
                        assert!(total == 0 || total > buf.len(), "seed {seed:#x}");
                        break;
                    }
                }
            }
        }
        assert!(buf.is_empty(), "seed {seed:#x}: bytes left over");
        assert_eq!(got, packets, "seed {seed:#x}");
    }
}
