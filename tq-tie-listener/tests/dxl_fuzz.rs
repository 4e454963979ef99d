//! Random-bytes fuzz of the DXL decoder and the payload parser: no input makes them panic.
//! A seeded PRNG keeps failures reproducible; the seed is printed on failure.

use tq_testkit::fuzz::FuzzRng;
use tq_tie_listener::dxl;
use tq_tie_listener::repchange::RepChange;

fn sample() -> Vec<u8> {
    let out = tq_tie_listener::dxl::Outgoing {
        version: 3,
        other_fields: &[("dxl.certs", "aa;bb")],
        source_client_instance_id: "c9e3:5d1e",
        ..dxl::Outgoing::event(
            "{d5f97c25-efef-4988-b896-bcefe8a81477}",
            br#"{"hashes": [{"type": "md5", "value": "RNiGEv6oqPNt6C4SeKuwLw=="}], "newReputations": {"reputations": [{"attributes": {"2101652": "11", "2102165": "1451504331"}, "createDate": 1, "providerId": 3, "trustLevel": 1}]}, "updateTime": 1}"#,
        )
    };
    out.encode()
}

/// Interesting msgpack markers, so random input reaches deeper fields more often.
const MARKERS: [u8; 20] = [
    0x00, 0x02, 0x03, 0x7f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc4, 0xc5, 0xc6, 0xcc, 0xcf, 0xd3, 0xd9,
    0xda, 0xdb, 0xdc, 0xdd,
];

#[derive(Clone, Copy)]
enum Slot {
    Int,
    Str,
    Arr,
}

/// Appends a random value for a slot: usually one of the encodings the decoder accepts for
/// it (with random content), one time in twelve a random marker or random bytes instead.
fn field(rng: &mut FuzzRng, slot: Slot, out: &mut Vec<u8>) {
    if rng.below(12) == 0 {
        out.push(rng.pick(&MARKERS));
        let n = rng.below(4);
        out.extend(rng.bytes(n));
        return;
    }
    match slot {
        Slot::Int => match rng.below(3) {
            0 => out.push(rng.below(5) as u8),
            1 => out.extend_from_slice(&[0xcc, rng.below(5) as u8]),
            _ => out.extend_from_slice(&[0xd2, 0x80, 0, 0, 1]),
        },
        Slot::Str => {
            let n = rng.below(40);
            match rng.below(5) {
                0 => out.push(0xc0),
                1 => out.extend_from_slice(&[0xd9, n as u8]),
                2 => out.extend_from_slice(&[0xda, 0, n as u8]),
                3 => out.extend_from_slice(&[0xc6, 0, 0, 0, n as u8]),
                _ => out.push(0xa0 | (n as u8 & 0x1f)),
            }
            if out.last() != Some(&0xc0) {
                let n = if out.last().is_some_and(|&m| m & 0xe0 == 0xa0) {
                    n & 0x1f
                } else {
                    n
                };
                // Mostly text, sometimes any byte (invalid UTF-8).
                let any = rng.below(8) == 0;
                out.extend((0..n).map(|_| {
                    if any {
                        rng.byte()
                    } else {
                        b'a' + rng.below(26) as u8
                    }
                }));
            }
        }
        Slot::Arr => {
            let n = rng.below(4);
            if rng.below(2) == 0 {
                out.push(0x90 | n as u8);
            } else {
                out.extend_from_slice(&[0xdc, 0, n as u8]);
            }
            for _ in 0..n {
                field(rng, Slot::Str, out);
            }
        }
    }
}

/// A random message laid out like a DXL message of a random version and type.
fn structured(rng: &mut FuzzRng) -> Vec<u8> {
    use Slot::*;
    let version = rng.below(6);
    let mtype = rng.below(5);
    let mut b = vec![version as u8, mtype as u8];
    let mut slots = vec![Str, Str, Str, Arr, Arr, Str];
    match mtype {
        0 | 1 => slots.extend([Str, Str]),
        3 => slots.extend([Str, Str, Int, Str]),
        _ => {}
    }
    if version >= 1 {
        slots.push(Arr);
    }
    if version >= 2 {
        slots.extend([Str, Arr]);
    }
    if version >= 3 {
        slots.push(Str);
    }
    for s in slots {
        field(rng, s, &mut b);
    }
    if rng.below(4) == 0 {
        b.truncate(rng.below(b.len() + 1));
    }
    b
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = FuzzRng::with_seed(0x5eed_0001);
    let seed = rng.seed();
    let mut ok = 0usize;
    // Uniform random bytes, and messages laid out like DXL's.
    for b in rng.half_random(100_000, 128, &[], structured) {
        if let Ok(m) = dxl::decode(&b) {
            ok += 1;
            assert!(m.trailing <= b.len());
            let _ = m.other_fields.iter().count();
            let _ = m.broker_ids.iter().count();
            let _ = RepChange::parse(m.payload);
        }
    }
    // The structured half must reach successful decodes, or this fuzz tests only the first bytes.
    assert!(ok > 1_000, "seed {seed:#x}: only {ok} inputs decoded");
}

#[test]
fn mutated_messages_never_panic() {
    let seed = 0x5eed_0002;
    let mut rng = FuzzRng::with_seed(seed);
    let base = sample();
    assert!(dxl::decode(&base).is_ok());
    let mut decoded = 0usize;
    let mut parsed = 0usize;
    for _ in 0..100_000 {
        let b = rng.mutate(&base, &MARKERS);
        if let Ok(m) = dxl::decode(&b) {
            decoded += 1;
            assert!(m.trailing <= b.len());
            if let Ok(rc) = RepChange::parse(m.payload) {
                parsed += 1;
                let _ = rc.digests();
            }
        }
    }
    assert!(
        decoded > 1_000 && parsed > 1_000,
        "seed {seed:#x}: {decoded} decoded, {parsed} parsed"
    );
}
