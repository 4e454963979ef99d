//! What the benchmark examples (`<crate>/examples/bench_*.rs`, run by `scripts/bench`) share:
//! their command line (`--flag value` pairs and switches, typed values, "unknown argument")
//! and the release binary they measure by default.
//!
//! ```
//! use tq_testkit::bench::Args;
//! let mut args = Args::new(["--runs", "3", "--skip-peer"]);
//! let (mut runs, mut skip) = (30usize, false);
//! while let Some(flag) = args.next_flag() {
//!     match flag.as_str() {
//!         "--runs" => runs = args.parse().unwrap(),
//!         "--skip-peer" => skip = true,
//!         _ => panic!("{}", args.unknown()),
//!     }
//! }
//! assert_eq!((runs, skip), (3, true));
//! ```

use std::fmt::Display;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The connector binary `name` beside the running example: `target/release/<name>` for
/// `target/release/examples/bench_x` (the layout `cargo build --release --bins --examples`
/// leaves); `target/release/<name>` when the example's own path is unknown.
pub fn default_bin(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent()?.parent().map(|d| d.join(name)))
        .unwrap_or_else(|| PathBuf::from("target/release").join(name))
}

/// A benchmark's arguments, read flag by flag; the errors name the flag.
#[derive(Debug)]
pub struct Args {
    rest: std::vec::IntoIter<String>,
    flag: String,
}

impl Args {
    /// The process's arguments (without the program name).
    pub fn from_env() -> Args {
        Args::new(std::env::args().skip(1))
    }

    /// The given arguments (tests).
    pub fn new<S: Into<String>>(args: impl IntoIterator<Item = S>) -> Args {
        Args {
            rest: args
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>()
                .into_iter(),
            flag: String::new(),
        }
    }

    /// The next flag, or `None` at the end; the value methods read the value of this one.
    pub fn next_flag(&mut self) -> Option<String> {
        self.flag = self.rest.next()?;
        Some(self.flag.clone())
    }

    /// The current flag's value: `--bin needs a value` when there is none.
    pub fn value(&mut self) -> Result<String, String> {
        self.rest
            .next()
            .ok_or_else(|| format!("{} needs a value", self.flag))
    }

    /// The current flag's value parsed: `--runs: invalid digit found in string`.
    pub fn parse<T: FromStr>(&mut self) -> Result<T, String>
    where
        T::Err: Display,
    {
        let v = self.value()?;
        v.parse().map_err(|e| format!("{}: {e}", self.flag))
    }

    /// The current flag's value as a path.
    pub fn path(&mut self) -> Result<PathBuf, String> {
        self.value().map(PathBuf::from)
    }

    /// The current flag's value as a whole number of milliseconds (`--latency-ms 5`).
    pub fn millis(&mut self) -> Result<Duration, String> {
        self.parse().map(Duration::from_millis)
    }

    /// The error for a flag the benchmark does not take: `unknown argument --x`.
    pub fn unknown(&self) -> String {
        format!("unknown argument {}", self.flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(args: &[&str]) -> Result<(PathBuf, u64, Duration, bool), String> {
        let (mut bin, mut n, mut latency, mut skip) =
            (PathBuf::from("x"), 1, Duration::ZERO, false);
        let mut a = Args::new(args.iter().copied());
        while let Some(flag) = a.next_flag() {
            match flag.as_str() {
                "--bin" => bin = a.path()?,
                "--n" => n = a.parse()?,
                "--latency-ms" => latency = a.millis()?,
                "--skip-peer" => skip = true,
                _ => return Err(a.unknown()),
            }
        }
        Ok((bin, n, latency, skip))
    }

    #[test]
    fn flags_values_and_switches_are_read_in_any_order() {
        assert_eq!(
            read(&[
                "--skip-peer",
                "--latency-ms",
                "5",
                "--n",
                "7",
                "--bin",
                "/b"
            ]),
            Ok((PathBuf::from("/b"), 7, Duration::from_millis(5), true))
        );
        assert_eq!(
            read(&[]),
            Ok((PathBuf::from("x"), 1, Duration::ZERO, false))
        );
    }

    #[test]
    fn errors_name_the_flag() {
        assert_eq!(read(&["--n"]), Err("--n needs a value".into()));
        assert_eq!(
            read(&["--n", "seven"]),
            Err("--n: invalid digit found in string".into())
        );
        assert_eq!(read(&["--x", "1"]), Err("unknown argument --x".into()));
    }

    #[test]
    fn the_default_binary_is_beside_the_examples_directory() {
        // This test runs as target/debug/deps/tq_testkit-<hash>; the binaries are in target/debug.
        let bin = default_bin("tq-x");
        assert!(bin.ends_with("debug/tq-x"), "{}", bin.display());
        assert!(
            bin.parent().unwrap().join("deps").is_dir(),
            "{}",
            bin.display()
        );
    }
}
