//! Random-bytes fuzz of the STOMP codec: no input makes the decoder panic, whatever it decodes
//! re-encodes to something that decodes the same, and a stream cut at random points decodes to
//! the same frames as in one piece. A seeded PRNG keeps failures reproducible; the seed is
//! printed on failure.

use tq_resilient_fn::stomp::codec::{decode, Command, Decoded, Frame};
use tq_testkit::fuzz::FuzzRng;

const MAX: usize = 64 * 1024;

/// Bytes that matter to the grammar, so random input reaches deeper states more often.
const SPECIAL: [u8; 8] = [b'\n', b'\r', b':', b'\\', 0, b'c', b'n', b'r'];

fn random_text(rng: &mut FuzzRng, max: usize) -> String {
    let n = rng.below(max + 1);
    (0..n)
        .map(|_| match rng.below(10) {
            0 => ':',
            1 => '\\',
            2 => '\n',
            3 => '\r',
            4 => 'é',
            _ => (b'a' + rng.below(26) as u8) as char,
        })
        .collect()
}

/// A random frame that can be encoded: CONNECT-like commands get no line breaks or colons in
/// names.
fn random_frame(rng: &mut FuzzRng) -> Frame {
    let command = rng.pick(&Command::ALL);
    let mut f = Frame::new(command);
    for _ in 0..rng.below(6) {
        let (mut k, mut v) = (random_text(rng, 12), random_text(rng, 30));
        if !command.escapes_headers() {
            k.retain(|c| !matches!(c, '\n' | '\r' | ':'));
            v.retain(|c| !matches!(c, '\n' | '\r'));
        }
        if k == "content-length" {
            k.push('x');
        }
        f = f.with(&k, &v);
    }
    if matches!(command, Command::Send | Command::Message | Command::Error) {
        let n = rng.below(64);
        f = f.with_body(rng.bytes(n));
    }
    f
}

/// Decodes everything in `bytes`; stops at the first error or incomplete tail.
fn decode_all(bytes: &[u8]) -> (Vec<Decoded>, usize, bool) {
    let mut at = 0;
    let mut out = Vec::new();
    loop {
        match decode(&bytes[at..], MAX) {
            Ok(Some((d, n))) => {
                assert!(n > 0 && at + n <= bytes.len(), "consumed {n} at {at}");
                out.push(d);
                at += n;
            }
            Ok(None) => return (out, at, false),
            Err(_) => return (out, at, true),
        }
    }
}

/// A command line, then random header-ish bytes.
fn command_and_header_bytes(rng: &mut FuzzRng) -> Vec<u8> {
    let mut b = rng.pick(&Command::ALL).as_str().as_bytes().to_vec();
    b.push(b'\n');
    for _ in 0..rng.below(40) {
        b.push(if rng.below(2) == 0 {
            rng.pick(&SPECIAL)
        } else {
            b'a' + rng.below(26) as u8
        });
    }
    b
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = FuzzRng::with_seed(0x5709_0001);
    let seed = rng.seed();
    let mut frames = 0usize;
    for b in rng.half_random(100_000, 96, &SPECIAL, command_and_header_bytes) {
        let (decoded, _, _) = decode_all(&b);
        for d in decoded {
            if let Decoded::Frame(f) = d {
                frames += 1;
                // Whatever decodes must encode (escaping commands) and decode back equal.
                if f.command.escapes_headers()
                    && !f.headers.iter().any(|(k, _)| k == "content-length")
                {
                    if let Ok(bytes) = f.to_bytes() {
                        let (again, n, err) = decode_all(&bytes);
                        assert!(!err && n == bytes.len(), "seed {seed:#x}: {f:?}");
                        let Some(Decoded::Frame(g)) = again.into_iter().next() else {
                            panic!("seed {seed:#x}: {f:?} did not decode back");
                        };
                        let mut g = g;
                        g.headers.retain(|(k, _)| k != "content-length");
                        assert_eq!(g, f, "seed {seed:#x}");
                    }
                }
            }
        }
    }
    assert!(
        frames > 1_000,
        "seed {seed:#x}: only {frames} frames decoded"
    );
}

#[test]
fn mutated_frames_never_panic() {
    let seed = 0x5709_0002;
    let mut rng = FuzzRng::with_seed(seed);
    let base = Frame::new(Command::Message)
        .with("destination", "/queue/actions.201.fn_threatq")
        .with("message-id", "ID:vm-1-3:5:-1:1:1")
        .with("ack", "ID:vm-1-4:1")
        .with("correlation-id", "invid:390")
        .with_body(&br#"{"action_id": 22, "object_type": 4}"#[..])
        .to_bytes()
        .unwrap();
    let mut decoded = 0usize;
    for _ in 0..100_000 {
        let b = rng.mutate(&base, &SPECIAL);
        let (d, _, _) = decode_all(&b);
        decoded += d.iter().filter(|x| matches!(x, Decoded::Frame(_))).count();
    }
    assert!(decoded > 10_000, "seed {seed:#x}: {decoded} decoded");
}

#[test]
fn a_stream_cut_anywhere_decodes_to_the_same_frames() {
    let seed = 0x5709_0003;
    let mut rng = FuzzRng::with_seed(seed);
    for round in 0..300 {
        let frames: Vec<Frame> = (0..1 + rng.below(8))
            .map(|_| random_frame(&mut rng))
            .collect();
        let mut stream = Vec::new();
        for f in &frames {
            f.encode(&mut stream).unwrap();
            for _ in 0..rng.below(3) {
                stream.extend_from_slice(if rng.below(2) == 0 { b"\n" } else { b"\r\n" });
            }
        }
        // Feed in random chunks, decoding as a connection would.
        let mut buf = Vec::new();
        let mut got = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let n = 1 + rng.below(40);
            buf.extend_from_slice(&stream[at..(at + n).min(stream.len())]);
            at += n;
            loop {
                match decode(&buf, MAX) {
                    Ok(Some((Decoded::Frame(f), used))) => {
                        got.push(f);
                        buf.drain(..used);
                    }
                    Ok(Some((Decoded::HeartBeat, used))) => {
                        buf.drain(..used);
                    }
                    Ok(None) => break,
                    Err(e) => panic!("seed {seed:#x} round {round}: {e}"),
                }
            }
        }
        assert!(buf.is_empty(), "seed {seed:#x} round {round}: left {buf:?}");
        let strip = |f: &Frame| {
            let mut f = f.clone();
            f.headers.retain(|(k, _)| k != "content-length");
            f
        };
        let want: Vec<Frame> = frames.iter().map(strip).collect();
        let got: Vec<Frame> = got.iter().map(strip).collect();
        assert_eq!(got, want, "seed {seed:#x} round {round}");
    }
}
