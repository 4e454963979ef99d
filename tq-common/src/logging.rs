//! Logging: one line per record, `<RFC 3339 UTC time> <LEVEL> <module>: <message>`,
//! appended to `<logdir>/<instance>.log` or written to stdout (`-ll stdout`).
//!
//! A log file holds threat data and host names: it is created with mode 0640 (less if the
//! umask says so), and an existing one that other users can read gets a warning.
//!
//! Verbosity 1/2/3 = warn/info/debug for our own crates; other crates (ureq, native-tls)
//! never log below warn, so request headers can never reach the log. Every line also
//! passes through the redaction list: any value wrapped in [`crate::Secret`] (and
//! tokens the clients receive) is replaced by `***` wherever it appears.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, RwLock};

use log::{Level, LevelFilter, Log, Metadata, Record};
use time::format_description::FormatItem;
use time::macros::format_description;

const TIME_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Values shorter than this are not registered for redaction: masking "a" or "no"
/// everywhere would make logs unreadable without protecting anything real.
const MIN_REDACT_LEN: usize = 4;

/// The mode a new log file is created with (the umask may take more away).
pub const LOG_FILE_MODE: u32 = 0o640;

fn redaction_list() -> &'static RwLock<Vec<String>> {
    static LIST: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    LIST.get_or_init(|| RwLock::new(Vec::new()))
}

/// Registers a value that must never appear in a log line or an error message.
pub fn redact_value(value: &str) {
    if value.len() < MIN_REDACT_LEN {
        return;
    }
    if let Ok(mut list) = redaction_list().write() {
        if !list.iter().any(|v| v == value) {
            list.push(value.to_string());
            // Longest first, so a secret that contains another is masked whole.
            list.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }
}

/// `text` with every registered secret replaced by `***`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(list) = redaction_list().read() else {
        return Cow::Borrowed(text);
    };
    if !list.iter().any(|v| text.contains(v.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for v in list.iter() {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), "***");
        }
    }
    Cow::Owned(out)
}

/// Where log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLocation {
    /// The console (stdout).
    Stdout,
    /// A directory; the file is `<dir>/<instance>.log`.
    Dir(PathBuf),
}

impl LogLocation {
    /// Parses the `-ll` value: `stdout` (any case) or a directory.
    pub fn parse(value: &str) -> LogLocation {
        if value.eq_ignore_ascii_case("stdout") || value == "-" {
            LogLocation::Stdout
        } else {
            LogLocation::Dir(PathBuf::from(value))
        }
    }

    /// The log file of an instance, or `None` for stdout.
    pub fn file_for(&self, instance: &str) -> Option<PathBuf> {
        match self {
            LogLocation::Stdout => None,
            LogLocation::Dir(d) => Some(d.join(format!("{instance}.log"))),
        }
    }
}

/// Maps the `-v` verbosity (1, 2, 3) to a level filter for our own crates.
pub fn level_for(verbosity: u8) -> LevelFilter {
    match verbosity {
        0 | 1 => LevelFilter::Warn,
        2 => LevelFilter::Info,
        _ => LevelFilter::Debug,
    }
}

enum Sink {
    Stdout,
    File(File),
}

struct Logger {
    level: LevelFilter,
    sink: Mutex<Sink>,
}

fn is_ours(target: &str) -> bool {
    target.starts_with("tq_")
}

impl Log for Logger {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        let limit = if is_ours(m.target()) {
            self.level
        } else {
            LevelFilter::Warn.min(self.level)
        };
        m.level() <= limit
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let now = time::OffsetDateTime::now_utc()
            .format(TIME_FORMAT)
            .unwrap_or_default();
        let message = record.args().to_string();
        let line = format!(
            "{now} {:<5} {}: {}\n",
            record.level(),
            record.target(),
            redact(&message)
        );
        let Ok(mut sink) = self.sink.lock() else {
            return;
        };
        // A log write that fails must not take the connector down; there is nowhere
        // better to report it than stderr.
        let res = match &mut *sink {
            Sink::Stdout => io::stdout().lock().write_all(line.as_bytes()),
            Sink::File(f) => f.write_all(line.as_bytes()),
        };
        if let Err(e) = res {
            eprintln!("cannot write log line: {e}");
        }
    }

    fn flush(&self) {
        if let Ok(mut sink) = self.sink.lock() {
            let _ = match &mut *sink {
                Sink::Stdout => io::stdout().flush(),
                Sink::File(f) => f.flush(),
            };
        }
    }
}

/// Installs the process logger. Creates the log directory when it is missing.
/// Returns the log file path (None for stdout). Calling it twice keeps the first logger.
pub fn init(
    location: &LogLocation,
    instance: &str,
    verbosity: u8,
) -> Result<Option<PathBuf>, crate::Error> {
    let level = level_for(verbosity);
    let (sink, path) = match location.file_for(instance) {
        None => (Sink::Stdout, None),
        Some(path) => (Sink::File(open_log(&path)?), Some(path)),
    };
    let logger = Logger {
        level,
        sink: Mutex::new(sink),
    };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(level.max(LevelFilter::Warn));
    }
    if let Some(p) = &path {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(p) {
            if meta.permissions().mode() & 0o007 != 0 {
                log::warn!(
                    "{} is readable by other users and holds threat data: chmod 640 it",
                    p.display()
                );
            }
        }
    }
    Ok(path)
}

fn open_log(path: &Path) -> Result<File, crate::Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            crate::Error::usage(format!(
                "cannot create log directory {}: {e} (check -ll/--loglocation)",
                dir.display()
            ))
        })?;
    }
    crate::files::open_append(path, LOG_FILE_MODE).map_err(|e| {
        crate::Error::usage(format!(
            "cannot open the log file {e} (check -ll/--loglocation)"
        ))
    })
}

/// Logs at info level that a long job made progress: `done` of `total` `what`.
pub fn progress(what: &str, done: usize, total: usize) {
    if log::log_enabled!(Level::Info) {
        log::info!("progress: {done}/{total} {what}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_masks_registered_values_longest_first() {
        redact_value("abcd-secret");
        redact_value("abcd-secret-longer");
        redact_value("no"); // too short to register
        assert_eq!(
            redact("x abcd-secret-longer y abcd-secret no"),
            "x *** y *** no"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn log_files_are_created_0640_or_tighter() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("logs/x.log");
        let f = open_log(&p).unwrap();
        drop(f);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !LOG_FILE_MODE, 0, "log file mode {mode:o}");
        assert_eq!(mode & 0o007, 0, "readable by others: {mode:o}");
        // An unopenable log names the file and the flag.
        let e = open_log(&dir.path().join("logs")).unwrap_err().to_string();
        assert!(e.contains("logs") && e.contains("-ll"), "{e}");
    }

    #[test]
    fn levels() {
        assert_eq!(level_for(1), LevelFilter::Warn);
        assert_eq!(level_for(2), LevelFilter::Info);
        assert_eq!(level_for(3), LevelFilter::Debug);
        assert_eq!(LogLocation::parse("STDOUT"), LogLocation::Stdout);
        assert_eq!(
            LogLocation::parse("/var/log/tq").file_for("x"),
            Some(PathBuf::from("/var/log/tq/x.log"))
        );
    }
}
