//! Seeded random input for the codec fuzz tests (STOMP, MQTT, DXL): a generator with the
//! bounded draws they need, random byte strings, the alternation of random and structured
//! inputs, and one mutator of a valid message. Each fuzz test keeps its own seed, case
//! counts, input builders and assertions, and puts [`FuzzRng::seed`] in its failure
//! messages so that a failure can be replayed.
//!
//! ```
//! use tq_testkit::fuzz::FuzzRng;
//! let mut rng = FuzzRng::with_seed(0x5eed);
//! let base = b"CONNECTED\nversion:1.2\n\n\0";
//! for _ in 0..1_000 {
//!     let b = rng.mutate(base, b"\n:\\");
//!     assert!(b.len() <= base.len() + 1);
//! }
//! ```

use tq_common::retry::Rng;

/// tq-common's seeded generator (splitmix64: the same sequence for the same seed on every
/// machine and release) with the draws a fuzz test needs.
#[derive(Debug, Clone)]
pub struct FuzzRng {
    rng: Rng,
    seed: u64,
}

impl FuzzRng {
    /// A generator that always draws the same sequence for `seed`.
    pub fn with_seed(seed: u64) -> FuzzRng {
        FuzzRng {
            rng: Rng::with_seed(seed),
            seed,
        }
    }

    /// The seed it was made with (for failure messages).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Any byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// A number in `0..n`; panics when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "FuzzRng::below(0): an empty range");
        (self.next_u64() % n as u64) as usize
    }

    /// One element of `from`, at random; panics when it is empty.
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    /// A random byte string shorter than `max_len`. With `specials` (bytes that matter to
    /// the grammar: delimiters, type markers), one byte in three is one of them, so random
    /// input reaches deeper states more often; without, every byte is uniform.
    pub fn random_bytes(&mut self, max_len: usize, specials: &[u8]) -> Vec<u8> {
        let n = self.below(max_len);
        if specials.is_empty() {
            return self.bytes(n);
        }
        (0..n)
            .map(|_| {
                if self.below(3) == 0 {
                    self.pick(specials)
                } else {
                    self.byte()
                }
            })
            .collect()
    }

    /// `cases` inputs, one by one: even cases are [`random_bytes`](Self::random_bytes)
    /// (`max_len`, `specials`), odd cases what `structured` builds (input laid out like a
    /// message, so that the decoder gets past its first bytes).
    pub fn half_random<'a>(
        &'a mut self,
        cases: usize,
        max_len: usize,
        specials: &'a [u8],
        mut structured: impl FnMut(&mut FuzzRng) -> Vec<u8> + 'a,
    ) -> impl Iterator<Item = Vec<u8>> + 'a {
        (0..cases).map(move |case| {
            if case % 2 == 0 {
                self.random_bytes(max_len, specials)
            } else {
                structured(self)
            }
        })
    }

    /// A copy of `base` with one random mutation: cut short, 1 to 4 bits flipped, a byte
    /// replaced by one of `specials`, or a byte inserted (one of `specials` or any byte,
    /// half and half). Without `specials` the replacing and inserted bytes are uniform. An
    /// empty `base` only gets a byte inserted.
    pub fn mutate(&mut self, base: &[u8], specials: &[u8]) -> Vec<u8> {
        let mut b = base.to_vec();
        let kind = if b.is_empty() { 3 } else { self.below(4) };
        match kind {
            0 => b.truncate(self.below(base.len())),
            1 => {
                for _ in 0..1 + self.below(4) {
                    let i = self.below(b.len());
                    b[i] ^= 1 << self.below(8);
                }
            }
            2 => {
                let i = self.below(b.len());
                b[i] = self.special_or_any(specials);
            }
            _ => {
                let i = self.below(b.len() + 1);
                let byte = if self.below(2) == 0 {
                    self.special_or_any(specials)
                } else {
                    self.byte()
                };
                b.insert(i, byte);
            }
        }
        b
    }

    fn special_or_any(&mut self, specials: &[u8]) -> u8 {
        if specials.is_empty() {
            self.byte()
        } else {
            self.pick(specials)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_sequence() {
        let draw = |seed| {
            let mut r = FuzzRng::with_seed(seed);
            (0..50)
                .map(|_| r.mutate(b"abcdef", b":"))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn mutate_makes_every_kind_of_change() {
        let mut r = FuzzRng::with_seed(1);
        let base = b"0123456789";
        let (mut shorter, mut longer, mut special, mut flipped) = (0, 0, 0, 0);
        for _ in 0..2_000 {
            let b = r.mutate(base, b"#");
            match b.len().cmp(&base.len()) {
                std::cmp::Ordering::Less => shorter += 1,
                std::cmp::Ordering::Greater => longer += 1,
                std::cmp::Ordering::Equal if b.contains(&b'#') => special += 1,
                std::cmp::Ordering::Equal if b != base => flipped += 1,
                std::cmp::Ordering::Equal => {}
            }
        }
        assert!(
            [shorter, longer, special, flipped].iter().all(|&n| n > 300),
            "{shorter} cut, {longer} inserted, {special} replaced, {flipped} flipped"
        );
        assert_eq!(r.mutate(b"", b"").len(), 1, "an empty base gets a byte");
    }

    #[test]
    fn random_bytes_favour_the_specials_when_given() {
        let mut r = FuzzRng::with_seed(2);
        let (mut hashes, mut total) = (0usize, 0usize);
        for _ in 0..1_000 {
            let b = r.random_bytes(64, b"#");
            assert!(b.len() < 64);
            total += b.len();
            hashes += b.iter().filter(|&&c| c == b'#').count();
        }
        // One in three chosen from the specials (plus 1/256 of the uniform ones).
        let share = hashes as f64 / total as f64;
        assert!((0.3..0.37).contains(&share), "{share}");
        let uniform: usize = (0..1_000)
            .map(|_| {
                r.random_bytes(64, &[])
                    .iter()
                    .filter(|&&c| c == b'#')
                    .count()
            })
            .sum();
        assert!(uniform < total / 100, "{uniform} of about {total}");
    }

    #[test]
    fn half_random_alternates_with_the_structured_builder() {
        let mut r = FuzzRng::with_seed(3);
        let inputs: Vec<Vec<u8>> = r.half_random(6, 4, &[], |_| b"STRUCT".to_vec()).collect();
        assert_eq!(inputs.len(), 6);
        for (i, b) in inputs.iter().enumerate() {
            assert_eq!(b == b"STRUCT", i % 2 == 1, "case {i}: {b:?}");
        }
    }
}
