//! How release d0a9227 and earlier hashed the written index (`<instance>.written`, format 0):
//! `std::collections::hash_map::DefaultHasher` — SipHash-1-3 with zero keys — over Rust's
//! `Hash` encoding (a `str` is its bytes and 0xff; a `Vec` its length as a 64-bit
//! little-endian word, then its elements). Written out here so those files keep their
//! meaning whatever later Rust releases do to `DefaultHasher`; [`crate::written`] looks the
//! migrated records up with it (tq_common::dedup keeps them as its legacy generation).

use crate::change::{Change, Names};

/// SipHash-1-3 with keys (0, 0), fed as a byte stream.
struct Sip13 {
    v: [u64; 4],
    tail: u64,
    ntail: usize,
    length: usize,
}

impl Sip13 {
    fn new() -> Sip13 {
        Sip13 {
            v: [
                0x736f_6d65_7073_6575,
                0x646f_7261_6e64_6f6d,
                0x6c79_6765_6e65_7261,
                0x7465_6462_7974_6573,
            ],
            tail: 0,
            ntail: 0,
            length: 0,
        }
    }

    fn round(&mut self) {
        let [v0, v1, v2, v3] = &mut self.v;
        *v0 = v0.wrapping_add(*v1);
        *v1 = v1.rotate_left(13) ^ *v0;
        *v0 = v0.rotate_left(32);
        *v2 = v2.wrapping_add(*v3);
        *v3 = v3.rotate_left(16) ^ *v2;
        *v0 = v0.wrapping_add(*v3);
        *v3 = v3.rotate_left(21) ^ *v0;
        *v2 = v2.wrapping_add(*v1);
        *v1 = v1.rotate_left(17) ^ *v2;
        *v2 = v2.rotate_left(32);
    }

    fn word(&mut self, m: u64) {
        self.v[3] ^= m;
        self.round();
        self.v[0] ^= m;
    }

    fn write(&mut self, bytes: &[u8]) {
        self.length += bytes.len();
        for &b in bytes {
            self.tail |= u64::from(b) << (8 * self.ntail);
            self.ntail += 1;
            if self.ntail == 8 {
                let m = std::mem::take(&mut self.tail);
                self.ntail = 0;
                self.word(m);
            }
        }
    }

    fn str(&mut self, s: &str) {
        self.write(s.as_bytes());
        self.write(&[0xff]);
    }

    fn len_prefix(&mut self, n: usize) {
        self.write(&(n as u64).to_le_bytes());
    }

    fn finish(mut self) -> u64 {
        let b = ((self.length as u64 & 0xff) << 56) | self.tail;
        self.word(b);
        self.v[2] ^= 0xff;
        for _ in 0..3 {
            self.round();
        }
        self.v[0] ^ self.v[1] ^ self.v[2] ^ self.v[3]
    }
}

/// The format-0 key of a file (`DefaultHasher` of its file key).
pub fn key(file_key: &str) -> u64 {
    let mut h = Sip13::new();
    h.str(file_key);
    h.finish()
}

/// The format-0 fingerprint of the values a change writes: the hash of
/// `(&source, &status, attributes, indicators)` as the earlier writer computed it.
pub fn values(names: &Names, status: &str, c: &Change) -> u64 {
    let attrs: Vec<(&str, &str)> = c.attributes(names).collect();
    let inds: Vec<(&str, &str)> = c.indicators().collect();
    let mut h = Sip13::new();
    h.str(&names.source);
    h.str(status);
    for list in [&attrs, &inds] {
        h.len_prefix(list.len());
        for (a, b) in list.iter() {
            h.str(a);
            h.str(b);
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_of_the_rust_default_hasher_release_d0a9227_used() {
        // Taken from std's DefaultHasher (rustc 1.95.0) over the same inputs; tests/migration.rs
        // checks them against the file release d0a9227 wrote.
        assert_eq!(key(""), 0x3040_6ea5_23c5_3def);
        assert_eq!(
            key("44d88612fea8a8f36de82e1278abb02f"),
            0xd91b_9c9a_79a2_ce04
        );
        assert_eq!(
            key("00000000000000000000000000000007"),
            0xc364_e864_19d5_97bf
        );
        assert_eq!(key(&"a".repeat(100)), 0x5c4d_00ae_f4d9_1df1);
        let names = Names::new(None);
        let c = Change {
            md5: Some("44d88612fea8a8f36de82e1278abb02f".into()),
            sha1: None,
            sha256: None,
            levels: [None, Some("Known Malicious".into()), None],
            first_contact: None,
            prevalence: Some("3".into()),
        };
        assert_eq!(values(&names, "Review", &c), 0xe859_9349_7dc4_8557);
        let none = Change {
            md5: None,
            levels: [None, None, None],
            prevalence: None,
            ..c
        };
        assert_eq!(values(&names, "Review", &none), 0x1166_a92f_f8c0_3b26);
    }
}
