//! What the benchmark examples (`<crate>/examples/bench_*.rs`, run by `scripts/bench`) share:
//! their command line (`--flag value` pairs and switches, typed values, "unknown argument"),
//! the flags every connector benchmark takes ([`Common`]: `--bin`, `--latency-ms`) and the
//! release binary they measure by default.
//!
//! ```
//! use tq_testkit::bench::Args;
//! let (mut runs, mut skip) = (30usize, false);
//! let common = Args::new(["--runs", "3", "--skip-peer", "--latency-ms", "0"])
//!     .read_common("tq-x", |flag, args| {
//!         match flag {
//!             "--runs" => runs = args.parse()?,
//!             "--skip-peer" => skip = true,
//!             _ => return Ok(false),
//!         }
//!         Ok(true)
//!     })
//!     .unwrap();
//! assert_eq!((runs, skip, common.latency.as_millis()), (3, true, 0));
//! ```

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
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

/// The flags every connector benchmark takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// `--bin PATH`: the connector binary measured (default: [`default_bin`]).
    pub bin: PathBuf,
    /// `--latency-ms N`: what the fakes add to every request (default 5 ms).
    pub latency: Duration,
}

impl Common {
    /// Runs the binary once as cron would, `-c <config_dir>` and `args`, stdin empty, and
    /// waits. Its output when it exits 0; otherwise `cannot run <bin>: ...` or
    /// `<bin> failed: <stdout><stderr>`.
    pub fn run(&self, config_dir: &Path, args: &[&str]) -> Result<Output, String> {
        output(
            Command::new(&self.bin)
                .arg("-c")
                .arg(config_dir)
                .args(args)
                .stdin(Stdio::null()),
            &self.bin,
        )
    }
}

/// Runs `cmd` (the program `name`: the binary, or the script a peer runs) and waits. Its
/// output when it exits 0; otherwise `cannot run <name>: ...` or
/// `<name> failed: <stdout><stderr>`.
pub fn output(cmd: &mut Command, name: &Path) -> Result<Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", name.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}{}",
            name.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out)
}

/// Reads the process's arguments: the [`Common`] flags, and every other flag through `own`
/// (see [`Args::read_common`]). On a bad command line it prints `<example>: <error>` (e.g.
/// `bench_rt: unknown argument --x`) and exits 2.
pub fn read_args(
    bin_name: &str,
    own: impl FnMut(&str, &mut Args) -> Result<bool, String>,
) -> Common {
    Args::from_env()
        .read_common(bin_name, own)
        .unwrap_or_else(|e| {
            let exe = std::env::current_exe().ok();
            let name = exe
                .as_deref()
                .and_then(|p| p.file_name())
                .map_or("bench".into(), |n| n.to_string_lossy());
            eprintln!("{name}: {e}");
            std::process::exit(2)
        })
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

    /// Reads every argument: `--bin` and `--latency-ms` into the returned [`Common`] (the
    /// binary defaults to [`default_bin`]`(bin_name)`), any other flag through `own`, which
    /// reads its value and returns `Ok(true)`, or `Ok(false)` for a flag the benchmark does
    /// not take (then: `unknown argument --x`).
    pub fn read_common(
        mut self,
        bin_name: &str,
        mut own: impl FnMut(&str, &mut Args) -> Result<bool, String>,
    ) -> Result<Common, String> {
        let mut common = Common {
            bin: default_bin(bin_name),
            latency: Duration::from_millis(5),
        };
        while let Some(flag) = self.next_flag() {
            match flag.as_str() {
                "--bin" => common.bin = self.path()?,
                "--latency-ms" => common.latency = self.millis()?,
                other => {
                    if !own(other, &mut self)? {
                        return Err(self.unknown());
                    }
                }
            }
        }
        Ok(common)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(args: &[&str]) -> Result<(Common, u64, bool), String> {
        let (mut n, mut skip) = (1, false);
        let common = Args::new(args.iter().copied()).read_common("tq-x", |flag, a| {
            match flag {
                "--n" => n = a.parse()?,
                "--skip-peer" => skip = true,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok((common, n, skip))
    }

    fn common(bin: PathBuf, ms: u64) -> Common {
        Common {
            bin,
            latency: Duration::from_millis(ms),
        }
    }

    #[test]
    fn flags_values_and_switches_are_read_in_any_order() {
        assert_eq!(
            read(&[
                "--skip-peer",
                "--latency-ms",
                "0",
                "--n",
                "7",
                "--bin",
                "/b"
            ]),
            Ok((common("/b".into(), 0), 7, true))
        );
        assert_eq!(read(&[]), Ok((common(default_bin("tq-x"), 5), 1, false)));
    }

    #[test]
    fn errors_name_the_flag() {
        assert_eq!(read(&["--n"]), Err("--n needs a value".into()));
        assert_eq!(
            read(&["--n", "seven"]),
            Err("--n: invalid digit found in string".into())
        );
        assert_eq!(read(&["--x", "1"]), Err("unknown argument --x".into()));
        assert_eq!(
            read(&["--bin"]),
            Err("--bin needs a value".into()),
            "a common flag"
        );
    }

    #[test]
    fn run_passes_the_config_dir_and_reports_a_failure_with_its_output() {
        let sh = |script: &str| {
            Common {
                bin: "/bin/sh".into(),
                latency: Duration::ZERO,
            }
            .run(Path::new("-c"), &[script])
        };
        // `sh -c -c <script>`: the config flag and directory come first.
        let out = sh("echo ran; exit 0").expect("exit 0");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n");
        let e = sh("echo partial; echo broke >&2; exit 3").unwrap_err();
        assert_eq!(e, "/bin/sh failed: partial\nbroke\n");
        let missing = Common {
            bin: "/nonexistent/tq-x".into(),
            latency: Duration::ZERO,
        };
        let e = missing.run(Path::new("/tmp"), &[]).unwrap_err();
        assert!(e.starts_with("cannot run /nonexistent/tq-x: "), "{e}");
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
